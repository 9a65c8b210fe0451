"""The scenario form: the plain fields as WTForms text fields (the service checks them with the
API's messages), and the yearly rows people type as text:

- a budget row per agency and one for the total, in euros: one amount for every year, or one
  per year separated by semicolons ("1 200 000; 1 250 000; 1 300 000");
- coverage minimums, one per line: "MED/RPM: 3.8" or "MED/RPM: 3; 3; 4" (site code/type code);
- site weights, one per line: "MED: 5".

`scenario_values` turns them into the service's structures (cents, lists per year) and
`placed_errors` puts the service's messages back beside the inputs they belong to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from equiplan.models import BudgetScenario
from equiplan.services import input_fields
from equiplan.services.scenario_input import AGENCY_PREFIX, SITE_PREFIX, TOTAL_BUDGET
from equiplan.web.forms import ServiceForm
from equiplan.web.naming import local_name

NEW_DEFAULTS = {"horizon_years": "10", "inflation_pct": "3"}
BUDGET_FIELD_PREFIX = "budget-"
_YEARS = {"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 4}


class ScenarioForm(ServiceForm):
    name = StringField(_l("Name"), render_kw={"maxlength": 200})
    description = TextAreaField(_l("Description"), render_kw={"rows": 2, "maxlength": 4000})
    first_year = StringField(_l("First year"), render_kw=_YEARS)
    horizon_years = StringField(_l("Horizon (years)"), render_kw=_YEARS | {"maxlength": 2})
    inflation_pct = StringField(
        _l("Inflation per year (percent)"), render_kw={"inputmode": "decimal"}
    )
    carry_over = BooleanField(_l("Unspent money carries over to the next year"))
    agency_codes = SelectMultipleField(_l("Agencies in scope"), choices=[], validate_choice=False)
    type_codes = SelectMultipleField(
        _l("Equipment types in scope"), choices=[], validate_choice=False
    )
    requirements = TextAreaField(_l("Coverage minimums"), render_kw={"rows": 4})
    site_weights = TextAreaField(_l("Site weights"), render_kw={"rows": 3})
    version = HiddenField()

    def offer(self, choices: Mapping[str, list[Any]]) -> None:
        """The agencies and types to choose from: code and name in the page's language."""
        self.agency_codes.choices = [
            SelectChoice(a.code, f"{a.code} · {local_name(a)}") for a in choices["agencies"]
        ]
        self.type_codes.choices = [
            SelectChoice(t.code, f"{t.code} · {local_name(t)}") for t in choices["types"]
        ]


def _euros_text(cents: list[int]) -> str:
    amounts = [f"{c / 100:.2f}".removesuffix(".00") for c in cents]
    return amounts[0] if len(set(amounts)) == 1 else "; ".join(amounts)


def _number_text(value: float) -> str:
    """A number as typed back into the form: every digit kept (a form saved unchanged stores
    the same numbers), without a trailing ".0"."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _numbers_text(values: list[float]) -> str:
    texts = [_number_text(v) for v in values]
    return texts[0] if len(set(texts)) == 1 else "; ".join(texts)


def filled_form(scenario: BudgetScenario) -> tuple[ScenarioForm, dict[str, str]]:
    """The edit form showing the scenario as stored, and its budget rows' text by budget key."""
    requirements = "\n".join(
        f"{key.removeprefix(SITE_PREFIX)}: {_numbers_text(values)}"
        for key, values in sorted((scenario.requirements or {}).items())
    )
    weights = "\n".join(
        f"{site}: {_number_text(w)}" for site, w in sorted(scenario.site_weights.items())
    )
    form = ScenarioForm(
        formdata=None,
        name=scenario.name,
        description=scenario.description,
        first_year=str(scenario.first_year),
        horizon_years=str(scenario.horizon_years),
        inflation_pct=f"{scenario.inflation_pct.normalize():f}",
        carry_over=scenario.carry_over,
        agency_codes=list(scenario.agency_codes),
        type_codes=list(scenario.type_codes),
        requirements=requirements,
        site_weights=weights,
        version=str(scenario.version),
    )
    budgets = {key: _euros_text(cents) for key, cents in (scenario.budgets or {}).items()}
    return form, budgets


