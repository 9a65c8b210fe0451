"""The calibration pages as users see them: the form with its points, the certificate upload and
download, the verdicts and notices, corrections, and agency isolation of the files."""

import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from equiplan.config import ConfigError, load_config
from equiplan.domain.scheduling import Interval, IntervalUnit, add_interval
from equiplan.models import CalibrationResult, Equipment
from equiplan.services.clock import local_today
from tests.conftest import csrf_token, sign_in
from tests.factories import make_calibration, make_equipment, make_model, make_type
from tests.web.conftest import World

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _form(client: FlaskClient, item: Equipment, **fields: Any) -> dict[str, Any]:
    """A complete submission: two points, the second one adjusted, and a PDF certificate."""
    data: dict[str, Any] = {
        "csrf_token": csrf_token(client, f"/equipment/{item.id}/calibrations/new"),
        "laboratory": "FTMC ionising radiation metrology laboratory",
        "certificate_no": "FTMC-JSM-2026-117",
        "calibrated_on": "2026-01-15",
        "valid_until": "2027-01-15",
        "work_order_id": "",
        "notes": "",
        "certificate": (io.BytesIO(PDF), "Sertifikatas 117.pdf"),
    }
    rows = [("1", "20", "1,05", ""), ("10", "20", "12.5", "10.1")]
    for index, (nominal, tolerance, found, left) in enumerate(rows):
        data.update(
            {
                f"points-{index}-quantity": "dose_rate_cs137",
                f"points-{index}-unit": "µSv/h",
                f"points-{index}-nominal": nominal,
                f"points-{index}-tolerance": tolerance,
                f"points-{index}-tolerance_kind": "pct",
                f"points-{index}-as_found": found,
                f"points-{index}-as_left": left,
            }
        )
    data.update(fields)
    return data


def _post(client: FlaskClient, item: Equipment, **fields: Any):  # type: ignore[no-untyped-def]
    # Encoded in memory: the test client would spool a large body to a temporary file and
    # leave it open when the app refuses the request unread (413).
    values = {
        name: FileStorage(value[0], filename=value[1]) if isinstance(value, tuple) else value
        for name, value in _form(client, item, **fields).items()
    }
    boundary, body = encode_multipart(values)
    response = client.post(
        f"/equipment/{item.id}/calibrations/new",
        input_stream=io.BytesIO(body),
        content_type=f'multipart/form-data; boundary="{boundary}"',
    )
    response.close()
    return response


