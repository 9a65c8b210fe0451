"""Input meant to break things gets a 4xx, never a 500 (found in the review of issue 3)."""

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from equiplan.services import input_fields
from equiplan.services.api_tokens import create_token
from tests.conftest import sign_in
from tests.factories import make_agency, make_user


@pytest.mark.parametrize(
    ("parser", "value"),
    [
        (input_fields.whole_number, "²"),  # a digit to str.isdigit, not to int
        (input_fields.whole_number, "1" * 30),
        (input_fields.optional_id, 10**30),
        (input_fields.euros, "1e30"),  # Decimal.quantize would raise InvalidOperation
        (input_fields.hours, "1e30"),
        (input_fields.day, "9999-12-01"),  # + an interval would leave the calendar
        (input_fields.day, "0001-01-01"),
        (input_fields.timestamp, "0001-01-01T00:00:00+14:00"),  # overflows in UTC
        (input_fields.timestamp, datetime(9999, 12, 31, tzinfo=UTC)),
    ],
)
def test_parsers_refuse_with_a_message(parser, value) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"\w"):
        parser(value)


@pytest.fixture
def signed_in(client: FlaskClient, session) -> FlaskClient:  # type: ignore[no-untyped-def]
    sign_in(client, make_user(session, "officer", make_agency(session, "HOS")))
    return client


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/equipment?page=²", 400),
        ("/work-orders?page=²", 400),
        ("/api/v1/work-orders?page=²", 400),
        ("/api/v1/equipment?agency_id=99999999999999999999", 400),
        ("/api/v1/equipment/99999999999999999999", 404),
        ("/equipment/99999999999999999999", 404),
    ],
)
def test_hostile_urls_answer_4xx(signed_in: FlaskClient, path: str, status: int) -> None:
    assert signed_in.get(path).status_code == status


def test_deeply_nested_json_is_a_400(client: FlaskClient, session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, "technician")
    _, secret = create_token(session, user, "hostile")
    body = "[" * 50_000 + "]" * 50_000
    response = client.post(
        "/api/v1/work-orders",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.get_json()["detail"]
