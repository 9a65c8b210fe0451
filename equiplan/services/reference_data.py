"""Reference data: sites (owned by an agency) and equipment types (national, shared by all).

Reading is for everybody in scope: officers and viewers see the sites of their own agency,
every role sees every equipment type. Creating and changing them is for administrators (the
route policies say so); the functions here take plain values (JSON values or text) so that the
API, forms and scripts can all call them, report every problem at once by field, and write in
one transaction. A stale `version` is a `Conflict` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from equiplan.models import Agency, EquipmentType, Site
from equiplan.models.agency import SITE_STATUSES, SITE_TYPES
from equiplan.models.schedule import ANCHORS, INTERVAL_UNITS, SCHEDULE_KINDS
from equiplan.services import input_fields, scenario_codes
from equiplan.services.errors import Conflict, NotFound, ValidationError
from equiplan.services.paging import Page, contains_text
from equiplan.services.scoping import Scope, get_scoped, scoped

Parser = Callable[[Any], Any]


# --- parsing plain values -------------------------------------------------------------------


_text = input_fields.text


def _code(max_length: int) -> Parser:
    """Codes are short identifiers that people type in capitals (MED, RPM)."""
    text = _text(max_length, required=True)

    def parse(value: Any) -> str:
        code = text(value).upper()
        if any(c.isspace() for c in code):
            raise ValueError(_l("A code has no spaces."))
        return code

    return parse


_choice = input_fields.choice


_whole = input_fields.whole_in_range


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise ValueError(_l("Give a number greater than zero."))
    try:
        number = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else value
    except ValueError:
        raise ValueError(_l("Give a number greater than zero.")) from None
    if not isinstance(number, int | float) or not 0 < number < 1e6:
        raise ValueError(_l("Give a number greater than zero."))
    return float(number)


def _country(value: Any) -> str | None:
    """An ISO 3166 alpha-2 code (the neighbour across the border), or None."""
    if value is None or value == "":
        return None
    text = str(value).strip().upper()
    if len(text) != 2 or not text.isascii() or not text.isalpha():
        raise ValueError(_l("Give a two-letter country code, e.g. BY."))
    return text


_SCHEDULE_KEYS = {"kind", "interval_value", "interval_unit", "anchor", "lead_days", "grace_days"}


def _schedules(value: Any) -> list[dict[str, Any]]:
    """An equipment type's default schedules: every item of the type gets these."""
    if not isinstance(value, list):
        raise ValueError(_l("Give a list of schedules."))
    schedules = []
    for position, entry in enumerate(value, start=1):
        try:
            if not isinstance(entry, Mapping) or set(entry) - _SCHEDULE_KEYS:
                raise ValueError(
                    _l("Use the keys %(keys)s.", keys=", ".join(sorted(_SCHEDULE_KEYS)))
                )
            schedules.append(
                {
                    "kind": _choice(SCHEDULE_KINDS)(entry.get("kind")),
                    "interval_value": _whole(1, 1000)(entry.get("interval_value")),
                    "interval_unit": _choice(INTERVAL_UNITS)(entry.get("interval_unit")),
                    "anchor": _choice(ANCHORS)(entry.get("anchor", "fixed")),
                    "lead_days": _whole(0, 365)(entry.get("lead_days", 30)),
                    "grace_days": _whole(0, 365)(entry.get("grace_days", 0)),
                }
            )
        except ValueError as error:
            raise ValueError(
                _l("Schedule %(n)d: %(problem)s", n=position, problem=str(error))
            ) from None
    return schedules


def _coerce(
    parsers: Mapping[str, Parser], raw: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in raw.items():
        parser = parsers.get(name)
        if parser is None:
            errors[name] = str(_l("Unknown field."))
            continue
        try:
            values[name] = parser(value)
        except ValueError as error:
            errors[name] = str(error)
    return values, errors


def _missing(required: Sequence[str], raw: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(_l("This field is required.")) for name in required if name not in raw}


def _conflict() -> Conflict:
    return Conflict(
        _l(
            "Somebody else changed this record after you opened it. "
            "Reload it and apply your change again."
        )
    )


def _check_version(current: int, version: Any) -> None:
    if isinstance(version, bool):
        version = None
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _l("The version you loaded is required.")}) from None
    if current != expected:
        raise _conflict()


