"""Parsing what the KPI pages and /api/v1/kpis are asked: every unusable value is reported."""

from datetime import date

from flask import Flask
from flask_babel import Babel, force_locale

from equiplan.services.kpi_query import KpiQuery, parse_kpi_query


def _parse(args: dict[str, str]) -> tuple[KpiQuery, dict[str, str]]:
    app = Flask(__name__)
    Babel(app)
    with app.app_context(), force_locale("en"):
        query, errors = parse_kpi_query(args)
        return query, {field: str(message) for field, message in errors.items()}


def test_the_default_is_the_whole_scope_over_the_last_12_months() -> None:
    assert _parse({}) == (KpiQuery(), {})
    assert KpiQuery().window_for(date(2026, 3, 15)).first_day == date(2025, 3, 16)


def test_a_level_with_its_id_and_a_custom_window() -> None:
    query, errors = _parse(
        {"level": "type", "id": "7", "window": "custom", "from": "2025-01-01", "to": "2025-06-30"}
    )
    assert errors == {}
    assert query == KpiQuery("type", 7, "custom", date(2025, 1, 1), date(2025, 6, 30))
    assert query.as_args() == {
        "level": "type",
        "id": 7,
        "window": "custom",
        "from": "2025-01-01",
        "to": "2025-06-30",
    }
    assert query.as_args(window="3y") == {"level": "type", "id": 7, "window": "3y"}


def test_dates_alone_make_a_custom_window_and_a_preset_ignores_them() -> None:
    query, errors = _parse({"from": "2025-01-01", "to": "2025-01-31"})
    assert (query.window, errors) == ("custom", {})
    query, errors = _parse({"window": "3y", "from": "2025-01-01", "to": ""})
    assert (query.window, query.first_day, errors) == ("3y", None, {})


def test_bad_values_are_reported_by_field() -> None:
    query, errors = _parse({"level": "planet", "id": "x", "window": "5y"})
    assert set(errors) == {"level", "id", "window"}
    assert query == KpiQuery()
    _, errors = _parse({"level": "agency"})
    assert errors == {"id": "Say which one: an id is required for this level."}
    _, errors = _parse({"id": "3"})
    assert errors == {"id": "The whole scope takes no id."}


def test_a_custom_window_needs_two_good_dates_in_order() -> None:
    query, errors = _parse({"window": "custom", "from": "2025-02-30", "to": "2025-03-01"})
    assert set(errors) == {"from"}
    assert query.window == "12m"  # the default applies instead
    _, errors = _parse({"window": "custom", "from": "2025-03-01"})
    assert errors == {"to": "A custom window needs its first and last day."}
    _, errors = _parse({"window": "custom", "from": "2025-03-01", "to": "2025-02-01"})
    assert errors == {"to": "The window ends before it starts."}
    _, errors = _parse({"window": "custom", "from": "1950-01-01", "to": "2025-01-01"})
    assert errors == {"to": "A window of at most 30 years."}
    _, errors = _parse({"window": "custom", "from": "1850-01-01", "to": "1850-02-01"})
    assert set(errors) == {"from", "to"}
