"""Scenarios name sites and equipment types by code (coverage minimums "site:SITE/TYPE", site
weights, the types in scope). When a site or type changes its code, every scenario naming the
old code is rewritten in the same transaction: otherwise the scenario could no longer be
saved (its stored codes unknown), and its portfolio would silently lose the site's minimums
and weights or the type's items.

The rewrite goes through the ORM: each changed scenario gets a new version (an edit begun
before sees a conflict instead of saving the old codes) and an audit event.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlmodel import Session

from equiplan.models import BudgetScenario
from equiplan.services.scenario_input import SITE_PREFIX


def _requirement_key(key: str, rename: Callable[[str, str], tuple[str, str]]) -> str:
    if not key.startswith(SITE_PREFIX):
        return key
    site, slash, kind = key.removeprefix(SITE_PREFIX).partition("/")
    site, kind = rename(site, kind)
    return f"{SITE_PREFIX}{site}{slash}{kind}"


def _rewrite(
    session: Session,
    rename: Callable[[str, str], tuple[str, str]],
    type_codes: Callable[[list[str]], list[str]],
    weights: Callable[[dict[str, float]], dict[str, float]],
) -> int:
    changed = 0
    for scenario in session.execute(select(BudgetScenario)).scalars():
        requirements = {
            _requirement_key(key, rename): value for key, value in scenario.requirements.items()
        }
        new_types = type_codes(list(scenario.type_codes))
        new_weights = weights(dict(scenario.site_weights))
        if (requirements, new_types, new_weights) == (
            scenario.requirements,
            scenario.type_codes,
            scenario.site_weights,
        ):
            continue
        scenario.requirements = requirements
        scenario.type_codes = new_types
        scenario.site_weights = new_weights
        changed += 1
    return changed


def rename_site(session: Session, old: str, new: str) -> int:
    """Rewrite the scenarios naming site `old` to name `new`; how many changed."""
    if old == new:
        return 0
    return _rewrite(
        session,
        lambda site, kind: (new if site == old else site, kind),
        lambda codes: codes,
        lambda weights: {(new if site == old else site): w for site, w in weights.items()},
    )


def rename_type(session: Session, old: str, new: str) -> int:
    """Rewrite the scenarios naming equipment type `old` to name `new`; how many changed."""
    if old == new:
        return 0
    return _rewrite(
        session,
        lambda site, kind: (site, new if kind == old else kind),
        lambda codes: [new if code == old else code for code in codes],
        lambda weights: weights,
    )