def _commit_change(session: Session) -> None:
    # Another request may commit between our version check and the UPDATE; the mapper's
    # version counter notices, and the caller gets the same Conflict with nothing written.
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise _conflict() from None


def _paginate(
    session: Session, statement: Any, count: Any, page: int, per_page: int
) -> tuple[list[Any], int]:
    total = session.execute(count).scalar_one()
    rows = session.execute(statement.offset((page - 1) * per_page).limit(per_page)).scalars()
    return list(rows), total


# --- sites ----------------------------------------------------------------------------------

SITE_PARSERS: dict[str, Parser] = {
    "agency_id": _whole(1, 2**31 - 1),
    "code": _code(24),
    "name_en": _text(200, required=True),
    "name_lt": _text(200, required=True),
    "site_type": _choice(SITE_TYPES),
    "border_country": _country,
    "status": _choice(SITE_STATUSES),
    "status_since": input_fields.day,
    "criticality": _whole(1, 5),
}
SITE_REQUIRED = ("agency_id", "code", "name_en", "name_lt", "site_type")
# A site stays with the agency that owns it; its equipment is scoped by that agency.
SITE_FIXED = ("agency_id",)


def list_sites(
    session: Session,
    scope: Scope,
    *,
    agency_id: int | None = None,
    status: str | None = None,
    site_type: str | None = None,
    search: str = "",
    page: int = 1,
    per_page: int = 50,
) -> Page[Site]:
    """One page of the sites in scope, by code, with the total count of matching sites."""
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (Site.agency_id, agency_id),
        (Site.status, status),
        (Site.site_type, site_type),
    ):
        if value is not None:
            conditions.append(column == value)
    if search:
        conditions.append(contains_text(search, Site.code, Site.name_en, Site.name_lt))
    statement = scoped(select(Site).where(*conditions), Site, scope).order_by(Site.code, Site.id)
    count = scoped(select(func.count(Site.id)).where(*conditions), Site, scope)
    items, total = _paginate(session, statement, count, page, per_page)
    return Page(items=items, total=total, page=page, per_page=per_page)


def get_site(session: Session, scope: Scope, site_id: int) -> Site:
    """One site, or NotFound when it does not exist or belongs to an agency out of scope."""
    return get_scoped(session, Site, site_id, scope)