def _calibration_id(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"/calibrations/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _count(session: Session) -> int:
    return session.execute(select(func.count(CalibrationResult.id))).scalar_one()


def _certificates(app: Flask) -> list[Path]:
    folder = Path(app.config["CERTIFICATE_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def test_new_form_starts_from_the_types_usual_points(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    prd = make_equipment(session, world.vsat, make_model(session, make_type(session, "PRD")))
    sign_in(client, world.users["technician"])
    html = client.get(f"/equipment/{prd.id}/calibrations/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrf_token"' in html
    today = local_today(app.config["TIMEZONE"])
    assert f'name="calibrated_on" type="date" value="{today.isoformat()}"' in html
    a_year_on = add_interval(today, Interval(12, IntervalUnit.MONTHS))
    assert f'name="valid_until" type="date" value="{a_year_on.isoformat()}"' in html
    for index, nominal in enumerate(("1", "10", "100")):
        assert f'name="points-{index}-nominal" type="text" value="{nominal}"' in html
        assert f'name="points-{index}-tolerance" type="text" value="20"' in html
    assert 'name="points-4-nominal" type="text" value=""' in html  # and spare rows
    assert "Dose rate (Cs-137)" in html


def test_technician_records_a_calibration_with_its_certificate(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["technician"])
    detail = f"/equipment/{world.vsat_item.id}"
    assert "Record calibration" in client.get(detail).get_data(as_text=True)
    calibration_id = _calibration_id(_post(client, world.vsat_item))

    page = client.get(f"/calibrations/{calibration_id}")
    html = page.get_data(as_text=True)
    assert "Calibration FTMC-JSM-2026-117 recorded." in html
    assert "Sertifikatas 117.pdf" in html
    assert f'href="/calibrations/{calibration_id}/certificate"' in html
    assert 'data-testid="flagged"' in html  # found 25 % high at 10 µSv/h
    assert 'data-testid="left-out-of-tolerance"' not in html
    assert "+2.5" in html  # the as-found deviation at 10 µSv/h
    assert "(not adjusted)" in html  # the first point was left as found

    # The file is outside the web root, under a random name, and not reachable as static.
    [stored] = _certificates(app)
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored.name)
    assert stored.read_bytes() == PDF
    assert not stored.resolve().is_relative_to(Path(app.static_folder or "").resolve())
    assert client.get(f"/static/{stored.name}").status_code == 404

    item = session.get_one(Equipment, world.vsat_item.id)
    session.refresh(item)
    assert item.flagged_for_review is True
    # The item page links the calibration from its history.
    assert f'href="/calibrations/{calibration_id}"' in client.get(detail).get_data(as_text=True)


@pytest.mark.parametrize("role", ["technician", "officer", "viewer"])
def test_certificate_download_within_the_scope(
    client: FlaskClient, world: World, role: str
) -> None:
    sign_in(client, world.users["technician"])
    calibration_id = _calibration_id(_post(client, world.vsat_item))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, world.users[role])
    response = client.get(f"/calibrations/{calibration_id}/certificate")
    body = response.get_data()
    response.close()  # send_file streams from the open file
    assert response.status_code == 200
    assert body == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "Sertifikatas%20117.pdf" in disposition or "Sertifikatas 117.pdf" in disposition


def test_another_agency_gets_404_for_the_calibration_and_its_file(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["technician"])
    calibration_id = _calibration_id(_post(client, world.vsat_item))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, world.customs_officer)
    for path in (f"/calibrations/{calibration_id}", f"/calibrations/{calibration_id}/certificate"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert PDF not in response.data
    # And VSAT's officer and viewer cannot fetch the customs agency's calibration either.
    foreign = make_calibration(session, world.customs_item)
    for role in ("officer", "viewer"):
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        sign_in(client, world.users[role])
        assert client.get(f"/calibrations/{foreign.id}/certificate").status_code == 404
        assert client.get(f"/calibrations/{foreign.id}").status_code == 404


def test_a_calibration_without_file_explains_instead_of_downloading(
    client: FlaskClient, world: World, session: Session
) -> None:
    calibration = make_calibration(session, world.vsat_item)
    sign_in(client, world.users["officer"])
    response = client.get(f"/calibrations/{calibration.id}/certificate", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "No certificate file was uploaded for this calibration." in html
    assert "None uploaded" in html


def test_problems_are_shown_on_their_fields_and_nothing_is_saved(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["technician"])
    response = _post(
        client,
        world.vsat_item,
        laboratory="",
        **{"points-1-as_found": "twelve", "points-3-nominal": "5"},  # row 4 has no reading
        certificate=(io.BytesIO(b"MZ\x90\x00 not a pdf"), "certificate.pdf"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This field is required." in html
    assert "Enter a number, e.g. 1.5." in html
    # On the row's own input, which keeps what was typed.
    assert re.search(r'is-invalid" id="points-1-as_found"[^>]*value="twelve"', html)
    assert "Nothing was saved: correct the fields marked below." in html
    assert "The certificate must be a PDF, PNG or JPEG file." in html
    assert _count(session) == 0
    assert _certificates(app) == []


def test_a_good_file_must_be_chosen_again_after_a_problem(
    app: Flask, client: FlaskClient, world: World
) -> None:
    sign_in(client, world.users["technician"])
    response = _post(client, world.vsat_item, certificate_no="")
    assert response.status_code == 400
    assert "Choose the certificate file again." in response.get_data(as_text=True)
    assert _certificates(app) == []


def test_a_file_over_the_limit_is_refused_with_a_clear_message(
    app: Flask, client: FlaskClient, world: World, session: Session
) -> None:
    app.config.update(UPLOAD_MAX_MB=1, MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    sign_in(client, world.users["technician"])
    # Over the file limit but within the request limit: the form says so on the field.
    big = PDF + b"0" * (1024 * 1024)
    response = _post(client, world.vsat_item, certificate=(io.BytesIO(big), "big.pdf"))
    assert response.status_code == 400
    assert "The certificate file is too large: at most 1 MB is accepted." in response.get_data(
        as_text=True
    )
    # Over the request limit: refused before it is read, with a page that says why.
    huge = PDF + b"0" * (3 * 1024 * 1024)
    response = _post(client, world.vsat_item, certificate=(io.BytesIO(huge), "huge.pdf"))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "The file is too large" in html
    assert "a file may have at most 1 MB" in html
    assert _count(session) == 0
    assert _certificates(app) == []


def test_left_out_of_tolerance_keeps_the_item_out_of_service(
    client: FlaskClient, world: World, session: Session
) -> None:
    sign_in(client, world.users["admin"])
    calibration_id = _calibration_id(
        _post(client, world.vsat_item, **{"points-1-as_left": "13"}, certificate="")
    )
    html = client.get(f"/calibrations/{calibration_id}").get_data(as_text=True)
    assert 'data-testid="left-out-of-tolerance"' in html
    assert "Out of tolerance" in html
    item_page = client.get(f"/equipment/{world.vsat_item.id}").get_data(as_text=True)
    assert "Not operational" in item_page
    assert "Out of service" in item_page


def test_a_passing_calibration_does_not_put_the_item_back_in_service(
    client: FlaskClient, world: World, session: Session
) -> None:
    world.vsat_item.status = "out_of_service"
    session.commit()
    sign_in(client, world.users["technician"])
    calibration_id = _calibration_id(
        _post(client, world.vsat_item, **{"points-1-as_found": "10.1", "points-1-as_left": ""})
    )
    html = client.get(f"/calibrations/{calibration_id}").get_data(as_text=True)
    assert 'data-testid="still-out-of-service"' in html
    assert "an equipment officer or an administrator puts it back in service" in html


def test_agency_roles_see_no_record_button_and_may_not_record(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, world.users["officer"])
    assert "Record calibration" not in client.get(f"/equipment/{world.vsat_item.id}").get_data(
        as_text=True
    )
    assert client.get(f"/equipment/{world.vsat_item.id}/calibrations/new").status_code == 403


def test_drift_is_shown_against_the_previous_calibration(
    client: FlaskClient, world: World, session: Session
) -> None:
    make_calibration(
        session,
        world.vsat_item,
        calibrated_on=date(2025, 1, 10),
        points=({"nominal": 10.0, "tolerance": 20.0, "as_found": 10.4, "as_left": 10.05},),
    )
    sign_in(client, world.users["technician"])
    # The form offers last time's points and laboratory.
    html = client.get(f"/equipment/{world.vsat_item.id}/calibrations/new").get_data(as_text=True)
    assert 'name="points-0-nominal" type="text" value="10"' in html
    calibration_id = _calibration_id(
        _post(
            client,
            world.vsat_item,
            **{"points-0-nominal": "10", "points-0-as_found": "10.3", "points-1-as_found": ""},
        )
    )
    html = client.get(f"/calibrations/{calibration_id}").get_data(as_text=True)
    drift = re.search(r'data-testid="drift">([^<]*)<', html)
    assert drift
    assert drift.group(1) == "+0.25"  # 10.3 − 10.05


def test_certificate_data_corrected_with_a_version_check(
    client: FlaskClient, world: World, session: Session
) -> None:
    calibration = make_calibration(session, world.vsat_item, certificate_no="TYPO-1")
    sign_in(client, world.users["technician"])
    form_page = client.get(f"/calibrations/{calibration.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form_page
    token = csrf_token(client, f"/calibrations/{calibration.id}/edit")
    fields = {"csrf_token": token, "laboratory": "FTMC", "valid_until": "2026-06-01"}
    response = client.post(
        f"/calibrations/{calibration.id}/edit",
        data={**fields, "certificate_no": "FTMC-1", "version": "1"},
    )
    assert response.status_code == 302
    # A second editor who loaded version 1 gets a conflict and keeps their input.
    response = client.post(
        f"/calibrations/{calibration.id}/edit",
        data={**fields, "certificate_no": "FTMC-2", "version": "1"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Somebody else changed this calibration" in html
    assert 'value="FTMC-2"' in html
    session.refresh(calibration)
    assert calibration.certificate_no == "FTMC-1"


def test_upload_settings_are_checked_and_set_the_request_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for bad in ("0", "ten", "-1", "1.5"):
        monkeypatch.setenv("EQUIPLAN_UPLOAD_MAX_MB", bad)
        with pytest.raises(ConfigError, match="EQUIPLAN_UPLOAD_MAX_MB"):
            load_config(tmp_path)
    monkeypatch.setenv("EQUIPLAN_UPLOAD_MAX_MB", "3")
    config = load_config(tmp_path)
    assert config["UPLOAD_MAX_MB"] == 3
    assert config["MAX_CONTENT_LENGTH"] == 4 * 1024 * 1024  # the file plus the form around it
    assert config["CERTIFICATE_DIR"] == str(tmp_path / "certificates")
    monkeypatch.setenv("EQUIPLAN_CERTIFICATE_DIR", str(tmp_path / "elsewhere"))
    assert load_config(tmp_path)["CERTIFICATE_DIR"] == str(tmp_path / "elsewhere")
