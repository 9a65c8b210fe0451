"""Importing an inventory from a CSV or XLSX file: preview every problem, then all or nothing.

A file is read into rows (see `spreadsheet`), its header matched to the import columns (in
English or Lithuanian), codes resolved to ids with one query per reference table, and each row
checked with the register's own rules (`equipment_write`) plus duplicates within the file.
Problems are reported as (row as numbered in the spreadsheet, column header, message). The
commit reads and checks the same file again and writes every item, or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from equiplan.models import Agency, Equipment, EquipmentModel, EquipmentType, Site
from equiplan.services import input_fields
from equiplan.services.equipment_write import (
    add_default_schedules,
    check_equipment,
    coerce_equipment_fields,
)
from equiplan.services.errors import Conflict, ServiceError, ValidationError
from equiplan.services.import_format import (
    COLUMNS_BY_KEY,
    ImportProblem,
    cell_text,
    column_order,
    date_cell,
    euros_cell,
    match_header,
    quoted,
)
from equiplan.services.scoping import Scope, scoped
from equiplan.services.spreadsheet import format_of, read_table

MAX_ROWS = 25_000
# The register's field behind each column (for its error messages).
_FIELD_COLUMNS = {
    "inventory_no": "inventory_no",
    "serial_no": "serial_no",
    "model_id": "model",
    "agency_id": "agency",
    "site_id": "site",
    "status": "status",
    "acquired_on": "acquired_on",
    "commissioned_on": "commissioned_on",
    "funding_source": "funding_source",
    "acquisition_cost_cents": "acquisition_cost_eur",
    "warranty_end": "warranty_end",
    "condition": "condition",
    "notes": "notes",
}
_TEXT_FIELDS = ("inventory_no", "serial_no", "notes")
_CHOICE_FIELDS = ("status", "funding_source", "condition")
_DATE_FIELDS = ("acquired_on", "commissioned_on", "warranty_end")
_CHUNK = 500  # values per IN (...) list


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[start : start + _CHUNK] for start in range(0, len(values), _CHUNK)]


@dataclass(frozen=True)
class ImportRow:
    """A row that would be imported: the register's field values, and codes to show."""

    row: int
    values: dict[str, Any]
    agency_code: str
    site_code: str
    type_code: str
    manufacturer: str
    model_name: str


@dataclass
class ImportPreview:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class ImportRejected(ServiceError):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problems in the file; nothing was imported")


@dataclass
class _References:
    """The reference tables, each loaded with one query, looked up by lower-cased code."""

    agencies: dict[str, Agency]
    sites: dict[str, Site]  # only the sites the scope may see
    types: dict[str, EquipmentType]
    models: dict[str, list[tuple[EquipmentModel, str]]]  # model name -> [(model, type code)]

    @classmethod
    def load(cls, session: Session, scope: Scope) -> _References:
        models: dict[str, list[tuple[EquipmentModel, str]]] = {}
        for model, type_code in session.execute(
            select(EquipmentModel, EquipmentType.code).join(
                EquipmentType, EquipmentType.id == EquipmentModel.type_id
            )
        ):
            models.setdefault(model.name.casefold(), []).append((model, type_code))
        return cls(
            agencies={a.code.casefold(): a for a in session.execute(select(Agency)).scalars()},
            sites={
                s.code.casefold(): s
                for s in session.execute(scoped(select(Site), Site, scope)).scalars()
            },
            types={t.code.casefold(): t for t in session.execute(select(EquipmentType)).scalars()},
            models=models,
        )


