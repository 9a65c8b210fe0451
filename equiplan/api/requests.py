"""What a client sends: JSON bodies checked against the fields of a `Shape`, list arguments
checked against the declared filters, and the caller's session, scope and date.

Only the JSON side is checked here (a body is a JSON object, it names known fields, each value
has the right JSON type); what the values mean is the service's business, which reports its own
problems by field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import Session
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from equiplan.api.fields import PAGE, PER_PAGE, Field, QueryParam, Shape
from equiplan.db import get_session
from equiplan.services.clock import local_today
from equiplan.services.errors import ValidationError
from equiplan.services.input_fields import whole_number
from equiplan.services.scoping import Scope, scope_for

MAX_SEARCH_LENGTH = 100


def context() -> tuple[Session, Scope]:
    """The request's database session and the caller's scope."""
    return get_session(), scope_for(current_user)


def today() -> date:
    """Today in the centre's time zone."""
    return local_today(current_app.config["TIMEZONE"])


# --- bodies ---------------------------------------------------------------------------------


def _no_constant(name: str) -> None:
    # NaN and Infinity are not JSON, though Python's parser takes them.
    raise ValueError(f"{name} is not a JSON value")


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 415 / 400 problem saying what is wrong."""
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(_("Send the body as JSON, with Content-Type: application/json."))
    try:
        data = json.loads(request.get_data(as_text=True) or "null", parse_constant=_no_constant)
    except ValueError as error:
        raise BadRequest(_("The body is not valid JSON: %(error)s", error=str(error))) from None
    except RecursionError:
        message = _("The body is not valid JSON: %(error)s", error="nested too deeply")
        raise BadRequest(message) from None
    if not isinstance(data, dict):
        raise BadRequest(_("The body must be a JSON object."))
    return data


def _type_problem(field: Field, value: Any) -> str | None:
    if value is None:
        return None if field.nullable else _("This field cannot be null.")
    kind = field.kind
    if kind in ("string", "date", "date-time") and not isinstance(value, str):
        return {
            "string": _("Give text."),
            "date": _("Give a date as text: YYYY-MM-DD."),
            "date-time": _("Give a date and time as text, e.g. 2026-03-01T08:30:00+02:00."),
        }[kind]
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return _("Give a whole number.")
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return _("Give a number.")
    if kind == "boolean" and not isinstance(value, bool):
        return _("Give true or false.")
    if kind == "array" and not isinstance(value, list):
        return _("Give a list.")
    if kind == "object" and not isinstance(value, dict):
        return _("Give an object.")
    return None


def _problems(field: Field, value: Any, key: str) -> dict[str, str]:
    """JSON-type problems of one value, and of the objects in it when it is a list of them
    (keyed like `points[0].nominal`)."""
    problem = _type_problem(field, value)
    if problem:
        return {key: problem}
    shape = field.write_items or field.items
    if field.kind != "array" or not isinstance(shape, Shape) or value is None:
        return {}
    found: dict[str, str] = {}
    accepted = shape.on_create()
    for index, entry in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(entry, dict):
            found[where] = _("Give an object.")
            continue
        for name, item in entry.items():
            inner = accepted.get(name)
            if inner is None:
                found[f"{where}.{name}"] = _("Unknown field.")
            else:
                found.update(_problems(inner, item, f"{where}.{name}"))
    return found


def checked_body(
    accepted: Mapping[str, Field],
    *,
    known: Iterable[Field] = (),
    extra: Iterable[Field] = (),
    require: Iterable[str] = (),
) -> dict[str, Any]:
    """The JSON body, when it names only `accepted` fields (plus the `extra` ones, such as the
    version of an update) and each has its JSON type. `known` fields that may not be sent
    here (read-only ones, those set only at creation) get a message of their own; `require`
    names fields that must be there (when the service cannot tell the caller itself)."""
    body = json_object()
    allowed = {**accepted, **{f.name: f for f in extra}}
    others = {f.name: f for f in known}
    errors: dict[str, str] = {
        name: _("This field is required.") for name in require if name not in body
    }
    for name, value in body.items():
        field = allowed.get(name)
        if field is not None:
            errors.update(_problems(field, value, name))
        elif name in others:
            errors[name] = (
                _("This field can only be set when creating.")
                if others[name].writable_on_create
                else _("This field is read-only.")
            )
        else:
            errors[name] = _("Unknown field.")
    if errors:
        raise ValidationError(errors)
    return body


VERSION_FIELD = Field("version", "integer")


def update_body(
    accepted: Mapping[str, Field], known: Iterable[Field]
) -> tuple[Any, dict[str, Any]]:
    """An update's body split into the version the client read and the fields to change."""
    body = checked_body(accepted, known=known, extra=(VERSION_FIELD,))
    if "version" not in body:
        raise ValidationError({"version": _("The version you loaded is required.")})
    version = body.pop("version")
    return version, body


# --- list arguments -------------------------------------------------------------------------


def reject_unknown_arguments(declared: Iterable[QueryParam]) -> dict[str, str]:
    """A message for every query argument the list does not know (a typo must not silently
    return everything)."""
    names = {p.name for p in declared} | {PAGE.name, PER_PAGE.name}
    return {name: _("Unknown parameter.") for name in request.args if name not in names}


def _positive(raw: str, name: str, errors: dict[str, str]) -> int | None:
    try:
        return whole_number(raw)
    except ValueError as error:
        errors[name] = str(error)
        return None


def page_arguments(errors: dict[str, str]) -> tuple[int, int]:
    """`page` and `per_page`, with the same rules as the equipment list."""
    page = _positive(request.args.get(PAGE.name, ""), PAGE.name, errors) or 1
    per_page = _positive(request.args.get(PER_PAGE.name, ""), PER_PAGE.name, errors) or 50
    if per_page not in (PER_PAGE.enum or ()):
        errors.setdefault(PER_PAGE.name, _("Show 25, 50, 100 or 200 per page."))
        per_page = 50
    return page, per_page


def filter_arguments(declared: Iterable[QueryParam]) -> tuple[dict[str, Any], int, int]:
    """The declared filters of a list with the page asked for; any bad argument is a 400
    problem naming each one."""
    declared = tuple(declared)
    errors = reject_unknown_arguments(declared)
    values: dict[str, Any] = {}
    for param in declared:
        raw = request.args.get(param.name, "")
        if param.kind == "integer":
            values[param.name] = _positive(raw, param.name, errors)
        elif param.enum is not None:
            text = raw.strip()
            if text and text not in param.enum:
                errors[param.name] = _("Unknown value: %(value)s.", value=text[:40])
            values[param.name] = text if text in param.enum else None
        elif any(ord(c) < 32 for c in raw):
            # NUL would fail a PostgreSQL query; no stored text holds any of these.
            errors[param.name] = _("Remove the invisible control characters from this text.")
            values[param.name] = ""
        else:
            values[param.name] = raw.strip()[:MAX_SEARCH_LENGTH]
    page, per_page = page_arguments(errors)
    if errors:
        raise ValidationError(errors)
    return values, page, per_page
