"""What a user asks of the equipment list: filters, search, sort and page, parsed from text
(query-string or API arguments) with a message for every value that cannot be used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from equiplan.models.equipment import EQUIPMENT_STATUSES
from equiplan.services.input_fields import whole_number

SORT_KEYS = (
    "inventory_no",
    "serial_no",
    "agency",
    "site",
    "type",
    "model",
    "status",
    "commissioned_on",
    "next_due",
)
PER_PAGE_CHOICES = (25, 50, 100, 200)
MAX_DUE_WITHIN_DAYS = 3650


@dataclass(frozen=True)
class EquipmentQuery:
    agency_id: int | None = None
    site_id: int | None = None
    type_id: int | None = None
    model_id: int | None = None
    status: str | None = None
    operational: bool | None = None
    due_within_days: int | None = None
    search: str = ""
    sort: str = "inventory_no"
    descending: bool = False
    page: int = 1
    per_page: int = 50

    def as_args(self, **changes: object) -> dict[str, object]:
        """Query-string arguments for this query with `changes` applied (for links)."""
        values = {**self.__dict__, **changes}
        args: dict[str, object] = {}
        for key, value in values.items():
            if (
                value is None
                or value == ""
                or (key, value) in {("sort", "inventory_no"), ("page", 1), ("per_page", 50)}
            ):
                continue
            if key == "descending":
                if value:
                    args["desc"] = 1
                continue
            if key == "operational":
                args[key] = "yes" if value else "no"
                continue
            args[key] = value
        return args


def _positive_int(
    raw: str, field: str, errors: dict[str, object], maximum: int | None = None
) -> int | None:
    try:
        number = whole_number(raw)
    except ValueError as error:
        errors[field] = str(error)
        return None
    if number is not None and maximum is not None and number > maximum:
        errors[field] = _l("Not a valid number: %(value)s.", value=raw[:40])
        return None
    return number


def parse_equipment_query(args: Mapping[str, str]) -> tuple[EquipmentQuery, dict[str, object]]:
    """The query described by `args`; unusable values are dropped and reported by field."""
    errors: dict[str, object] = {}
    ids = {
        field: _positive_int(args.get(field, ""), field, errors)
        for field in ("agency_id", "site_id", "type_id", "model_id")
    }
    status = args.get("status", "").strip() or None
    if status is not None and status not in EQUIPMENT_STATUSES:
        errors["status"] = _l("Unknown status: %(value)s.", value=status[:40])
        status = None
    operational_raw = args.get("operational", "").strip().lower()
    operational = {"yes": True, "no": False, "": None}.get(operational_raw)
    if operational_raw not in {"yes", "no", ""}:
        errors["operational"] = _l("Choose yes or no.")
    due = _positive_int(
        args.get("due_within_days", ""), "due_within_days", errors, MAX_DUE_WITHIN_DAYS
    )
    sort = args.get("sort", "inventory_no").strip() or "inventory_no"
    if sort not in SORT_KEYS:
        errors["sort"] = _l("Cannot sort by %(value)s.", value=sort[:40])
        sort = "inventory_no"
    page = _positive_int(args.get("page", ""), "page", errors) or 1
    per_page = _positive_int(args.get("per_page", ""), "per_page", errors) or 50
    if per_page not in PER_PAGE_CHOICES:
        errors["per_page"] = _l("Show 25, 50, 100 or 200 per page.")
        per_page = 50
    query = EquipmentQuery(
        **ids,
        status=status,
        operational=operational,
        due_within_days=due,
        search=args.get("search", "").strip()[:100],
        sort=sort,
        descending=args.get("desc", "") in {"1", "true", "yes"},
        page=page,
        per_page=per_page,
    )
    return query, errors