class _FileCheck:
    """Checks the rows of one file, collecting problems by row and column."""

    def __init__(
        self,
        session: Session,
        scope: Scope,
        refs: _References,
        headers: Mapping[str, str],
        default_agency: Agency | None,
    ) -> None:
        self.session, self.scope, self.refs = session, scope, refs
        self.headers = headers  # column key -> header as written in the file
        self.default_agency = default_agency
        self.preview = ImportPreview()
        self.inventory_rows: dict[str, int] = {}
        self.serial_rows: dict[tuple[int, str], int] = {}
        # What the register already holds of the file's numbers (see find_registered).
        self.registered_inventory: set[str] = set()
        self.registered_serials: set[tuple[int, str]] = set()

    def find_registered(self, rows: list[Mapping[str, Any]]) -> None:
        """Which of the file's inventory and serial numbers the register already holds.

        The register's duplicate check costs a query or two per item; for a file of thousands
        of rows that is too slow, so these few queries find the candidates first and the
        register's check runs only for them (with the same comparison, so it finds the same).
        """
        inventory = sorted({cell_text(r.get("inventory_no")).lower() for r in rows} - {""})
        serials = sorted({cell_text(r.get("serial_no")) for r in rows} - {""})
        lowered = func.lower(Equipment.inventory_no)
        for chunk in _chunks(inventory):
            found = self.session.execute(select(lowered).where(lowered.in_(chunk))).scalars()
            self.registered_inventory.update(found)
        for chunk in _chunks(serials):
            pairs = self.session.execute(
                select(Equipment.model_id, Equipment.serial_no).where(
                    Equipment.serial_no.in_(chunk)  # type: ignore[attr-defined]
                )
            )
            self.registered_serials.update((model_id, serial) for model_id, serial in pairs)

    def _register_check(self, values: Mapping[str, Any]) -> dict[str, str]:
        """The register's rules (`check_equipment`) for an item with `values`."""
        checked = dict(values)
        # Already resolved against the sites the scope may see (one query for the file).
        checked.pop("site_id", None)
        inventory_no, serial_no = values.get("inventory_no"), values.get("serial_no")
        # One query for the whole file told which numbers are taken; only then ask per item.
        maybe_taken = bool(inventory_no and inventory_no.lower() in self.registered_inventory) or (
            bool(serial_no) and (values.get("model_id"), serial_no) in self.registered_serials
        )
        errors = check_equipment(self.session, self.scope, checked, check_duplicates=maybe_taken)
        return errors

    def column(self, key: str) -> str:
        return self.headers.get(key) or COLUMNS_BY_KEY[key].header()

    def check_row(self, number: int, cells: Mapping[str, Any]) -> None:
        problems: dict[str, str] = {}  # column key -> message (the first one found)
        raw: dict[str, Any] = {name: cell_text(cells.get(name)) for name in _TEXT_FIELDS}
        for name in _CHOICE_FIELDS:
            text = cell_text(cells.get(name)).lower()
            if text:  # blank: the register's default
                raw[name] = text
        for name in _DATE_FIELDS:
            raw[name] = date_cell(cells.get(name))
        try:
            raw["acquisition_cost_cents"] = input_fields.euros(
                euros_cell(cells.get("acquisition_cost_eur"))
            )
        except ValueError as error:
            problems["acquisition_cost_eur"] = str(error)
        model, type_code = self._model(cells, problems)
        agency = self._agency(cells, problems)
        site = self._site(cells, problems, agency)
        raw.update(
            model_id=model.id if model else None,
            agency_id=agency.id if agency else None,
            site_id=site.id if site else None,
        )
        values, errors = coerce_equipment_fields(raw)
        # The register's rules on what could be read, so that one bad cell hides no other.
        rule_errors = self._register_check(values)
        if model is None:
            rule_errors.pop("model_id", None)  # already said why in its own column
        if agency is None:
            rule_errors.pop("agency_id", None)
        for name, message in [*errors.items(), *rule_errors.items()]:
            problems.setdefault(_FIELD_COLUMNS[name], message)
        self._within_file(number, values, problems)
        for key, message in problems.items():
            self.preview.problems.append(ImportProblem(number, self.column(key), message))
        if not problems and model and agency:
            self.preview.rows.append(
                ImportRow(
                    row=number,
                    values=values,
                    agency_code=agency.code,
                    site_code=site.code if site else "",
                    type_code=type_code,
                    manufacturer=model.manufacturer,
                    model_name=model.name,
                )
            )

    def _model(
        self, cells: Mapping[str, Any], problems: dict[str, str]
    ) -> tuple[EquipmentModel | None, str]:
        name, maker = cell_text(cells.get("model")), cell_text(cells.get("manufacturer"))
        type_text = cell_text(cells.get("type"))
        known_type = self.refs.types.get(type_text.casefold())
        if type_text and known_type is None:
            problems["type"] = str(_l("Unknown equipment type: %(code)s.", code=quoted(type_text)))
        if not name:
            problems["model"] = str(_l("This field is required."))
            return None, ""
        matches = [
            (model, code)
            for model, code in self.refs.models.get(name.casefold(), [])
            if not maker or model.manufacturer.casefold() == maker.casefold()
        ]
        if len(matches) > 1 and known_type is not None:
            matches = [(model, code) for model, code in matches if code == known_type.code]
        if not matches:
            problems["model"] = str(_l("Unknown model: %(name)s.", name=quoted(name)))
            return None, ""
        if len(matches) > 1:
            problems["manufacturer"] = str(
                _l("Several manufacturers make a model of this name; give the manufacturer.")
            )
            return None, ""
        model, code = matches[0]
        if known_type is not None and code != known_type.code:
            problems["type"] = str(_l("This model is of type %(code)s.", code=code))
        return model, code

    def _agency(self, cells: Mapping[str, Any], problems: dict[str, str]) -> Agency | None:
        code = cell_text(cells.get("agency"))
        if not code:
            if self.default_agency is None:
                problems["agency"] = str(
                    _l("Give the agency, or choose the agency for rows that leave it blank.")
                )
            return self.default_agency
        agency = self.refs.agencies.get(code.casefold())
        if not self.scope.all_agencies and (agency is None or agency.id != self.scope.agency_id):
            # The same answer whether the agency exists or not: nothing about others leaks.
            problems["agency"] = str(_l("You can import only into your own agency."))
            return None
        if agency is None:
            problems["agency"] = str(_l("Unknown agency: %(code)s.", code=quoted(code)))
        return agency

    def _site(
        self, cells: Mapping[str, Any], problems: dict[str, str], agency: Agency | None
    ) -> Site | None:
        code = cell_text(cells.get("site"))
        if not code:
            return None
        site = self.refs.sites.get(code.casefold())
        if site is None:
            problems["site"] = str(_l("Unknown site: %(code)s.", code=quoted(code)))
        elif agency is not None and site.agency_id != agency.id:
            problems["site"] = str(_l("This site belongs to another agency."))
            return None
        return site

    def _within_file(
        self, number: int, values: Mapping[str, Any], problems: dict[str, str]
    ) -> None:
        inventory_no = str(values.get("inventory_no") or "").casefold()
        if inventory_no:
            first = self.inventory_rows.setdefault(inventory_no, number)
            if first != number:
                problems.setdefault(
                    "inventory_no", str(_l("The same inventory no. is on row %(row)d.", row=first))
                )
        serial_no, model_id = values.get("serial_no"), values.get("model_id")
        if serial_no and model_id:
            first = self.serial_rows.setdefault((model_id, serial_no), number)
            if first != number:
                problems.setdefault(
                    "serial_no",
                    str(_l("The same model and serial no. are on row %(row)d.", row=first)),
                )


