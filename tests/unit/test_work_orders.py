"""Work-order rules: status transitions, a consistent fault report, a consistent closing."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from equiplan.domain.work_orders import (
    MAX_COST_CENTS,
    Action,
    Closing,
    Opening,
    Problem,
    allowed_actions,
    amount_problems,
    can_move,
    closing_problems,
    is_closed,
    is_scheduled_kind,
    opening_problems,
)

NOW = datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)
OPENED = datetime(2026, 3, 9, 8, 15, 42, tzinfo=UTC)

REPAIR = Closing(
    status="in_progress",
    kind="corrective",
    opened_at=OPENED,
    downtime_start=datetime(2026, 3, 9, 7, 0, tzinfo=UTC),
    completed_at=datetime(2026, 3, 10, 11, 0, tzinfo=UTC),
    downtime_end=datetime(2026, 3, 10, 11, 0, tzinfo=UTC),
    result="pass",
    has_failure_code=True,
    labour_hours=Decimal("2.5"),
    parts_cost_cents=12_050,
    external_cost_cents=0,
)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("open", "in_progress", True),
        ("open", "done", True),
        ("open", "cancelled", True),
        ("in_progress", "done", True),
        ("in_progress", "cancelled", True),
        ("in_progress", "open", False),
        ("in_progress", "in_progress", False),
        ("done", "in_progress", False),
        ("done", "cancelled", False),
        ("cancelled", "open", False),
        ("cancelled", "done", False),
        ("lost", "done", False),
    ],
)
def test_status_transitions(current: str, target: str, allowed: bool) -> None:
    assert can_move(current, target) is allowed


def test_actions_follow_the_status() -> None:
    assert allowed_actions("open") == {Action.START, Action.CLOSE, Action.CANCEL, Action.EDIT}
    assert allowed_actions("in_progress") == {Action.CLOSE, Action.CANCEL, Action.EDIT}
    assert allowed_actions("done") == frozenset()
    assert allowed_actions("cancelled") == frozenset()
    assert is_closed("done")
    assert is_closed("cancelled")
    assert not is_closed("in_progress")


def test_scheduled_kinds_are_the_schedule_kinds() -> None:
    for kind in ("calibration", "source_check", "performance_test", "preventive", "inspection"):
        assert is_scheduled_kind(kind), kind
    for kind in ("corrective", "firmware_update", "upgrade", "relocation", "decommissioning"):
        assert not is_scheduled_kind(kind), kind


def test_a_fault_report_says_what_is_wrong() -> None:
    assert opening_problems(Opening("corrective", "  ", None), NOW) == {"symptom": Problem.REQUIRED}
    assert opening_problems(Opening("corrective", "No gamma alarm", NOW), NOW) == {}
    # Other work needs no symptom.
    assert opening_problems(Opening("preventive", "", None), NOW) == {}


def test_downtime_cannot_start_in_the_future() -> None:
    later = NOW + timedelta(minutes=1)
    assert opening_problems(Opening("corrective", "dead", later), NOW) == {
        "downtime_start": Problem.IN_FUTURE
    }


def test_a_consistent_repair_closes() -> None:
    assert closing_problems(REPAIR, NOW) == {}


def test_completion_lies_between_opening_and_now() -> None:
    assert closing_problems(replace(REPAIR, completed_at=None), NOW) == {
        "completed_at": Problem.REQUIRED
    }
    future = replace(REPAIR, completed_at=NOW + timedelta(seconds=1))
    assert closing_problems(future, NOW) == {"completed_at": Problem.IN_FUTURE}
    early = replace(REPAIR, completed_at=datetime(2026, 3, 9, 8, 14, tzinfo=UTC))
    assert closing_problems(early, NOW) == {"completed_at": Problem.BEFORE_OPENING}
    # Typed to the minute: the minute the order was opened counts (opened at 08:15:42).
    same_minute = replace(REPAIR, completed_at=datetime(2026, 3, 9, 8, 15, tzinfo=UTC))
    assert closing_problems(same_minute, NOW) == {}


def test_downtime_that_began_must_end_after_it_began_and_not_in_the_future() -> None:
    assert closing_problems(replace(REPAIR, downtime_end=None), NOW) == {
        "downtime_end": Problem.DOWNTIME_STILL_OPEN
    }
    before = replace(REPAIR, downtime_end=datetime(2026, 3, 9, 6, 59, tzinfo=UTC))
    assert closing_problems(before, NOW) == {"downtime_end": Problem.BEFORE_DOWNTIME_START}
    future = replace(REPAIR, downtime_end=NOW + timedelta(hours=1))
    assert closing_problems(future, NOW) == {"downtime_end": Problem.IN_FUTURE}
    # An end with no start is a mistake, not a zero-length outage.
    no_start = replace(REPAIR, downtime_start=None)
    assert closing_problems(no_start, NOW) == {"downtime_end": Problem.NO_DOWNTIME_START}
    # No downtime at all is fine (the item kept working).
    assert closing_problems(replace(no_start, downtime_end=None), NOW) == {}


def test_a_repair_needs_a_failure_code_other_work_does_not() -> None:
    assert closing_problems(replace(REPAIR, has_failure_code=False), NOW) == {
        "failure_code": Problem.FAILURE_CODE_REQUIRED
    }
    service = replace(
        REPAIR, kind="preventive", has_failure_code=False, downtime_start=None, downtime_end=None
    )
    assert closing_problems(service, NOW) == {}


def test_a_result_is_required() -> None:
    assert closing_problems(replace(REPAIR, result=None), NOW) == {"result": Problem.REQUIRED}


def test_closed_orders_cannot_be_closed_again() -> None:
    for status in ("done", "cancelled"):
        assert closing_problems(replace(REPAIR, status=status), NOW) == {
            "status": Problem.NOT_ALLOWED_NOW
        }
    assert closing_problems(replace(REPAIR, status="open"), NOW) == {}


def test_every_problem_is_reported_at_once() -> None:
    bad = replace(
        REPAIR,
        completed_at=None,
        result=None,
        downtime_end=None,
        has_failure_code=False,
        labour_hours=Decimal("-1"),
        parts_cost_cents=-5,
        external_cost_cents=MAX_COST_CENTS + 1,
    )
    assert closing_problems(bad, NOW) == {
        "completed_at": Problem.REQUIRED,
        "result": Problem.REQUIRED,
        "downtime_end": Problem.DOWNTIME_STILL_OPEN,
        "failure_code": Problem.FAILURE_CODE_REQUIRED,
        "labour_hours": Problem.NEGATIVE,
        "parts_cost_cents": Problem.NEGATIVE,
        "external_cost_cents": Problem.TOO_LARGE,
    }


def test_amounts_fit_their_columns() -> None:
    assert amount_problems(Decimal("0"), 0, 0) == {}
    assert amount_problems(Decimal("999999.99"), MAX_COST_CENTS, MAX_COST_CENTS) == {}
    assert amount_problems(Decimal("1000000"), 0, 0) == {"labour_hours": Problem.TOO_LARGE}
