"""The result of a solve (`equiplan-plan/1`) and the progress reports during one."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

PLAN_FORMAT = "equiplan-plan/1"
# A plan is called optimal only when its proven gap is below this: what is left is
# floating-point noise of the sums, not a shortfall of the search.
OPTIMAL_GAP = 1e-9


@dataclass(frozen=True)
class Progress:
    """A progress report: the best plan's value so far, the proven bound, seconds since the
    solve started (values None until known)."""

    incumbent: float | None
    bound: float | None
    elapsed: float


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """(bound − objective) / |bound|, never negative; None when either is unknown."""
    if objective is None or bound is None:
        return None
    difference = max(bound - objective, 0.0)
    if difference == 0.0:
        return 0.0
    return difference / max(abs(bound), 1e-12)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class Plan:
    """What the optimiser found. `status` is OPTIMAL only when the gap to the proven bound is
    nil; FEASIBLE when a plan is known but not proven best (also after a stop or the time
    limit); INFEASIBLE with a `reason` when no plan meets every budget and requirement (even
    fractionally); UNKNOWN when the time ran out before any plan was found."""

    name: str
    periods: tuple[str, ...]
    status: str
    objective: float | None
    bound: float | None
    wall_seconds: float
    choices: dict[str, str] = field(default_factory=dict)
    spend: dict[str, list[float]] = field(default_factory=dict)
    slack: dict[str, list[float]] = field(default_factory=dict)
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    reason: str | None = None
    # The reason as a code and parameters (infeasibility.Reason), for a translated message.
    reason_detail: dict[str, Any] | None = None
    stopped: bool = False
    shadow_prices: dict[str, list[float]] = field(default_factory=dict)
    requirement_prices: dict[str, list[float]] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """Relative gap between the plan's value and the proven bound."""
        return relative_gap(self.objective, self.bound)

    def to_json(self) -> dict[str, Any]:
        """The `equiplan-plan/1` document."""
        return {
            "format": PLAN_FORMAT,
            "name": self.name,
            "periods": list(self.periods),
            "status": self.status,
            "objective": _finite(self.objective),
            "bound": _finite(self.bound),
            "gap": _finite(self.gap),
            "wall_seconds": round(self.wall_seconds, 3),
            "stopped": self.stopped,
            "reason": self.reason,
            "reason_detail": self.reason_detail,
            "choices": dict(self.choices),
            "spend": {name: list(values) for name, values in self.spend.items()},
            "slack": {name: list(values) for name, values in self.slack.items()},
            "baselines": {name: dict(values) for name, values in self.baselines.items()},
            "shadow_prices": {name: list(v) for name, v in self.shadow_prices.items()},
            "requirement_prices": {name: list(v) for name, v in self.requirement_prices.items()},
            "solver": dict(self.solver),
        }
