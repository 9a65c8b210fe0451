"""Forms of the run pages: start a run, start a budget sweep, cancel a run.

The fields are plain text, so the service checks each value with the same messages as the
JSON API; the forms carry the CSRF token.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from equiplan.services.optimisation_runs import (
    DEFAULT_SEED,
    DEFAULT_SWEEP,
    DEFAULT_TIME_LIMIT,
    DEFAULT_WORKERS,
)
from equiplan.web.forms import ServiceForm

_NUMBER = {"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": 10}


class RunForm(ServiceForm):
    """One run of the scenario with its budgets as planned."""

    time_limit_seconds = StringField(_l("Time limit (seconds)"), render_kw=_NUMBER)
    workers = StringField(_l("Solver workers"), render_kw=_NUMBER)
    seed = StringField(_l("Random seed"), render_kw=_NUMBER)


class SweepForm(RunForm):
    """A budget sweep: one run per budget level from the lowest to the highest percentage."""

    low_percent = StringField(_l("From (percent of the budget)"), render_kw=_NUMBER)
    high_percent = StringField(_l("To (percent of the budget)"), render_kw=_NUMBER)
    points = StringField(_l("Runs"), render_kw=_NUMBER)


class CancelRunForm(FlaskForm):
    """Cancelling is a POST with the CSRF token; the run is in the URL."""


def new_run_form() -> RunForm:
    return RunForm(
        formdata=None,
        time_limit_seconds=str(DEFAULT_TIME_LIMIT),
        workers=str(DEFAULT_WORKERS),
        seed=str(DEFAULT_SEED),
    )


def new_sweep_form() -> SweepForm:
    low, high, points = DEFAULT_SWEEP
    return SweepForm(
        formdata=None,
        time_limit_seconds=str(DEFAULT_TIME_LIMIT),
        workers=str(DEFAULT_WORKERS),
        seed=str(DEFAULT_SEED),
        low_percent=str(low),
        high_percent=str(high),
        points=str(points),
    )