def _check_site(
    session: Session, scope: Scope, values: Mapping[str, Any], existing: Site | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    agency_id = values.get("agency_id")
    if agency_id is not None and (
        session.get(Agency, agency_id) is None or not scope.allows_agency(agency_id)
    ):
        errors["agency_id"] = str(_l("Unknown agency."))
    code = values.get("code")
    if code:
        others = (Site.id != existing.id) if existing is not None else True
        taken = session.execute(
            select(Site.id).where(func.upper(Site.code) == code, others)
        ).first()
        if taken:
            errors["code"] = str(_l("Another site already has this code."))
    return errors


def create_site(session: Session, scope: Scope, raw: Mapping[str, Any]) -> Site:
    """Create a site from `raw` field values (agency_id, code, names, site_type required)."""
    values, errors = _coerce(SITE_PARSERS, raw)
    errors = {**_missing(SITE_REQUIRED, raw), **errors}
    errors.update(_check_site(session, scope, values, None))
    if errors:
        raise ValidationError(errors)
    site = Site(**values)
    session.add(site)
    session.commit()
    return site


def update_site(
    session: Session,
    scope: Scope,
    site_id: int,
    *,
    version: Any,
    raw: Mapping[str, Any],
    today: date,
) -> Site:
    """Change the given fields of a site last read at `version`. A change of status without a
    date of its own takes effect today."""
    site = get_site(session, scope, site_id)
    _check_version(site.version, version)
    parsers = {k: v for k, v in SITE_PARSERS.items() if k not in SITE_FIXED}
    values, errors = _coerce(parsers, raw)
    for name in SITE_FIXED:
        if name in raw:
            errors[name] = str(_l("This field cannot be changed."))
    errors.update(_check_site(session, scope, values, site))
    if errors:
        raise ValidationError(errors)
    if values.get("status", site.status) != site.status and "status_since" not in values:
        values["status_since"] = today
    if values.get("code", site.code) != site.code:
        scenario_codes.rename_site(session, site.code, values["code"])
    for name, value in values.items():
        setattr(site, name, value)
    _commit_change(session)
    return site


# --- equipment types ------------------------------------------------------------------------

TYPE_PARSERS: dict[str, Parser] = {
    "code": _code(16),
    "name_en": _text(200, required=True),
    "name_lt": _text(200, required=True),
    "standards": _text(200),
    "design_life_years": _whole(1, 100),
    "typical_unit_cost_cents": _whole(0, 10**13),
    "prior_mtbf_hours": _whole(1, 10**7),
    "prior_mttr_hours": _whole(1, 10**5),
    "logistics_delay_hours": _whole(0, 10**5),
    "weibull_beta": _positive_number,
    "weibull_eta_factor": _positive_number,
    "default_schedules": _schedules,
}
TYPE_REQUIRED = (
    "code",
    "name_en",
    "name_lt",
    "design_life_years",
    "prior_mtbf_hours",
    "prior_mttr_hours",
    "logistics_delay_hours",
    "weibull_beta",
    "weibull_eta_factor",
)


def list_equipment_types(
    session: Session, *, search: str = "", page: int = 1, per_page: int = 50
) -> Page[EquipmentType]:
    """One page of the equipment types (national reference data: everybody sees all), by code."""
    conditions = (
        [contains_text(search, EquipmentType.code, EquipmentType.name_en, EquipmentType.name_lt)]
        if search
        else []
    )
    statement = (
        select(EquipmentType).where(*conditions).order_by(EquipmentType.code, EquipmentType.id)
    )
    count = select(func.count(EquipmentType.id)).where(*conditions)
    items, total = _paginate(session, statement, count, page, per_page)
    return Page(items=items, total=total, page=page, per_page=per_page)


def get_equipment_type(session: Session, type_id: int) -> EquipmentType:
    """One equipment type, or NotFound."""
    found = session.get(EquipmentType, type_id)
    if found is None:
        raise NotFound(f"EquipmentType {type_id}")
    return found


def _check_type(
    session: Session, values: Mapping[str, Any], existing: EquipmentType | None
) -> dict[str, str]:
    code = values.get("code")
    if not code:
        return {}
    others = (EquipmentType.id != existing.id) if existing is not None else True
    taken = session.execute(
        select(EquipmentType.id).where(func.upper(EquipmentType.code) == code, others)
    ).first()
    return {"code": str(_l("Another equipment type already has this code."))} if taken else {}


def create_equipment_type(session: Session, raw: Mapping[str, Any]) -> EquipmentType:
    """Create an equipment type from `raw` field values (code, names, design life and the
    reliability priors required)."""
    values, errors = _coerce(TYPE_PARSERS, raw)
    errors = {**_missing(TYPE_REQUIRED, raw), **errors}
    errors.update(_check_type(session, values, None))
    if errors:
        raise ValidationError(errors)
    equipment_type = EquipmentType(**values)
    session.add(equipment_type)
    session.commit()
    return equipment_type


def update_equipment_type(
    session: Session, type_id: int, *, version: Any, raw: Mapping[str, Any]
) -> EquipmentType:
    """Change the given fields of an equipment type last read at `version`. New default
    schedules apply to items registered from now on; existing schedules stay as they are."""
    equipment_type = get_equipment_type(session, type_id)
    _check_version(equipment_type.version, version)
    values, errors = _coerce(TYPE_PARSERS, raw)
    errors.update(_check_type(session, values, equipment_type))
    if errors:
        raise ValidationError(errors)
    if values.get("code", equipment_type.code) != equipment_type.code:
        scenario_codes.rename_type(session, equipment_type.code, values["code"])
    for name, value in values.items():
        setattr(equipment_type, name, value)
    _commit_change(session)
    return equipment_type
