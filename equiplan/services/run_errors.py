"""Why an optimisation run failed, as a code with parameters, said in the reader's language.

The runner (scheduler process) and the orphan check record a code and its parameters in
`run.error_code` / `run.error_params`, and the English text in `run.error` for logs and API
clients. The pages translate the code when they show it (`error_text`), so a reason is never
frozen in the language the scheduler happened to run in.

Messages that come from elsewhere (the portfolio builder's checks) are kept as a parameter in
every language the app speaks (`kept_messages`: a lazy message with its placeholders filled is
said in each). A message kept in English only (`kept_message`, or a run stored by an earlier
version) is looked up in the catalogue by its English text when shown, which is its message id
when it has no placeholders (otherwise it is shown in English).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import has_app_context
from flask_babel import force_locale, format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l

from equiplan.config import SUPPORTED_LOCALES

NO_PLAN = "no_plan"  # the time ran out before the solver found any plan
INFEASIBLE = "infeasible"  # no plan meets every budget and requirement
INPUT = "input"  # the scenario cannot be planned (nothing in scope, a bad budget...)
UNEXPECTED = "unexpected"  # a bug or an outage: logged with its traceback
ORPHANED = "orphaned"  # the process running it stopped beating
INTERRUPTED = "interrupted"  # the scheduler was stopped while it solved
CODES = (NO_PLAN, INFEASIBLE, INPUT, UNEXPECTED, ORPHANED, INTERRUPTED)

_MESSAGES = {
    NO_PLAN: _l(
        "The solver found no plan in the time limit (status %(status)s); give it more time."
    ),
    INFEASIBLE: _l("No plan meets every budget and requirement: %(reason)s"),
    INPUT: _l("The scenario cannot be planned: %(message)s"),
    UNEXPECTED: _l("Unexpected error (%(kind)s); the administrators can find it in the log."),
    ORPHANED: _l(
        "The process running it stopped (no sign of life since %(since)s UTC); start the run again."
    ),
    INTERRUPTED: _l("The scheduler was stopped while the run was solving; start it again."),
}
ENGLISH = "en"
# The optimiser's reasons for INFEASIBLE (domain/optimiser/infeasibility.py), by code: the
# run keeps the code and parameters beside the English sentence and says them here.
_DETAILS = {
    "budget_period": _l(
        "budget '%(budget)s' cannot cover period %(period)s: even the cheapest option of every "
        "item spends %(least)s, and the budget is %(limit)s"
    ),
    "budget_up_to": _l(
        "budget '%(budget)s' cannot cover the periods up to %(period)s: even the cheapest "
        "option of every item spends %(least)s, and the budget is %(limit)s"
    ),
    "requirement_period": _l(
        "requirement '%(requirement)s' cannot be met in period %(period)s: even the option "
        "that provides most for every item gives %(most)s, and %(needed)s is required"
    ),
    "combined": _l(
        "the budgets and requirements cannot all be met together, even with fractional "
        "choices: %(rows)s"
    ),
    "fractional": _l(
        "the budgets and requirements cannot all be met, even with fractional choices"
    ),
    "integer": _l("no choice of options meets every budget and requirement"),
}
_SHORT_ROWS = {
    "money": _l("'%(name)s' in %(period)s (money short by about %(amount)s)"),
    "coverage": _l("'%(name)s' in %(period)s (coverage short by about %(amount)s)"),
}
_AMOUNTS = ("least", "limit", "most", "needed", "amount")


@dataclass(frozen=True)
class RunError:
    """A failure reason: code, parameters (JSON) and the English text."""

    code: str
    params: dict[str, Any]

    @property
    def english(self) -> str:
        return _say(self.code, self.params, ENGLISH)


@contextmanager
def in_english() -> Iterator[None]:
    """Messages made inside are English (the runner builds the portfolio this way, so that a
    problem it reports is stored in English and translated when shown)."""
    if not has_app_context():
        yield
        return
    with force_locale(ENGLISH):
        yield


def kept_message(text: str) -> dict[str, str]:
    """A message made elsewhere (in English, see in_english), kept as a parameter."""
    return {ENGLISH: text}


def kept_messages(messages: Iterable[object]) -> dict[str, str]:
    """Messages made elsewhere, joined and kept in every language the app speaks: a lazy
    message (`_l` with its parameters) is said in each, plain text stays as it is. Shown, the
    reader's language is picked (`_in_language`)."""
    found = list(messages)
    if not has_app_context():
        return {ENGLISH: "; ".join(str(m) for m in found)}
    kept: dict[str, str] = {}
    for language in SUPPORTED_LOCALES:
        with force_locale(language):
            kept[language] = "; ".join(str(m) for m in found)
    return kept


def _in_language(kept: Mapping[str, str], language: str | None) -> str:
    if language and kept.get(language):
        return kept[language]
    english = kept.get(ENGLISH) or next(iter(kept.values()), "")
    if not language or language == ENGLISH or not english or not has_app_context():
        return english
    # Its English text is the message id when it came from one of our catalogued messages.
    with force_locale(language):
        return str(gettext(english))


def _amounts(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters with their amounts written as numbers are in the current language."""
    written = dict(params)
    for name in _AMOUNTS:
        if isinstance(written.get(name), int | float):
            amount = float(written[name])
            written[name] = (
                format_decimal(amount, format="#,##0.00") if has_app_context() else f"{amount:,.2f}"
            )
    return written


def _detail_text(detail: Mapping[str, Any]) -> str | None:
    """The optimiser's reason said from its code (None for a code not known here)."""
    message = _DETAILS.get(str(detail.get("code")))
    params = detail.get("params")
    if message is None or not isinstance(params, Mapping):
        return None
    try:
        values = _amounts(params)
        if detail.get("code") == "combined":
            rows = [str(_SHORT_ROWS[row["kind"]] % _amounts(row)) for row in params["rows"]]
            values["rows"] = "; ".join(rows) + ("; …" if params.get("more") else "")
        return str(message % values)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None  # a reason stored by another version: its English sentence is kept


def _say(code: str, params: Mapping[str, Any], language: str | None) -> str:
    if language is None or not has_app_context():
        return _said(code, params, language)
    with force_locale(language):
        return _said(code, params, language)


def _said(code: str, params: Mapping[str, Any], language: str | None) -> str:
    values = {
        name: _in_language(value, language) if isinstance(value, dict) else value
        for name, value in params.items()
        if name != "detail"
    }
    detail = params.get("detail")
    if isinstance(detail, Mapping):
        values["reason"] = _detail_text(detail) or values.get("reason", "")
    message = _MESSAGES.get(code)
    if message is None:
        return str(values.get("text", code))
    return str(message % _Blank(values))


class _Blank(dict[str, Any]):
    """Parameters for a message: one a stored run lacks is said as nothing, not an error."""

    def __missing__(self, key: str) -> str:
        return ""


def error_text(code: str | None, params: Mapping[str, Any] | None, fallback: str | None) -> str:
    """The reason in the current language; `fallback` (the stored English text) for runs
    recorded without a code."""
    if code is None or code not in _MESSAGES:
        return fallback or ""
    language = str(get_locale() or "") if has_app_context() else None
    return _say(code, params or {}, language or None)
