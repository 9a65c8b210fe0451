"""Import and export as users see them: upload → preview → commit through the pages, the
template and export downloads, and who may commit an upload."""

import io
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlmodel import Session

from equiplan.models import AuditEvent, Equipment, EquipmentModel, Schedule
from tests.conftest import csrf_token, sign_in
from tests.factories import make_model, make_type, make_user
from tests.web.conftest import World

_UPLOAD_TOKEN = re.compile(r'name="upload" type="hidden" value="([0-9a-f]{32})"')


def _model(session: Session) -> EquipmentModel:
    prd = make_type(
        session,
        "PRD",
        default_schedules=[
            {"kind": "calibration", "interval_value": 12, "interval_unit": "months"}
        ],
    )
    return make_model(session, prd, manufacturer="Thermo", name="RadEye PRD")


def _csv(*rows: str) -> bytes:
    return ("Inventory no.,Serial no.,Type,Manufacturer,Model,Site\n" + "\n".join(rows)).encode()


def _upload(client: FlaskClient, content: bytes, name: str = "inventory.csv", **fields: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/equipment/import",
        data={
            "file": (io.BytesIO(content), name),
            "csrf_token": csrf_token(client, "/equipment/import"),
            **fields,
        },
    )


def _count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_officer_uploads_previews_and_commits(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    _model(session)
    sign_in(client, world.users["officer"])
    page = client.get("/equipment").get_data(as_text=True)
    assert 'href="/equipment/import"' in page
    before = _count(session, Equipment)

    preview = _upload(
        client,
        _csv("VSAT-PRD-1,RE-1,PRD,Thermo,RadEye PRD,MED", "VSAT-PRD-2,RE-2,PRD,,radeye prd,"),
    )
    assert preview.status_code == 200, preview.get_data(as_text=True)[-3000:]
    html = preview.get_data(as_text=True)
    assert "No problems found: 2 items are ready to import." in html
    assert "VSAT-PRD-2" in html
    assert _count(session, Equipment) == before  # a preview writes nothing
    token = _UPLOAD_TOKEN.search(html)
    assert token, html
    stored = Path(app.instance_path) / "imports"
    assert [p.name for p in stored.iterdir()] == [
        f"{world.users['officer'].id}-{token.group(1)}.csv"
    ]

    done = client.post(
        "/equipment/import/commit",
        data={"upload": token.group(1), "csrf_token": csrf_token(client, "/equipment/import")},
    )
    assert done.status_code == 302
    listing = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Imported 2 items." in listing
    assert list(stored.iterdir()) == []  # the upload is removed once committed
    items = (
        session.execute(select(Equipment).where(Equipment.inventory_no.like("VSAT-PRD-%")))
        .scalars()
        .all()
    )  # type: ignore[attr-defined]
    assert sorted((i.inventory_no, i.agency_id) for i in items) == [
        ("VSAT-PRD-1", world.vsat.id),
        ("VSAT-PRD-2", world.vsat.id),
    ]
    assert _count(session, Schedule) == 2  # each item got its type's calibration schedule
    origins = session.execute(
        select(AuditEvent.origin, AuditEvent.user_id).where(
            AuditEvent.entity == "equipment",
            AuditEvent.entity_id.in_([i.id for i in items]),  # type: ignore[attr-defined]
        )
    ).all()
    assert set(origins) == {("web", world.users["officer"].id)}

    # The upload is gone after its commit: a second commit imports nothing twice.
    again = client.post(
        "/equipment/import/commit",
        data={"upload": token.group(1), "csrf_token": csrf_token(client, "/equipment/import")},
    )
    assert again.status_code == 400
    assert "This upload is no longer available" in again.get_data(as_text=True)
    assert _count(session, Schedule) == 2


def test_problems_are_listed_by_row_and_column_and_nothing_can_be_committed(
    client: FlaskClient, world: World, session: Session
) -> None:
    _model(session)
    sign_in(client, world.users["officer"])
    response = _upload(
        client,
        _csv(
            "VSAT-PRD-1,RE-1,PRD,Thermo,RadEye PRD,NOWHERE",
            f"{world.vsat_item.inventory_no},RE-2,PRD,Thermo,RadEye PRD,MED",
        ),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "2 problems found; nothing was imported." in html
    assert re.search(r"<td>2</td><td>Site</td><td>Unknown site: NOWHERE.</td>", html)
    assert re.search(
        r"<td>3</td><td>Inventory no.</td><td>This inventory number is already registered.</td>",
        html,
    )
    assert 'name="upload"' not in html  # no commit button, and no stored file to commit


def test_admin_chooses_the_agency_for_blank_cells(
    client: FlaskClient, world: World, session: Session
) -> None:
    _model(session)
    sign_in(client, world.users["admin"])
    form = client.get("/equipment/import").get_data(as_text=True)
    assert '<option value="MUIT">MUIT</option>' in form
    response = _upload(client, _csv("MUIT-PRD-1,RE-1,PRD,Thermo,RadEye PRD,"), agency="MUIT")
    assert response.status_code == 200
    assert "<td>MUIT</td>" in response.get_data(as_text=True)
    without = _upload(client, _csv("MUIT-PRD-1,RE-1,PRD,Thermo,RadEye PRD,"))
    assert without.status_code == 400
    assert "Give the agency, or choose the agency for rows that leave it blank." in (
        without.get_data(as_text=True)
    )


def test_another_users_upload_cannot_be_committed(
    client: FlaskClient, app: Flask, world: World, session: Session
) -> None:
    _model(session)
    sign_in(client, world.users["officer"])
    html = _upload(client, _csv("VSAT-PRD-1,RE-1,PRD,Thermo,RadEye PRD,MED")).get_data(as_text=True)
    token = _UPLOAD_TOKEN.search(html)
    assert token

    other = app.test_client()
    sign_in(other, make_user(session, "officer", world.vsat))  # same agency, other person
    refused = other.post(
        "/equipment/import/commit",
        data={"upload": token.group(1), "csrf_token": csrf_token(other, "/equipment/import")},
    )
    assert refused.status_code == 400
    assert _count(session, Schedule) == 0
    for bad in ("../../secret_key", "ABC", token.group(1).upper()):
        response = other.post(
            "/equipment/import/commit",
            data={"upload": bad, "csrf_token": csrf_token(other, "/equipment/import")},
        )
        assert response.status_code == 400, bad
    # The uploader still can.
    done = client.post(
        "/equipment/import/commit",
        data={"upload": token.group(1), "csrf_token": csrf_token(client, "/equipment/import")},
    )
    assert done.status_code == 302


def test_upload_and_commit_need_the_csrf_token(
    client: FlaskClient, world: World, session: Session
) -> None:
    _model(session)
    sign_in(client, world.users["officer"])
    forged = client.post(
        "/equipment/import",
        data={"file": (io.BytesIO(_csv("VSAT-PRD-1,RE-1,PRD,Thermo,RadEye PRD,MED")), "a.csv")},
    )
    assert forged.status_code == 400
    token = _UPLOAD_TOKEN.search(
        _upload(client, _csv("VSAT-PRD-1,RE-1,PRD,Thermo,RadEye PRD,MED")).get_data(as_text=True)
    )
    assert token
    forged_commit = client.post("/equipment/import/commit", data={"upload": token.group(1)})
    assert forged_commit.status_code == 400
    assert _count(session, Schedule) == 0


def test_bad_files_are_explained_on_the_form(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["officer"])
    for content, name, message in (
        (b"a,b\n", "inventory.txt", "Upload a .csv or .xlsx file."),
        (b"\xff\xfeI\x00n\x00", "inventory.csv", "The file is not UTF-8 text."),
        (b"not a zip", "inventory.xlsx", "The file is not an XLSX workbook."),
        (b"Inventory no.,Serial no.,Model\n", "inventory.csv", "no data rows"),
    ):
        response = _upload(client, content, name)
        assert response.status_code == 400, name
        assert message in response.get_data(as_text=True), message
    missing = client.post(
        "/equipment/import", data={"csrf_token": csrf_token(client, "/equipment/import")}
    )
    assert missing.status_code == 400
    assert "Choose a file to import." in missing.get_data(as_text=True)


def test_export_links_carry_the_filters_and_download(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["viewer"])
    page = client.get("/equipment?status=in_service&sort=serial_no").get_data(as_text=True)
    assert 'href="/equipment/export.csv?status=in_service&amp;sort=serial_no"' in page
    assert 'href="/equipment/export.xlsx?status=in_service&amp;sort=serial_no"' in page
    assert 'href="/equipment/import"' not in page  # viewers do not import

    response = client.get("/equipment/export.csv?status=in_service")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert re.fullmatch(
        r"attachment; filename=equipment-\d{4}-\d{2}-\d{2}\.csv",
        response.headers["Content-Disposition"],
    )
    assert response.headers["Cache-Control"] == "no-store"  # not kept in shared caches
    text = response.get_data().decode("utf-8-sig")
    assert world.vsat_item.inventory_no in text
    assert world.customs_item.inventory_no not in text  # the viewer's agency only

    bad = client.get("/equipment/export.csv?status=lost")
    assert bad.status_code == 400


def test_templates_download_in_both_formats(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["viewer"])
    csv_template = client.get("/equipment/import/template.csv")
    assert csv_template.status_code == 200
    assert csv_template.get_data().decode("utf-8-sig").startswith("Inventory no.,Serial no.,")
    xlsx = client.get("/equipment/import/template.xlsx")
    assert xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True)
    first = workbook.worksheets[0]
    header = next(first.iter_rows(values_only=True))
    assert header[:2] == ("Inventory no.", "Serial no.")
    assert [sheet.title for sheet in workbook.worksheets] == [
        "Equipment",
        "Accepted values",
        "Models",
    ]
    workbook.close()
