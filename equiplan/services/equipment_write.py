"""Changing the register: register an item, edit it, move it between sites, decommission it.

The same functions serve the web forms, the JSON API and the importer, so each takes plain
values (or text, through `coerce_equipment_fields`) and reports every problem at once as a
`ValidationError` keyed by field name. Each change is one transaction; a stale `version` is a
`Conflict` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from equiplan.domain.scheduling import Interval, IntervalUnit, add_interval
from equiplan.models import Agency, Equipment, EquipmentModel, EquipmentType, Schedule, Site
from equiplan.models.base import utcnow
from equiplan.models.equipment import CONDITIONS, EQUIPMENT_STATUSES, FUNDING_SOURCES
from equiplan.services import input_fields
from equiplan.services.errors import Conflict, ValidationError
from equiplan.services.schedule_completion import set_next_due
from equiplan.services.scoping import Scope, get_scoped, scoped

# Statuses an edit may set; decommissioning is its own action, with a reason.
EDITABLE_STATUSES = tuple(s for s in EQUIPMENT_STATUSES if s != "decommissioned")
REQUIRED_FIELDS = ("inventory_no", "serial_no", "model_id", "agency_id")
MAX_LENGTHS = {"inventory_no": 40, "serial_no": 80, "notes": 4000, "decommission_reason": 500}


def _text(name: str) -> Callable[[Any], str]:
    return input_fields.text(MAX_LENGTHS[name], single_line=name in ("inventory_no", "serial_no"))


# Field name -> parser from text or JSON value to the stored value.
FIELD_PARSERS: dict[str, Callable[[Any], Any]] = {
    "inventory_no": _text("inventory_no"),
    "serial_no": _text("serial_no"),
    "model_id": input_fields.optional_id,
    "agency_id": input_fields.optional_id,
    "site_id": input_fields.optional_id,
    "status": input_fields.choice(EDITABLE_STATUSES),
    "acquired_on": input_fields.day,
    "commissioned_on": input_fields.day,
    "funding_source": input_fields.choice(FUNDING_SOURCES),
    "acquisition_cost_cents": input_fields.cents,
    "acquisition_cost_eur": input_fields.euros,  # for people: stored as acquisition_cost_cents
    "warranty_end": input_fields.day,
    "condition": input_fields.choice(CONDITIONS),
    "notes": _text("notes"),
}
# Fields given under another name than the column they fill.
STORED_AS = {"acquisition_cost_eur": "acquisition_cost_cents"}
EDITABLE_FIELDS = tuple(name for name in FIELD_PARSERS if name not in STORED_AS)


def coerce_equipment_fields(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse the given fields (text or JSON values) into stored values, with every problem."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in raw.items():
        parser = FIELD_PARSERS.get(name)
        if parser is None:
            errors[name] = str(_l("Unknown field."))
            continue
        try:
            values[STORED_AS.get(name, name)] = parser(value)
        except ValueError as error:
            errors[name] = str(error)
    return values, errors


def check_equipment(
    session: Session,
    scope: Scope,
    values: Mapping[str, Any],
    existing: Equipment | None = None,
    *,
    check_duplicates: bool = True,
) -> dict[str, str]:
    """Every problem of an item that would have `values` (merged over `existing`), by field.

    `check_duplicates=False` skips the two lookups of taken numbers, for a caller (the
    importer) that already knows from one query for a whole file that they are free.
    """
    merged = {name: getattr(existing, name) for name in EDITABLE_FIELDS} if existing else {}
    merged.update(values)
    errors: dict[str, str] = {}
    for name in REQUIRED_FIELDS:
        if merged.get(name) in (None, ""):
            errors[name] = str(_l("This field is required."))
    agency_id = merged.get("agency_id")
    if agency_id is not None and "agency_id" not in errors:
        agency = session.get(Agency, agency_id)
        if agency is None or not scope.allows_agency(agency_id):
            errors["agency_id"] = str(_l("Unknown agency."))
    model_id = merged.get("model_id")
    if model_id is not None and session.get(EquipmentModel, model_id) is None:
        errors["model_id"] = str(_l("Unknown model."))
    site_id = merged.get("site_id")
    if site_id is not None and ("site_id" in values or "agency_id" in values):
        site_agency = session.execute(
            scoped(select(Site.agency_id).where(Site.id == site_id), Site, scope)
        ).scalar_one_or_none()
        if site_agency is None:
            errors["site_id"] = str(_l("Unknown site."))
        elif agency_id is not None and site_agency != agency_id:
            # An item stands at a site of its own agency: otherwise its officers would see
            # another agency's site, and could not save the item again.
            errors["site_id"] = str(_l("This site belongs to another agency."))
    acquired, commissioned = merged.get("acquired_on"), merged.get("commissioned_on")
    if acquired and commissioned and commissioned < acquired:
        errors["commissioned_on"] = str(_l("Commissioned before it was acquired."))
    if check_duplicates:
        errors.update(_duplicates(session, merged, existing))
    return errors


def _duplicates(
    session: Session, merged: Mapping[str, Any], existing: Equipment | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    others = (Equipment.id != existing.id) if existing is not None else True
    inventory_no = merged.get("inventory_no")
    if inventory_no:
        # Across all agencies: inventory numbers are unique nationally. The message does not
        # say whose item holds the number.
        taken = session.execute(
            select(Equipment.id).where(
                func.lower(Equipment.inventory_no) == inventory_no.lower(), others
            )
        ).first()
        if taken:
            errors["inventory_no"] = str(_l("This inventory number is already registered."))
    serial_no, model_id = merged.get("serial_no"), merged.get("model_id")
    if serial_no and model_id:
        taken = session.execute(
            select(Equipment.id).where(
                Equipment.model_id == model_id, Equipment.serial_no == serial_no, others
            )
        ).first()
        if taken:
            errors["serial_no"] = str(_l("An item of this model with this serial number exists."))
    return errors


def _with_default_agency(scope: Scope, raw: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(raw)
    if not scope.all_agencies and values.get("agency_id") in (None, ""):
        values["agency_id"] = scope.agency_id  # an officer registers for their own agency
    return values


def register_equipment(
    session: Session, scope: Scope, raw: Mapping[str, Any], today: date
) -> Equipment:
    """Register a new item from `raw` field values and give it its type's default schedules."""
    values, errors = coerce_equipment_fields(_with_default_agency(scope, raw))
    errors.update(check_equipment(session, scope, values))
    if errors:
        raise ValidationError(errors)
    item = Equipment(**values)
    session.add(item)
    session.flush()
    add_default_schedules(session, item, today)
    _commit(session)
    return item


