"""Corrective work in a generated history: failures drawn from the reliability model of
domain.md (a constant random rate plus Weibull wear-out), each with its downtime, repair,
waiting for parts and costs; an item still broken today keeps an open work order."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from equiplan.domain.repairs import restore_target
from equiplan.services.seeding_specs import DAYS_PER_YEAR
from equiplan.services.seeding_work import (
    ItemState,
    Row,
    WorkRecord,
    at_hour,
    labour_hours,
    work_row,
)

HOURS_PER_YEAR = 8760


def poisson(mean: float, rng: random.Random) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def simulate_failures(item: ItemState) -> None:
    """Append the item's corrective work orders since the start of the history window."""
    ctx, rng, profile = item.ctx, item.rng, item.spec.profile
    modes = ctx.failure_modes.get(profile.code, ())
    start = at_hour(max(item.commissioned_on, ctx.history_start), 0)
    end = min(at_hour(item.lifecycle.active_until, 0), ctx.now)
    if not modes or end <= start:
        return
    weights = [m.weight for m in modes]
    down_until = start
    for failed_at in _failure_times(item, start, end):
        # A unit that is down cannot fail again until it is repaired.
        down_start = max(failed_at, down_until + timedelta(hours=1))
        if down_start >= end:
            break
        mode = rng.choices(modes, weights)[0]
        repair = profile.mttr_hours * rng.lognormvariate(0, 0.5)
        waiting = 0.0
        if rng.random() > 0.4:  # no spare on hand: wait for parts or the vendor
            waiting = profile.logistics_delay_hours * rng.expovariate(1.0)
            eos = item.spec.end_of_support
            if eos is not None and down_start.date() > eos:
                waiting *= 2  # spares are scarce after the end of support (domain.md)
        down_end = down_start + timedelta(hours=repair + waiting)
        # Reported a little after the failure, and never after the repair.
        opened = down_start + timedelta(hours=min(rng.uniform(0.1, 3), (repair + waiting) / 2))
        # The site was open when the item failed unless it had closed by then.
        site_open = item.spec.site_open or (
            item.spec.site_closed_on is not None and down_start.date() < item.spec.site_closed_on
        )
        common: Row = {
            "downtime_start": down_start,
            "target_restore_at": restore_target(
                down_start, item.spec.site_criticality, site_open=site_open
            ),
            "symptom": mode.problem,
            "technician_id": ctx.technician_id,
        }
        if down_end >= ctx.now and item.lifecycle.active_until >= ctx.today:
            # Still broken today: open downtime makes the item not operational.
            started = opened + timedelta(hours=rng.uniform(1, 24))
            in_progress = started < ctx.now
            row = work_row(
                "corrective",
                "in_progress" if in_progress else "open",
                opened,
                started_at=started if in_progress else None,
                failure_code_id=mode.problem_id,
                notes="Awaiting spare parts." if waiting else "",
                **common,
            )
            item.work.append(WorkRecord(row))
            return
        # An item withdrawn while waiting for its repair has its downtime end at the withdrawal.
        down_end = min(down_end, end)
        opened = min(opened, down_end)
        labour = labour_hours(max(repair, 0.5) * 0.8, rng)
        parts = 0
        if rng.random() < 0.8:
            parts = round(item.cost_cents * rng.uniform(*mode.parts_cost_share))
        external = (
            round(item.cost_cents * rng.uniform(0.01, 0.05))
            if waiting and rng.random() < 0.3
            else 0
        )
        row = work_row(
            "corrective",
            "done",
            opened,
            started_at=max(opened, down_end - timedelta(hours=float(labour))),
            completed_at=down_end,
            downtime_end=down_end,
            failure_code_id=mode.remedy_id,
            cause=mode.cause,
            remedy=mode.remedy,
            result="pass",
            labour_hours=labour,
            parts_cost_cents=parts,
            external_cost_cents=external,
            **common,
        )
        item.work.append(WorkRecord(row))
        down_until = down_end


def _failure_times(item: ItemState, start: datetime, end: datetime) -> list[datetime]:
    """Failure times from a non-homogeneous Poisson process with the rate of domain.md:
    lambda(a) = lambda0 + H(a+1) - H(a), H(a) = (a / eta)^beta, one rate per year of age."""
    profile = item.spec.profile
    lambda0 = HOURS_PER_YEAR / profile.mtbf_hours
    eta = profile.weibull_eta_factor * profile.design_life_years
    origin = at_hour(item.commissioned_on, 0)
    age = (start - origin).total_seconds() / 86400 / DAYS_PER_YEAR
    end_age = (end - origin).total_seconds() / 86400 / DAYS_PER_YEAR
    times: list[datetime] = []
    while age < end_age:
        whole = math.floor(age)
        segment_end = min(whole + 1.0, end_age)
        rate = (
            lambda0
            + ((whole + 1) / eta) ** profile.weibull_beta
            - (whole / eta) ** profile.weibull_beta
        )
        for _ in range(poisson(rate * (segment_end - age), item.rng)):
            at_age = item.rng.uniform(age, segment_end)
            times.append(origin + timedelta(days=at_age * DAYS_PER_YEAR))
        age = segment_end
    return sorted(times)
