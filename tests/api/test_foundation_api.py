"""The foundation's API: health, the scoped dashboard, JSON problems for errors."""

from flask.testing import FlaskClient

from tests.conftest import sign_in
from tests.web.conftest import World


def test_health_needs_no_sign_in(client: FlaskClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_dashboard_without_credentials_is_a_401_problem(client: FlaskClient) -> None:
    response = client.get("/api/v1/dashboard")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401


def test_dashboard_is_scoped_to_the_caller(client: FlaskClient, world: World) -> None:
    sign_in(client, world.customs_officer)
    body = client.get("/api/v1/dashboard").json
    assert [group["key"] for group in body["by_agency"]] == ["MUIT"]
    assert body["total"] == 1
    assert set(body) == {
        "as_of",
        "total",
        "operational",
        "calibration_overdue",
        "by_status",
        "by_agency",
        "by_type",
        "by_site",
    }


def test_dashboard_for_the_centre_counts_every_agency(client: FlaskClient, world: World) -> None:
    sign_in(client, world.users["planner"])
    body = client.get("/api/v1/dashboard").json
    assert {group["key"]: group["total"] for group in body["by_agency"]} == {"VSAT": 1, "MUIT": 1}
    assert body["operational"] == 2


def test_unknown_api_path_is_a_404_problem(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