def add_default_schedules(session: Session, item: Equipment, today: date) -> list[Schedule]:
    """The recurring work the item's type plans for every item, first due one interval on."""
    model = session.get_one(EquipmentModel, item.model_id)
    equipment_type = session.get_one(EquipmentType, model.type_id)
    start = item.commissioned_on or today
    schedules = []
    for spec in equipment_type.default_schedules:
        interval = Interval(int(spec["interval_value"]), IntervalUnit(spec["interval_unit"]))
        due = add_interval(start, interval)
        grace = int(spec.get("grace_days", 0))
        schedule = Schedule(
            equipment_id=item.id,  # type: ignore[arg-type]
            kind=spec["kind"],
            interval_value=interval.value,
            interval_unit=interval.unit.value,
            anchor=spec.get("anchor", "fixed"),
            lead_days=int(spec.get("lead_days", 30)),
            grace_days=grace,
            next_due=due,
        )
        set_next_due(schedule, due)
        session.add(schedule)
        schedules.append(schedule)
    return schedules


def _commit(session: Session) -> None:
    """Commit; a unique number taken by a change saved at the same moment is a Conflict."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            _l(
                "A change saved at the same moment clashes with this one (the same inventory "
                "or serial number). Reload and try again."
            )
        ) from None


def _editable(session: Session, scope: Scope, equipment_id: int, version: Any) -> Equipment:
    item = get_scoped(session, Equipment, equipment_id, scope)
    try:
        expected = input_fields.version_number(version)
    except ValueError as error:
        raise ValidationError({"version": error}) from None
    if item.version != expected:
        raise Conflict(
            _l(
                "Somebody else changed this item while you were editing it. "
                "Reload to see their changes."
            )
        )
    if item.status == "decommissioned":
        raise ValidationError({"status": _l("A decommissioned item cannot be changed.")})
    return item


def update_equipment(
    session: Session, scope: Scope, equipment_id: int, *, version: Any, raw: Mapping[str, Any]
) -> Equipment:
    """Change the given fields of an item last read at `version`."""
    item = _editable(session, scope, equipment_id, version)
    values, errors = coerce_equipment_fields(raw)
    errors.update(check_equipment(session, scope, values, existing=item))
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(item, name, value)
    item.updated_at = utcnow()
    _commit(session)
    return item


def move_equipment(
    session: Session, scope: Scope, equipment_id: int, *, version: Any, site_id: Any
) -> Equipment:
    """Move an item to another site (the audit trail keeps where it was)."""
    item = _editable(session, scope, equipment_id, version)
    values, errors = coerce_equipment_fields({"site_id": site_id})
    if not errors and values["site_id"] is None:
        errors["site_id"] = str(_l("Choose the site to move the item to."))
    if not errors and values["site_id"] == item.site_id:
        errors["site_id"] = str(_l("The item is already at this site."))
    if not errors:
        errors.update(check_equipment(session, scope, values, existing=item))
    if errors:
        raise ValidationError(errors)
    item.site_id = values["site_id"]
    item.updated_at = utcnow()
    _commit(session)
    return item


def decommission_equipment(
    session: Session,
    scope: Scope,
    equipment_id: int,
    *,
    version: Any,
    reason: Any,
    on: Any,
    today: date,
) -> Equipment:
    """Take an item out of the fleet for good, with a reason; its schedules stop.

    Nothing is deleted: its history stays, and it leaves lists filtered by operational state
    and the planner's fleet.
    """
    item = _editable(session, scope, equipment_id, version)
    errors: dict[str, str] = {}
    try:
        text = _text("decommission_reason")(reason)
        if not text:
            errors["reason"] = str(_l("Say why the item is decommissioned."))
    except ValueError as error:
        errors["reason"] = str(error)
    try:
        when = input_fields.day(on) or today
        if when > today:
            errors["decommissioned_on"] = str(_l("The date cannot be in the future."))
        elif item.commissioned_on and when < item.commissioned_on:
            errors["decommissioned_on"] = str(_l("The date is before commissioning."))
    except ValueError as error:
        errors["decommissioned_on"] = str(error)
    if errors:
        raise ValidationError(errors)
    item.status = "decommissioned"
    item.decommissioned_on = when
    item.decommission_reason = text
    item.updated_at = utcnow()
    for schedule in session.execute(
        select(Schedule).where(
            Schedule.equipment_id == item.id,
            Schedule.active.is_(True),  # type: ignore[attr-defined]
        )
    ).scalars():
        schedule.active = False
    _commit(session)
    return item