def _default_agency(refs: _References, scope: Scope, agency_code: str | None) -> Agency | None:
    """The agency of rows that leave it blank: the one chosen, or an officer's own."""
    code = (agency_code or "").strip()
    if not code:
        if scope.all_agencies:
            return None
        return next((a for a in refs.agencies.values() if a.id == scope.agency_id), None)
    agency = refs.agencies.get(code.casefold())
    if not scope.all_agencies and (agency is None or agency.id != scope.agency_id):
        raise ValidationError({"agency": _l("You can import only into your own agency.")})
    if agency is None:
        raise ValidationError({"agency": _l("Unknown agency: %(code)s.", code=quoted(code))})
    return agency


def preview_import(
    session: Session,
    scope: Scope,
    *,
    content: bytes,
    filename: str,
    agency_code: str | None = None,
) -> ImportPreview:
    """What importing the file would do: the rows to import, or every problem. Writes nothing.

    `agency_code` fills a blank agency column (for officers, their own agency does). An
    unreadable file, one without data rows or one over MAX_ROWS raises ValidationError.
    """
    preview, _refs = _check_file(session, scope, content, filename, agency_code)
    return preview


def _check_file(
    session: Session, scope: Scope, content: bytes, filename: str, agency_code: str | None
) -> tuple[ImportPreview, _References]:
    rows = read_table(content, format_of(filename), MAX_ROWS)
    refs = _References.load(session, scope)
    default_agency = _default_agency(refs, scope, agency_code)
    positions, written, header_problems = match_header(rows[0])
    if header_problems:
        # Without the right columns every row would repeat the same complaint.
        return ImportPreview(problems=header_problems), refs
    numbered = [
        (
            number,
            {column.key: row[index] for index, column in positions.items() if index < len(row)},
        )
        for number, row in enumerate(rows[1:], start=2)
        if any(cell_text(cell) for cell in row)  # blank lines between blocks are skipped
    ]
    check = _FileCheck(session, scope, refs, written, default_agency)
    check.find_registered([cells for _, cells in numbered])
    for number, cells in numbered:
        check.check_row(number, cells)
    if not check.preview.rows and not check.preview.problems:
        raise ValidationError({"file": _l("The file has a header but no data rows.")})
    check.preview.problems.sort(key=lambda p: (p.row, column_order(p.column)))
    return check.preview, refs


def commit_import(
    session: Session,
    scope: Scope,
    *,
    content: bytes,
    filename: str,
    agency_code: str | None = None,
    today: date,
) -> list[Equipment]:
    """Import every row of the file with its type's default schedules, in one transaction.

    The file is read and checked again (the database may have changed since the preview);
    any problem raises ImportRejected and nothing is written.
    """
    # `refs` stays referenced until the end: the session's identity map holds objects only
    # weakly, and the schedules below look each item's model and type up there.
    preview, refs = _check_file(session, scope, content, filename, agency_code)
    if not preview.ok:
        session.rollback()
        raise ImportRejected(preview.problems)
    items = [Equipment(**row.values) for row in preview.rows]
    try:
        session.add_all(items)
        session.flush()
        for item in items:
            add_default_schedules(session, item, today)
        session.commit()
    except IntegrityError:
        # Someone registered one of these items between our check and our write.
        session.rollback()
        raise Conflict(
            _l("Some of these items were registered meanwhile; upload the file again.")
        ) from None
    return items