def budget_texts(formdata: Mapping[str, str], agency_codes: list[str]) -> dict[str, str]:
    """The budget rows as typed, by budget key ("total", "agency:VSAT")."""
    keys = [TOTAL_BUDGET, *(AGENCY_PREFIX + code for code in agency_codes)]
    return {key: formdata.get(BUDGET_FIELD_PREFIX + key, "").strip() for key in keys}


def _horizon(form: ScenarioForm) -> int | None:
    try:
        return int(str(form.horizon_years.data).strip())
    except ValueError:
        return None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";")]


def _yearly(parts: list[str], horizon: int | None) -> list[str]:
    # One amount stands for every year of the horizon.
    if len(parts) == 1 and horizon is not None and 0 < horizon <= 100:
        return parts * horizon
    return parts


def _budgets(
    texts: Mapping[str, str], horizon: int | None, errors: dict[str, str]
) -> dict[str, list[int]]:
    budgets: dict[str, list[int]] = {}
    for key, text in texts.items():
        if not text:
            if key == TOTAL_BUDGET:
                errors[f"budgets.{key}"] = str(_l("Give the total budget of every year."))
            continue
        try:
            budgets[key] = [
                input_fields.euros(part) if part else -1 for part in _yearly(_split(text), horizon)
            ]
        except ValueError as error:
            errors[f"budgets.{key}"] = str(error)
            continue
        if -1 in budgets[key]:
            errors[f"budgets.{key}"] = str(_l("An amount is missing between two semicolons."))
    return budgets


def _lines(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        if line.strip():
            left, separator, right = line.partition(":")
            if not separator:
                left, separator, right = line.partition("=")
            pairs.append((left.strip(), right.strip() if separator else ""))
    return pairs


def _requirements(text: str, horizon: int | None, errors: dict[str, str]) -> dict[str, list[str]]:
    requirements: dict[str, list[str]] = {}
    for key, values in _lines(text):
        if not values:
            errors["requirements"] = str(
                _l("Write each minimum as SITE/TYPE: number, e.g. MED/RPM: 3.8.")
            )
            continue
        if SITE_PREFIX + key in requirements:
            # A second line for the same site and type would silently replace the first.
            errors["requirements"] = str(_l("%(key)s is given twice.", key=key[:60]))
            continue
        requirements[SITE_PREFIX + key] = _yearly(_split(values), horizon)
    return requirements


def _weights(text: str, errors: dict[str, str]) -> dict[str, str]:
    weights: dict[str, str] = {}
    for site, weight in _lines(text):
        if not weight:
            errors["site_weights"] = str(_l("Write each weight as SITE: number, e.g. MED: 5."))
            continue
        if site in weights:
            errors["site_weights"] = str(_l("%(key)s is given twice.", key=site[:60]))
            continue
        weights[site] = weight
    return weights


def scenario_values(
    form: ScenarioForm, budget_rows: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's values from the form, and the problems found before the service sees
    them (amounts that are not euros, lines without a number)."""
    errors: dict[str, str] = {}
    horizon = _horizon(form)
    values = {
        "name": form.name.data,
        "description": form.description.data,
        "first_year": form.first_year.data,
        "horizon_years": form.horizon_years.data,
        "inflation_pct": form.inflation_pct.data,
        "carry_over": bool(form.carry_over.data),
        "agency_codes": list(form.agency_codes.data or []),
        "type_codes": list(form.type_codes.data or []),
        "budgets": _budgets(budget_rows, horizon, errors),
        "requirements": _requirements(form.requirements.data or "", horizon, errors),
        "site_weights": _weights(form.site_weights.data or "", errors),
    }
    return values, errors


def placed_errors(
    form: ScenarioForm, errors: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Put each message beside its input: budget rows get theirs by key (returned), the other
    fields through the form; what belongs nowhere comes back as a list for the top."""
    budget_errors: dict[str, str] = {}
    others: dict[str, str] = {}
    for field, message in errors.items():
        if field.startswith("budgets."):
            budget_errors[field.removeprefix("budgets.")] = message
        elif field.startswith("requirements."):
            key = field.removeprefix("requirements.").removeprefix(SITE_PREFIX)
            others.setdefault("requirements", f"{key}: {message}")
        else:
            others[field] = message
    return budget_errors, form.show_errors(others)
