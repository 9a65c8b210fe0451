"""Work orders through the service: report a fault, start, close, cancel, edit; scheduled work
advances its schedule; the list is scoped, filtered, sorted and counted in SQL."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from equiplan.domain.status import NotOperationalReason
from equiplan.models import AuditEvent, Schedule, WorkOrder
from equiplan.services.equipment import equipment_detail
from equiplan.services.errors import Conflict, NotFound, ValidationError
from equiplan.services.scoping import Scope, scope_for
from equiplan.services.work_orders import (
    cancel_work_order,
    close_work_order,
    failure_code_options,
    get_work_order,
    list_work_orders,
    open_work_order,
    start_work_order,
    technician_options,
    update_work_order,
    work_order_detail,
)
from tests.factories import (
    make_agency,
    make_equipment,
    make_failure_code,
    make_schedule,
    make_user,
    make_work_order,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
OPENED = NOW - timedelta(hours=2)
TODAY = date(2026, 3, 10)
EVERYTHING = Scope.everything()


@pytest.fixture
def shop(session):  # type: ignore[no-untyped-def]
    vsat, customs = make_agency(session, "VSAT"), make_agency(session, "MUIT", kind="customs")
    detector = make_failure_code(session, "DET", name_en="Detector")
    sensitivity = make_failure_code(session, "DET-SENS", detector)
    crystal = make_failure_code(session, "DET-SENS-XTAL", sensitivity)
    make_failure_code(session, "DET-SENS-XTAL-RPL", crystal)
    make_failure_code(session, "PWR", name_en="Power")
    return {
        "vsat": vsat,
        "customs": customs,
        "lane": make_equipment(session, vsat, inventory_no="VSAT-RPM-0001", serial_no="R-1"),
        "prd": make_equipment(session, vsat, inventory_no="VSAT-PRD-0001", serial_no="P-1"),
        "van": make_equipment(session, customs, inventory_no="MUIT-VAN-0001"),
        "officer": make_user(session, "officer", vsat),
        "customs_officer": make_user(session, "officer", customs),
        "technician": make_user(session, "technician"),
        "admin": make_user(session, "admin"),
    }


def _report(session, shop, **fields):  # type: ignore[no-untyped-def]
    values = {
        "equipment_id": shop["lane"].id,
        "kind": "corrective",
        "opened_by_id": shop["officer"].id,
        "symptom": "No gamma alarm on lane 3",
        "failure_code": "DET-SENS",
        "downtime_start": NOW - timedelta(hours=3),
        "now": OPENED,
        **fields,
    }
    return open_work_order(session, scope_for(shop["officer"]), **values)


def _close(session, order, scope=EVERYTHING, **fields):  # type: ignore[no-untyped-def]
    values = {
        "version": order.version,
        "completed_at": NOW - timedelta(minutes=30),
        "result": "pass",
        "cause": "High voltage drifted",
        "remedy": "Readjusted and recalibrated",
        "downtime_end": NOW - timedelta(minutes=30),
        "labour_hours": Decimal("2.5"),
        "parts_cost_cents": 12_050,
        "external_cost_cents": 30_000,
        "failure_code": "DET-SENS-XTAL-RPL",
        "notes": "Spare from stock",
        "now": NOW,
        **fields,
    }
    return close_work_order(session, scope, order.id, **values)


def _state(session, item):  # type: ignore[no-untyped-def]
    return equipment_detail(session, EVERYTHING, item.id, TODAY).state


def test_reporting_a_fault_makes_the_item_not_operational_until_it_is_closed(session, shop) -> None:  # type: ignore[no-untyped-def]
    assert _state(session, shop["lane"]).operational
    order = _report(session, shop)
    session.expire_all()
    stored = session.get(WorkOrder, order.id)
    assert (stored.kind, stored.status, stored.symptom) == (
        "corrective",
        "open",
        "No gamma alarm on lane 3",
    )
    assert stored.downtime_start == NOW - timedelta(hours=3)
    assert stored.opened_at == OPENED
    assert stored.opened_by_id == shop["officer"].id
    state = _state(session, shop["lane"])
    assert not state.operational
    assert state.reasons == (NotOperationalReason.OPEN_DOWNTIME,)

    closed = _close(session, stored, scope_for(shop["technician"]))
    session.expire_all()
    stored = session.get(WorkOrder, closed.id)
    assert stored.status == "done"
    assert stored.completed_at == NOW - timedelta(minutes=30)
    assert stored.downtime_end == NOW - timedelta(minutes=30)
    assert (stored.result, stored.cause, stored.remedy) == (
        "pass",
        "High voltage drifted",
        "Readjusted and recalibrated",
    )
    assert stored.labour_hours == Decimal("2.50")
    assert (stored.parts_cost_cents, stored.external_cost_cents) == (12_050, 30_000)
    assert stored.notes == "Spare from stock"
    path = work_order_detail(session, EVERYTHING, stored.id).failure_path
    assert [code.code for code in path] == [
        "DET",
        "DET-SENS",
        "DET-SENS-XTAL",
        "DET-SENS-XTAL-RPL",
    ]
    assert _state(session, shop["lane"]).operational


def test_every_change_is_in_the_audit_trail(session, shop) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, shop)
    _close(session, order)
    events = session.execute(
        select(AuditEvent.action, AuditEvent.agency_id, AuditEvent.changes)
        .where(AuditEvent.entity == "work_order", AuditEvent.entity_id == order.id)
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["create", "update"]
    assert {e.agency_id for e in events} == {shop["vsat"].id}
    assert events[1].changes["status"] == ["open", "done"]
    detail = work_order_detail(session, scope_for(shop["officer"]), order.id)
    assert [entry.action for entry in detail.history] == ["update", "create"]


def test_a_bad_fault_report_names_every_field_and_writes_nothing(session, shop) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        _report(
            session,
            shop,
            symptom="  ",
            failure_code="NOPE",
            downtime_start=NOW + timedelta(hours=1),
            due_date="31.12.2026",
            technician_id=shop["customs_officer"].id,
        )
    assert caught.value.errors == {
        "symptom": "Describe what is wrong with the item.",
        "failure_code": "Unknown failure code: NOPE.",
        "downtime_start": "This time is in the future.",
        "due_date": "Not a date; use YYYY-MM-DD.",
        "technician_id": "Choose a technician from the list.",
    }
    assert session.execute(select(WorkOrder)).first() is None


def test_kind_and_item_are_checked(session, shop) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        _report(session, shop, kind="magic", equipment_id="x")
    assert set(caught.value.errors) == {"kind", "equipment_id"}
    # Another agency's item is unknown to an officer: the same answer as a missing one.
    for missing in (shop["van"].id, 999_999):
        with pytest.raises(ValidationError) as caught:
            _report(session, shop, equipment_id=missing)
        assert caught.value.errors == {"equipment_id": "Unknown item."}
    gone = make_equipment(session, shop["vsat"], status="decommissioned")
    with pytest.raises(ValidationError) as caught:
        _report(session, shop, equipment_id=gone.id)
    assert "decommissioned" in caught.value.errors["equipment_id"]


def test_json_style_values_are_accepted_and_naive_times_refused(session, shop) -> None:  # type: ignore[no-untyped-def]
    order = _report(
        session,
        shop,
        equipment_id=str(shop["lane"].id),
        downtime_start="2026-03-10T10:30:00+02:00",
        due_date="2026-03-12",
        failure_code="det-sens",
    )
    assert order.downtime_start == datetime(2026, 3, 10, 8, 30, tzinfo=UTC)
    assert order.due_date == date(2026, 3, 12)
    with pytest.raises(ValidationError) as caught:
        _close(
            session,
            order,
            completed_at="2026-03-10T11:00:00",
            downtime_end="2026-03-10T11:00:00Z",
            labour_hours="1,25",
            parts_cost_cents="12.5",
        )
    assert set(caught.value.errors) == {"completed_at", "parts_cost_cents"}
    assert "time zone" in caught.value.errors["completed_at"]
    closed = _close(
        session,
        order,
        completed_at="2026-03-10T13:00:00+02:00",
        downtime_end="2026-03-10T11:00:00Z",
        labour_hours="1,25",
        parts_cost_cents="1250",
    )
    assert closed.labour_hours == Decimal("1.25")
    assert closed.parts_cost_cents == 1250


def test_a_bad_closing_names_every_field_and_writes_nothing(session, shop) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, shop, failure_code=None)
    with pytest.raises(ValidationError) as caught:
        _close(
            session,
            order,
            completed_at=NOW + timedelta(days=1),
            result="great",
            downtime_end=NOW - timedelta(hours=4),
            labour_hours=-1,
            parts_cost_cents=-100,
            failure_code="",
        )
    assert caught.value.errors == {
        "completed_at": "This time is in the future.",
        "result": "Choose one of: pass, fail, conditional.",
        "downtime_end": "Downtime cannot end before it started.",
        "labour_hours": "Enter zero or more.",
        "parts_cost_cents": "Enter zero or more.",
        "failure_code": "A repair can only be closed as done with a failure code.",
    }
    with pytest.raises(ValidationError) as caught:
        _close(session, order, completed_at=NOW - timedelta(days=2), downtime_end=None)
    assert caught.value.errors == {
        "completed_at": "The work cannot be completed before the work order was opened.",
        "downtime_end": (
            "Downtime started on this work order: say when the item was back in operation."
        ),
    }
    session.expire_all()
    stored = session.get(WorkOrder, order.id)
    assert (stored.status, stored.version, stored.completed_at) == ("open", 1, None)


def test_a_stale_version_is_a_conflict_and_writes_nothing(session, shop) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, shop)
    update_work_order(session, EVERYTHING, order.id, version=1, notes="Vendor called")
    for action in (
        lambda: _close(session, order, version=1),
        lambda: start_work_order(session, EVERYTHING, order.id, version=1),
        lambda: cancel_work_order(session, EVERYTHING, order.id, version=1, reason="dup"),
        lambda: update_work_order(session, EVERYTHING, order.id, version=1, symptom="x"),
    ):
        with pytest.raises(Conflict, match="Somebody else changed this work order"):
            action()
    session.expire_all()
    stored = session.get(WorkOrder, order.id)
    assert (stored.status, stored.version, stored.notes) == ("open", 2, "Vendor called")
    assert stored.symptom == "No gamma alarm on lane 3"


def test_status_moves_only_forward(session, shop) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, shop)
    started = start_work_order(
        session,
        EVERYTHING,
        order.id,
        version=1,
        started_by_id=shop["technician"].id,
        now=NOW,
    )
    assert (started.status, started.started_at) == ("in_progress", NOW)
    assert started.version == 2  # one change, one version
    # Whoever starts unassigned work takes it on.
    assert started.technician_id == shop["technician"].id
    with pytest.raises(ValidationError) as caught:
        start_work_order(session, EVERYTHING, order.id, version=started.version)
    assert caught.value.errors == {"status": "The work on this order has already started."}
    closed = _close(session, started)
    for action in (
        lambda: cancel_work_order(session, EVERYTHING, order.id, version=closed.version),
        lambda: _close(session, closed),
        lambda: update_work_order(
            session, EVERYTHING, order.id, version=closed.version, notes="late"
        ),
    ):
        with pytest.raises(ValidationError) as caught:
            action()
        assert caught.value.errors == {"status": "This work order is already closed."}


def test_an_admin_starting_work_is_not_made_its_technician(session, shop) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, shop)
    started = start_work_order(
        session, EVERYTHING, order.id, version=1, started_by_id=shop["admin"].id
    )
    assert started.technician_id is None


def test_cancelling_keeps_the_reason_and_ends_the_downtime_rule(session, shop) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, shop, notes="Reported by phone")
    assert not _state(session, shop["lane"]).operational
    cancelled = cancel_work_order(
        session, EVERYTHING, order.id, version=1, reason="Duplicate of another report"
    )
    assert cancelled.status == "cancelled"
    assert cancelled.notes == "Reported by phone\nCancelled: Duplicate of another report"
    assert cancelled.completed_at is None
    assert _state(session, shop["lane"]).operational


def test_editing_changes_only_the_given_fields(session, shop) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, shop, due_date=date(2026, 3, 20))
    edited = update_work_order(
        session,
        scope_for(shop["officer"]),
        order.id,
        version=1,
        symptom="Intermittent gamma alarm",
        failure_code="PWR",
        technician_id=shop["officer"].id,
    )
    assert edited.version == 2
    assert (edited.symptom, edited.technician_id) == (
        "Intermittent gamma alarm",
        shop["officer"].id,
    )
    assert [c.code for c in work_order_detail(session, EVERYTHING, order.id).failure_path] == [
        "PWR"
    ]
    assert edited.due_date == date(2026, 3, 20)
    assert edited.downtime_start == NOW - timedelta(hours=3)
    with pytest.raises(ValidationError) as caught:
        update_work_order(session, EVERYTHING, order.id, version=2, kind="upgrade", symptom="")
    assert caught.value.errors == {
        "kind": "This field cannot be changed here.",
        "symptom": "Describe what is wrong with the item.",
    }


def test_closing_scheduled_work_advances_its_schedule(session, shop) -> None:  # type: ignore[no-untyped-def]
    schedule = make_schedule(
        session,
        shop["prd"],
        date(2026, 3, 15),
        kind="preventive",
        interval_value=6,
        grace_days=10,
    )
    order = open_work_order(
        session,
        EVERYTHING,
        equipment_id=shop["prd"].id,
        kind="preventive",
        opened_by_id=shop["technician"].id,
        now=NOW,
    )
    # Tied to the item's schedule of that kind, due when it is due.
    assert (order.schedule_id, order.due_date) == (schedule.id, date(2026, 3, 15))
    # 23:30 UTC on the 10th is already the 11th in Vilnius: the local day counts.
    _close(
        session,
        order,
        completed_at=datetime(2026, 3, 10, 23, 30, tzinfo=UTC),
        now=datetime(2026, 3, 11, 6, 0, tzinfo=UTC),
        downtime_end=None,
        failure_code=None,
        cause="",
        remedy="",
    )
    session.expire_all()
    assert session.get(WorkOrder, order.id).version == 2  # one change, one version
    stored = session.get(Schedule, schedule.id)
    assert stored.last_completed == date(2026, 3, 11)
    assert stored.next_due == date(2026, 9, 15)
    assert stored.grace_ends_on == date(2026, 9, 25)


def test_scheduled_work_opened_before_its_schedule_existed_still_advances_it(session, shop) -> None:  # type: ignore[no-untyped-def]
    order = make_work_order(session, shop["prd"], kind="source_check", opened_at=OPENED)
    schedule = make_schedule(session, shop["prd"], date(2026, 3, 1), kind="source_check")
    closed = _close(session, order, downtime_end=None, failure_code=None)
    assert closed.schedule_id == schedule.id
    session.expire_all()
    assert session.get(Schedule, schedule.id).next_due == date(2027, 3, 1)


def test_failed_work_and_calibrations_without_a_result_leave_the_schedule_due(
    session, shop
) -> None:  # type: ignore[no-untyped-def]
    # A calibration is fulfilled only by its recorded result (the calibration pages), and
    # failed work fulfils nothing: the item must not turn operational by closing an order.
    for kind, result in (("calibration", "pass"), ("preventive", "fail")):
        schedule = make_schedule(session, shop["prd"], date(2026, 3, 1), kind=kind)
        order = make_work_order(session, shop["prd"], kind=kind, opened_at=OPENED)
        closed = _close(session, order, downtime_end=None, failure_code=None, result=result)
        assert (closed.status, closed.schedule_id) == ("done", schedule.id)
        session.expire_all()
        assert session.get(Schedule, schedule.id).next_due == date(2026, 3, 1), kind


def test_cancelled_or_unscheduled_work_leaves_schedules_alone(session, shop) -> None:  # type: ignore[no-untyped-def]
    schedule = make_schedule(session, shop["lane"], date(2026, 3, 15), kind="calibration")
    calibration = open_work_order(
        session,
        EVERYTHING,
        equipment_id=shop["lane"].id,
        kind="calibration",
        opened_by_id=None,
        now=NOW,
    )
    cancel_work_order(session, EVERYTHING, calibration.id, version=1)
    _close(session, _report(session, shop))  # a repair is not the calibration
    session.expire_all()
    stored = session.get(Schedule, schedule.id)
    assert (stored.next_due, stored.last_completed, stored.version) == (
        date(2026, 3, 15),
        None,
        1,
    )


def test_agency_scoping(session, shop) -> None:  # type: ignore[no-untyped-def]
    order = _report(session, shop)
    customs = scope_for(shop["customs_officer"])
    with pytest.raises(NotFound):
        get_work_order(session, customs, order.id)
    with pytest.raises(NotFound):
        work_order_detail(session, customs, order.id)
    with pytest.raises(NotFound):
        _close(session, order, customs)
    with pytest.raises(NotFound):
        cancel_work_order(session, customs, order.id, version=1)
    assert get_work_order(session, scope_for(shop["technician"]), order.id).id == order.id
    assert list_work_orders(session, customs).total == 0


def test_the_list_filters_sorts_counts_and_pages_in_sql(session, shop) -> None:  # type: ignore[no-untyped-def]
    repair = _report(session, shop)
    make_work_order(
        session,
        shop["prd"],
        kind="preventive",
        status="in_progress",
        opened_at=NOW - timedelta(days=1),
        due_date=date(2026, 3, 1),
    )
    make_work_order(
        session, shop["prd"], kind="upgrade", status="done", opened_at=NOW - timedelta(days=9)
    )
    make_work_order(
        session, shop["van"], kind="corrective", symptom="Van detector noisy", opened_at=NOW
    )

    def numbers(scope=EVERYTHING, **query):  # type: ignore[no-untyped-def]
        page = list_work_orders(session, scope, **query)
        return page.total, [(row.inventory_no, row.order.kind) for row in page.items]

    # Open and in-progress work first, newest first; ties broken by id.
    assert numbers() == (
        3,
        [
            ("MUIT-VAN-0001", "corrective"),
            ("VSAT-RPM-0001", "corrective"),
            ("VSAT-PRD-0001", "preventive"),
        ],
    )
    assert numbers(status="all")[0] == 4
    assert numbers(status="done") == (1, [("VSAT-PRD-0001", "upgrade")])
    assert numbers(kind="preventive") == (1, [("VSAT-PRD-0001", "preventive")])
    assert numbers(agency_id=shop["customs"].id) == (1, [("MUIT-VAN-0001", "corrective")])
    assert numbers(equipment_id=shop["prd"].id, status="all")[0] == 2
    assert numbers(search="NOISY") == (1, [("MUIT-VAN-0001", "corrective")])
    assert numbers(search="rpm-0001") == (1, [("VSAT-RPM-0001", "corrective")])
    assert numbers(search="100%")[0] == 0  # wildcards are matched literally
    assert numbers(scope_for(shop["officer"]))[0] == 2
    assert [n for n, _ in numbers(sort="inventory_no", descending=False)[1]] == [
        "MUIT-VAN-0001",
        "VSAT-PRD-0001",
        "VSAT-RPM-0001",
    ]
    assert [n for n, _ in numbers(sort="agency", descending=False)[1]][0] == "MUIT-VAN-0001"
    assert [n for n, _ in numbers(sort="agency")[1]][-1] == "MUIT-VAN-0001"
    # Orders without a due date come last either way.
    assert numbers(sort="due_date")[1][0] == ("VSAT-PRD-0001", "preventive")
    page_two = list_work_orders(session, EVERYTHING, status="all", per_page=3, page=2)
    assert (page_two.total, page_two.pages, len(page_two.items)) == (4, 2, 1)
    row = list_work_orders(session, EVERYTHING, search="lane 3").items[0]
    assert (row.order.id, row.agency_code, row.failure_code) == (repair.id, "VSAT", "DET-SENS")


def test_the_list_costs_two_queries_whatever_the_page_size(session, shop) -> None:  # type: ignore[no-untyped-def]
    for n in range(12):
        make_work_order(
            session,
            shop["lane"] if n % 2 else shop["van"],
            technician_id=shop["technician"].id,
            opened_at=NOW - timedelta(hours=n),
        )
    statements: list[str] = []

    def count(*args) -> None:  # type: ignore[no-untyped-def]
        statements.append(args[2])

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        page = list_work_orders(session, EVERYTHING, per_page=25)
        names = {row.technician_name for row in page.items}
        codes = {row.agency_code for row in page.items}
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert page.total == 12
    assert names == {shop["technician"].name}
    assert codes == {"VSAT", "MUIT"}
    assert len(statements) == 2


def test_the_forms_choices(session, shop) -> None:  # type: ignore[no-untyped-def]
    groups = failure_code_options(session)
    assert [g.code for g in groups] == ["DET", "PWR"]
    assert [(o.code, o.depth) for o in groups[0].options] == [
        ("DET", 0),
        ("DET-SENS", 1),
        ("DET-SENS-XTAL", 2),
        ("DET-SENS-XTAL-RPL", 3),
    ]
    people = technician_options(session, shop["lane"])
    assert shop["technician"] in people
    assert shop["officer"] in people
    assert shop["customs_officer"] not in people
    assert shop["admin"] not in people
