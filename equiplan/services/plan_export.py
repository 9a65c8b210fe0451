"""A finished run's plan as files: the solver's plan (equiplan-plan/1 JSON) and an XLSX
workbook for planners (summary, actions per year, spend against budgets, availability, the
deferred items with their explanation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from equiplan.services.errors import NotFound
from equiplan.services.plan_explanations import deferred_items
from equiplan.services.plan_results import (
    KIND_LABELS,
    TIMING_LABELS,
    actions_by_year,
    budget_title,
    budget_use,
    carries_over,
    option_label,
    solver_status_label,
    summary,
)
from equiplan.services.spreadsheet import write_xlsx


def stored_result_of(run: Any) -> Mapping[str, Any]:
    """The run's stored result, or NotFound while it has none (queued, running, failed)."""
    if not run.result:
        raise NotFound(f"result of OptimisationRun {run.id}")
    return run.result  # type: ignore[no-any-return]


def plan_document(run: Any) -> dict[str, Any]:
    """The solver's plan (equiplan-plan/1), with the years its periods stand for. Baselines
    carry their objective and feasibility only (results stored before that had the greedy
    plan's choices too)."""
    result = stored_result_of(run)
    plan = result["plan"]
    baselines = {
        name: {key: value for key, value in figures.items() if key != "choices"}
        for name, figures in (plan.get("baselines") or {}).items()
    }
    return {
        **plan,
        "baselines": baselines,
        "periods": [str(year) for year in result["periods"]],
    }


def _yes_no(flag: bool | None) -> str:
    return "" if flag is None else _("yes") if flag else _("no")


def plan_workbook(run: Any) -> bytes:
    """The plan as an XLSX workbook of five sheets."""
    result = stored_result_of(run)
    found = summary(result)
    scenario = result["scenario"]
    summary_rows = [
        (_("Run"), run.id),
        (_("Scenario"), scenario.get("name")),
        (_("Budget factor"), found.budget_factor),
        (_("Solver status"), str(solver_status_label(found.status))),
        (_("Objective (value)"), found.objective),
        (_("Proven bound"), found.bound),
        (_("Gap"), found.gap),
        (_("Do-nothing objective"), found.do_nothing_objective),
        (_("Greedy objective"), found.greedy_objective),
        (_("Doing nothing keeps every budget and minimum"), _yes_no(found.do_nothing_feasible)),
        (_("The greedy plan keeps every budget and minimum"), _yes_no(found.greedy_feasible)),
        (_("Total spend (EUR)"), found.total_spend),
        (_("Total budget (EUR)"), found.total_budget),
        (_("Mean availability, plan"), found.availability_plan),
        (_("Mean availability, do nothing"), found.availability_do_nothing),
        (_("Mean availability, greedy"), found.availability_greedy),
        (_("Items"), found.items),
        (_("Items with an action"), found.items_with_action),
    ]
    actions = [
        (
            a.year,
            a.item_id,
            a.agency_code,
            a.site_code or "",
            a.type_code,
            a.model_name,
            str(KIND_LABELS.get(a.kind, a.kind)),
            a.capex,
            a.due_year,
            str(TIMING_LABELS[a.timing]),
        )
        for year in actions_by_year(result)
        for a in year.actions
    ]
    # With carry-over a year may spend more than its own budget: the share used is against
    # what is available (its budget and what earlier years left), shown beside it.
    carry_over = carries_over(result)
    spend = [
        (
            budget_title(u.budget),
            u.year,
            u.spend,
            u.limit,
            *((u.available,) if carry_over else ()),
            u.share,
            u.shadow_price,
            _("yes") if u.tight else "",
        )
        for u in budget_use(result)
    ]
    availability = result["availability"]
    availability_rows = [
        (
            year,
            availability["plan"][t],
            availability["do_nothing"][t],
            (availability.get("greedy") or [None] * len(result["periods"]))[t],
        )
        for t, year in enumerate(result["periods"])
    ]
    deferred = [
        (
            e.item_id,
            e.agency_code,
            option_label(e.chosen_option, e.chosen_kind),
            option_label(e.best_option, e.best_kind),
            e.value_gain,
            e.extra_cost_total,
            ", ".join(f"{budget_title(t.budget)} {t.year}" for t in e.tight_budgets),
            ", ".join(f"{name} {year}" for name, year in e.binding_requirements),
            e.extra_budget_total,
        )
        for e in deferred_items(result)
    ]
    return write_xlsx(
        [
            (_("Summary"), (_("Figure"), _("Value")), summary_rows),
            (
                _("Actions"),
                (
                    _("Year"),
                    _("Item"),
                    _("Agency"),
                    _("Site"),
                    _("Type"),
                    _("Model"),
                    _("Action"),
                    _("Capex (EUR)"),
                    _("End of design life"),
                    _("Timing"),
                ),
                actions,
            ),
            (
                _("Spend"),
                (
                    _("Budget"),
                    _("Year"),
                    _("Spend (EUR)"),
                    _("Budget (EUR)"),
                    *((_("Available with carry-over (EUR)"),) if carry_over else ()),
                    _("Used"),
                    _("Shadow price"),
                    _("Tight"),
                ),
                spend,
            ),
            (
                _("Availability"),
                (_("Year"), _("Plan"), _("Do nothing"), _("Greedy")),
                availability_rows,
            ),
            (
                _("Deferred"),
                (
                    _("Item"),
                    _("Agency"),
                    _("Chosen"),
                    _("Best option"),
                    _("Value gain"),
                    _("Extra cost (EUR)"),
                    _("Tight budgets"),
                    _("Binding requirements"),
                    _("Extra budget that would fund it (EUR)"),
                ),
                deferred,
            ),
        ]
    )
