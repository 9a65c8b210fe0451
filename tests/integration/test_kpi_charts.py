"""The KPI charts' figures from SQL aggregates, on SQLite and PostgreSQL: small fleets whose
numbers are worked out by hand (time zone Europe/Vilnius: UTC+2 in winter, UTC+3 in summer)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session

from equiplan.db import make_engine, upgrade
from equiplan.services.kpi_chart_availability import availability_over_time, month_bounds
from equiplan.services.kpi_chart_data import ChartClock, ChartData, ChartFilter
from equiplan.services.kpi_chart_survival import survival_curve
from equiplan.services.kpi_charts import age_against_design_life, cost_per_year, failures_per_year
from equiplan.services.scoping import Scope
from tests.factories import (
    make_agency,
    make_equipment,
    make_failure_code,
    make_model,
    make_type,
    make_work_order,
)

ZONE = "Europe/Vilnius"
CLOCK = ChartClock(date(2026, 6, 15), datetime(2026, 6, 15, 9, 0, tzinfo=UTC), ZONE)
EVERYTHING = Scope.everything()


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _series(chart: ChartData) -> dict[str, dict[Any, float | None]]:
    """{series name: {x: y}} of a chart."""
    return {str(s.name): dict(zip(s.x, s.y, strict=True)) for s in chart.series}


def _scope(agency: Any) -> Scope:
    return Scope(agency_id=agency.id, all_agencies=False)


@pytest.fixture
def fleet(session: Session) -> dict[str, Any]:
    """Two agencies, two types (TA: design life 10 years, TB: 4 years), one item each."""
    a, b = make_agency(session, "AA"), make_agency(session, "BB")
    ta = make_type(session, "TA", design_life_years=10)
    tb = make_type(session, "TB", design_life_years=4)
    code = make_failure_code(session, "CH-F1")
    a1 = make_equipment(session, a, make_model(session, ta), commissioned_on=date(2020, 1, 1))
    b1 = make_equipment(session, b, make_model(session, tb), commissioned_on=date(2020, 1, 1))
    return {"a": a, "b": b, "ta": ta, "tb": tb, "code": code, "a1": a1, "b1": b1}


def test_failures_per_year_by_local_year_of_the_failure(
    session: Session, fleet: dict[str, Any]
) -> None:
    a1, b1, code = fleet["a1"], fleet["b1"], fleet["code"].id
    failure = {"kind": "corrective", "failure_code_id": code, "status": "in_progress"}
    make_work_order(session, a1, **failure, opened_at=_utc(2023, 7, 1))  # no downtime: reported
    make_work_order(session, a1, **failure, downtime_start=_utc(2024, 3, 1, 10))
    make_work_order(session, a1, **failure, downtime_start=_utc(2025, 5, 5))
    # 23:30 UTC on New Year's Eve is 01:30 on 1 January in Vilnius: a 2026 failure.
    make_work_order(session, a1, **failure, downtime_start=_utc(2025, 12, 31, 23, 30))
    make_work_order(session, b1, **failure, downtime_start=_utc(2025, 2, 2))
    # Not failures: repair without a failure code, a cancelled one, a preventive job.
    make_work_order(session, a1, kind="corrective", downtime_start=_utc(2024, 1, 5))
    make_work_order(session, a1, **{**failure, "status": "cancelled"}, opened_at=_utc(2024, 2, 2))
    make_work_order(session, a1, kind="preventive", failure_code_id=code)

    chart = failures_per_year(session, EVERYTHING, ChartFilter(), CLOCK)
    assert _series(chart) == {
        "TA": {2023: 1, 2024: 1, 2025: 1, 2026: 1},
        "TB": {2023: 0, 2024: 0, 2025: 1, 2026: 0},
    }
    assert [row[0] for row in chart.rows] == [2023, 2024, 2025, 2026]
    assert [row[-1] for row in chart.rows] == [1, 1, 2, 1]  # the total column

    by_agency = failures_per_year(session, EVERYTHING, ChartFilter(by="agency"), CLOCK)
    assert {name: sum(v or 0 for v in ys.values()) for name, ys in _series(by_agency).items()} == {
        "AA": 4,
        "BB": 1,
    }
    # An officer of BB sees only BB's failure, and the years from it to this year.
    officer = failures_per_year(session, _scope(fleet["b"]), ChartFilter(), CLOCK)
    assert _series(officer) == {"TB": {2025: 1, 2026: 0}}
    narrowed = failures_per_year(session, EVERYTHING, ChartFilter(type_id=fleet["tb"].id), CLOCK)
    assert list(_series(narrowed)) == ["TB"]


def test_cost_per_year_counts_parts_and_external_work_completed_in_the_year(
    session: Session, fleet: dict[str, Any]
) -> None:
    a1, b1 = fleet["a1"], fleet["b1"]
    done = {"kind": "preventive", "status": "done"}
    make_work_order(
        session,
        a1,
        **done,
        completed_at=_utc(2024, 6, 1),
        parts_cost_cents=10_000,
        external_cost_cents=5_000,
        labour_hours=8,
    )
    # 22:30 UTC on 31 December is 00:30 on 1 January in Vilnius.
    make_work_order(
        session, a1, **done, completed_at=_utc(2025, 12, 31, 22, 30), parts_cost_cents=2_000
    )
    make_work_order(session, b1, **done, completed_at=_utc(2025, 3, 1), external_cost_cents=12_345)
    # Not spent yet, or never: open and cancelled work with costs on it.
    make_work_order(session, a1, kind="corrective", status="open", parts_cost_cents=99_900)
    make_work_order(
        session,
        b1,
        kind="corrective",
        status="cancelled",
        completed_at=_utc(2025, 3, 1),
        parts_cost_cents=99_900,
    )

    chart = cost_per_year(session, EVERYTHING, ChartFilter(), CLOCK)
    assert _series(chart) == {
        "TA": {2024: 150.0, 2025: 0.0, 2026: 20.0},
        "TB": {2024: 0.0, 2025: 123.45, 2026: 0.0},
    }
    assert [row[-1] for row in chart.rows] == [150.0, 123.45, 20.0]
    officer = cost_per_year(session, _scope(fleet["a"]), ChartFilter(by="agency"), CLOCK)
    assert _series(officer) == {"AA": {2024: 150.0, 2025: 0.0, 2026: 20.0}}


def test_age_against_design_life_by_band_and_share_past_it(
    session: Session, fleet: dict[str, Any]
) -> None:
    a, b, ta, tb = fleet["a"], fleet["b"], fleet["ta"], fleet["tb"]
    session.delete(fleet["a1"])
    session.delete(fleet["b1"])
    session.commit()
    ta_model, tb_model = make_model(session, ta), make_model(session, tb)
    # Today 2026-06-15. TA (10 years = 3,652.5 days):
    make_equipment(session, a, ta_model, commissioned_on=date(2024, 6, 15))  # 730 d: 20 %
    make_equipment(session, a, ta_model, commissioned_on=date(2016, 6, 15))  # 3,652 d: 99.99 %
    make_equipment(session, a, ta_model, commissioned_on=date(2010, 1, 1))  # 164 %
    make_equipment(session, a, ta_model, commissioned_on=date(2026, 9, 1))  # not yet in the fleet
    # TB (4 years = 1,461 days):
    make_equipment(session, b, tb_model, commissioned_on=date(2021, 6, 15))  # 1,826 d: 125 %
    make_equipment(  # only an acquisition date: 365 days, 25.0 %
        session, b, tb_model, commissioned_on=None, acquired_on=date(2025, 6, 15)
    )
    make_equipment(session, b, tb_model, commissioned_on=None)  # no date: not charted
    make_equipment(
        session,
        b,
        tb_model,
        commissioned_on=date(2000, 1, 1),
        status="decommissioned",
        decommissioned_on=date(2020, 1, 1),
    )

    chart = age_against_design_life(session, EVERYTHING, ChartFilter(), CLOCK)
    assert _series(chart) == {
        "TA": dict(zip(chart.series[0].x, (1, 0, 0, 1, 0, 1), strict=True)),
        "TB": dict(zip(chart.series[0].x, (1, 0, 0, 0, 1, 0), strict=True)),
    }
    assert [row[-2:] for row in chart.rows] == [(3, pytest.approx(1 / 3)), (2, 0.5)]
    facts = {str(f.label): f.value for f in chart.facts}
    assert facts["Devices in the fleet"] == 5
    assert facts["Past design life"] == pytest.approx(2 / 5)
    assert facts["Without a commissioning date (not shown)"] == 1
    # Split "by agency" changes nothing here: design life belongs to the type.
    officer = age_against_design_life(session, _scope(b), ChartFilter(by="agency"), CLOCK)
    assert [row[0] for row in officer.rows] == ["TB"]


def test_monthly_availability_from_merged_downtime(session: Session, fleet: dict[str, Any]) -> None:
    a, b = fleet["a"], fleet["b"]
    session.delete(fleet["a1"])
    session.commit()
    x = make_equipment(
        session, a, make_model(session, fleet["ta"]), commissioned_on=date(2026, 3, 10)
    )
    y = fleet["b1"]  # TB since 2020, decommissioned on 20 May 2026
    y.status, y.decommissioned_on = "decommissioned", date(2026, 5, 20)
    session.add(y)
    session.commit()
    repair = {"kind": "corrective", "status": "done"}
    # April: 24 h and 36 h overlapping by 12 h (a calibration's downtime counts too) = 48 h ...
    make_work_order(
        session, x, **repair, downtime_start=_utc(2026, 4, 10), downtime_end=_utc(2026, 4, 11)
    )
    make_work_order(
        session,
        x,
        kind="calibration",
        status="done",
        downtime_start=_utc(2026, 4, 10, 12),
        downtime_end=_utc(2026, 4, 12),
    )
    # ... and a repair over midnight of 1 May local (21:00 UTC): 3 h in April, 6 h in May.
    make_work_order(
        session, x, **repair, downtime_start=_utc(2026, 4, 30, 18), downtime_end=_utc(2026, 5, 1, 3)
    )
    # June: downtime still open since 03:00 UTC; now is 09:00 UTC: 6 h.
    make_work_order(
        session, x, kind="corrective", status="in_progress", downtime_start=_utc(2026, 6, 15, 3)
    )
    # Not downtime that counts: a cancelled repair, preventive work.
    for kind, status in (("corrective", "cancelled"), ("preventive", "done")):
        make_work_order(
            session,
            x,
            kind=kind,
            status=status,
            downtime_start=_utc(2026, 5, 10),
            downtime_end=_utc(2026, 5, 20),
        )

    chart = availability_over_time(session, EVERYTHING, ChartFilter(), CLOCK)
    months = [label for label, _s, _e in month_bounds(CLOCK)]
    assert months[0] == "2024-07"
    assert months[-1] == "2026-06"
    # Hours in the fleet of x: March from the 10th (22 days less the hour lost on 29 March),
    # April 720, May 744, June 1st 00:00 EEST (31 May 21:00 UTC) to now: 348.
    ta = _series(chart)["TA"]
    assert ta["2026-02"] is None
    assert ta["2026-03"] == 1.0
    assert ta["2026-04"] == pytest.approx((720 - 51) / 720)
    assert ta["2026-05"] == pytest.approx((744 - 6) / 744)
    assert ta["2026-06"] == pytest.approx((348 - 6) / 348)
    tb = _series(chart)["TB"]
    assert tb["2024-07"] == 1.0
    assert tb["2026-05"] == 1.0
    assert tb["2026-06"] is None
    # All devices in May: x's 744 h and y's 19 days (456 h) until its decommissioning.
    everyone = _series(chart)["All devices"]
    assert everyone["2026-05"] == pytest.approx((744 + 456 - 6) / (744 + 456))
    assert everyone["2026-06"] == pytest.approx((348 - 6) / 348)
    assert chart.rows[-2][-1] == pytest.approx((744 + 456 - 6) / (744 + 456))

    officer = availability_over_time(session, _scope(b), ChartFilter(), CLOCK)
    assert list(_series(officer)) == ["TB", "All devices"]


@pytest.fixture
def lifetimes(session: Session) -> dict[str, Any]:
    """A model whose records begin on 1 January 2021 (a preventive job on an older device)."""
    agency, other = make_agency(session, "LT1"), make_agency(session, "LT2")
    kind = make_type(session, "TC", design_life_years=10, weibull_beta=2.5, weibull_eta_factor=1.2)
    model = make_model(session, kind)
    code = make_failure_code(session, "CH-F2").id
    old = make_equipment(session, agency, model, commissioned_on=date(2015, 1, 1))
    make_work_order(session, old, kind="preventive", status="done", opened_at=_utc(2021, 1, 1))

    def failing(commissioned: date, *failures: datetime, **fields: Any) -> None:
        item = make_equipment(session, agency, model, commissioned_on=commissioned, **fields)
        for moment in failures:
            make_work_order(
                session, item, kind="corrective", failure_code_id=code, downtime_start=moment
            )

    failing(date(2022, 1, 1), _utc(2023, 1, 1, 10))  # first failure at 365 days
    failing(date(2022, 1, 1), _utc(2024, 1, 1, 10), _utc(2025, 3, 3))  # at 730 days
    failing(date(2022, 1, 1))  # censored today: 1,626 days
    failing(date(2023, 1, 1), status="decommissioned", decommissioned_on=date(2024, 7, 1))  # 547
    failing(date(2022, 1, 1), _utc(2023, 1, 1, 12))  # 365 days, with the first
    return {"model": model, "agency": agency, "other": other}


def test_survival_curve_is_kaplan_meier_with_the_priors_line(
    session: Session, lifetimes: dict[str, Any]
) -> None:
    chart = survival_curve(session, EVERYTHING, ChartFilter(), CLOCK)  # the largest model
    year = 365.25
    # Kaplan–Meier: 2 of 5 fail at 365 days (S = 0.6), one censored at 547, 1 of 2 at 730 days.
    assert chart.rows[0][:2] == (0.0, 1.0)
    assert [(round(r[0] * year), r[1], r[3], r[4]) for r in chart.rows[1:]] == [
        (365, pytest.approx(0.6), 5, 2),
        (730, pytest.approx(0.3), 2, 1),
    ]
    facts = {str(f.label): f.value for f in chart.facts}
    assert str(facts["Parameters"]) == "priors"  # 3 failures: too few to fit
    assert (facts["Shape β"], facts["Scale η (years)"]) == (2.5, 12.0)
    assert (facts["First failures"], facts["Censored lifetimes"]) == (3, 2)
    assert facts["Records begin"] == date(2021, 1, 1)

    # λ0: 4 failures since the records began over the years in the fleet since then, less the
    # wear-out the priors expect over them: (2 + n − W) / (2 / λ_prior + T), λ_prior = 0.876.
    spans = [(2192, 4183)] + [(0, 1626)] * 4 + [(0, 547)]  # (from, to) days of age
    exposure = sum(to - start for start, to in spans) / year
    wear_out = sum(((to / year) / 12) ** 2.5 - ((start / year) / 12) ** 2.5 for start, to in spans)
    lam = (2 + 4 - wear_out) / (2 / 0.876 + exposure)
    assert facts["Random failures λ0 per year"] == pytest.approx(lam)
    # The line beside the steps: exp(−λ0 t − (t / η)^β) at each step's age.
    for age, _km, line, _risk, _failed in chart.rows:
        assert line == pytest.approx(math.exp(-lam * age - (age / 12) ** 2.5))
    assert chart.series[1].x[0] == 0.0
    assert chart.series[1].x[-1] == pytest.approx(1626 / year)


def test_survival_curve_is_scoped(session: Session, lifetimes: dict[str, Any]) -> None:
    model_id = lifetimes["model"].id
    foreign = survival_curve(
        session, _scope(lifetimes["other"]), ChartFilter(model_id=model_id), CLOCK
    )
    assert foreign.empty
    assert foreign.series == ()
    own = survival_curve(
        session, _scope(lifetimes["agency"]), ChartFilter(model_id=model_id), CLOCK
    )
    assert len(own.rows) == 3
    nothing = survival_curve(session, _scope(lifetimes["other"]), ChartFilter(), CLOCK)
    assert nothing.empty


def test_the_survival_curve_works_on_a_fresh_connection(empty_database_url: str) -> None:
    # Choosing the largest model used SQLite's functions before they were installed: an
    # error on a connection no other KPI query had prepared (the first chart after a start).
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with Session(engine) as session:
            make_equipment(session, make_agency(session, "VSAT"))
            session.commit()
        engine.dispose()  # the next session gets a connection of its own
        with Session(engine) as session:
            chart = survival_curve(session, EVERYTHING, ChartFilter(), CLOCK)
        assert "Reliability" in str(chart.title)
    finally:
        engine.dispose()
