"""Parsing the list's query string: every unusable value is reported and left out."""

from flask import Flask
from flask_babel import Babel, force_locale

from equiplan.services.equipment_query import EquipmentQuery, parse_equipment_query


def _parse(args: dict[str, str]):  # type: ignore[no-untyped-def]
    app = Flask(__name__)
    Babel(app)
    with app.app_context(), force_locale("en"):
        query, errors = parse_equipment_query(args)
        return query, {field: str(message) for field, message in errors.items()}


def test_good_values() -> None:
    query, errors = _parse(
        {
            "agency_id": "3",
            "status": "in_repair",
            "operational": "no",
            "due_within_days": "30",
            "search": "  RPM  ",
            "sort": "next_due",
            "desc": "1",
            "page": "2",
            "per_page": "100",
        }
    )
    assert errors == {}
    assert query == EquipmentQuery(
        agency_id=3,
        status="in_repair",
        operational=False,
        due_within_days=30,
        search="RPM",
        sort="next_due",
        descending=True,
        page=2,
        per_page=100,
    )


def test_bad_values_are_named_and_dropped() -> None:
    query, errors = _parse(
        {
            "agency_id": "x",
            "status": "lost",
            "operational": "maybe",
            "due_within_days": "-4",
            "sort": "password_hash",
            "page": "0",
            "per_page": "1000",
        }
    )
    assert set(errors) == {
        "agency_id",
        "status",
        "operational",
        "due_within_days",
        "sort",
        "page",
        "per_page",
    }
    assert errors["status"] == "Unknown status: lost."
    assert query == EquipmentQuery()


def test_links_keep_the_query_but_drop_defaults() -> None:
    query = EquipmentQuery(site_id=4, operational=True, sort="site", descending=True, page=3)
    assert query.as_args(page=1) == {"site_id": 4, "operational": "yes", "sort": "site", "desc": 1}
    assert EquipmentQuery().as_args() == {}
