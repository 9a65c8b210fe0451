"""The optimiser on tiny portfolios whose optimum is known by trying every plan, and its
promises: budgets (total, per agency, carry-over) and requirements hold, the reported plan is
checked, status and gap are honest, baselines, progress, stop, determinism."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import pytest

from equiplan.domain.optimiser import (
    Plan,
    Portfolio,
    PortfolioError,
    PortfolioItem,
    PortfolioOption,
    Progress,
    solve,
)
from equiplan.domain.optimiser.synthetic import synthetic_portfolio

# An independent check, in plain Python (not the solver's numpy code).
TOLERANCE = 1e-9


def option(
    option_id: str, cost: Sequence[float], value: float, **provides: Sequence[float]
) -> PortfolioOption:
    return PortfolioOption(
        id=option_id,
        cost=tuple(float(c) for c in cost),
        value=float(value),
        provides={name.replace("_", ":"): tuple(map(float, v)) for name, v in provides.items()},
    )


def portfolio(
    items: Sequence[PortfolioItem],
    budgets: dict[str, Sequence[float]],
    *,
    periods: int | None = None,
    carry_over: bool = False,
    requirements: dict[str, Sequence[float]] | None = None,
) -> Portfolio:
    count = periods or len(next(iter(budgets.values())))
    return Portfolio(
        name="test",
        periods=tuple(str(2027 + t) for t in range(count)),
        budgets={name: tuple(map(float, values)) for name, values in budgets.items()},
        items=tuple(items),
        carry_over=carry_over,
        requirements={n: tuple(map(float, v)) for n, v in (requirements or {}).items()},
    )


def feasible(problem: Portfolio, picks: Sequence[PortfolioOption]) -> bool:
    periods = len(problem.periods)
    for name, budget in problem.budgets.items():
        spend = [0.0] * periods
        for item, chosen in zip(problem.items, picks, strict=True):
            if name == "total" or name in item.budgets:
                spend = [s + c for s, c in zip(spend, chosen.cost, strict=True)]
        if problem.carry_over:
            spend = list(itertools.accumulate(spend))
            budget = tuple(itertools.accumulate(budget))
        if any(s > b + TOLERANCE * max(1.0, abs(b)) for s, b in zip(spend, budget, strict=True)):
            return False
    for name, required in problem.requirements.items():
        for period in range(periods):
            provided = sum(chosen.provides.get(name, (0.0,) * periods)[period] for chosen in picks)
            if provided < required[period] - TOLERANCE * max(1.0, required[period]):
                return False
    return True


def brute_force(problem: Portfolio) -> float | None:
    """The best value over every plan, or None when no plan is feasible."""
    best = None
    for picks in itertools.product(*(item.options for item in problem.items)):
        if feasible(problem, picks):
            value = sum(chosen.value for chosen in picks)
            best = value if best is None else max(best, value)
    return best


def chosen_options(problem: Portfolio, plan: Plan) -> list[PortfolioOption]:
    by_id = {item.id: {o.id: o for o in item.options} for item in problem.items}
    return [by_id[item.id][plan.choices[item.id]] for item in problem.items]


def _most_valuable(item: PortfolioItem) -> PortfolioOption:
    return max(item.options, key=lambda o: o.value)


def unconstrained_best(problem: Portfolio) -> float:
    """Every item's most valuable option: the optimum when no budget or requirement binds."""
    return sum(_most_valuable(item).value for item in problem.items)


def impossible_alone(problem: Portfolio) -> tuple[str, str, str] | None:
    """(reason code, name, period) of the first budget, then requirement, that no plan meets
    even on its own (the cheapest option of every item overspends; the most providing option
    of every item falls short), or None when each alone can be met."""
    periods = problem.periods
    for name, budget in problem.budgets.items():
        members = [item for item in problem.items if name == "total" or name in item.budgets]
        limits = list(itertools.accumulate(budget)) if problem.carry_over else list(budget)
        for period, label in enumerate(periods):
            first = 0 if problem.carry_over else period  # with carry-over: the periods up to it
            least = sum(
                min(sum(o.cost[first : period + 1]) for o in item.options) for item in members
            )
            limit = limits[period]
            if least > limit + TOLERANCE * max(1.0, abs(limit)):
                return ("budget_up_to" if problem.carry_over else "budget_period", name, label)
    for name, required in problem.requirements.items():
        nothing = (0.0,) * len(periods)
        for period, label in enumerate(periods):
            most = sum(
                max(o.provides.get(name, nothing)[period] for o in item.options)
                for item in problem.items
            )
            if most < required[period] - TOLERANCE * max(1.0, required[period]):
                return ("requirement_period", name, label)
    return None


def random_portfolio(seed: int) -> Portfolio:
    """A tiny portfolio whose budgets and requirement usually change the optimum.

    Every item has a cheap `keep` option (cheapest in every period, worth little); its other
    options cost more in every period. Each budget lies between the spend of the cheapest plan
    and that of every item's most valuable option; the requirement between the least and the
    most the items can provide. So most portfolios have plans, but not the most valuable one.
    Some get a budget below the cheapest plan's spend or a requirement above what can be
    provided; others have no plan because not all can be met together."""
    rng = random.Random(seed)
    periods = rng.randint(1, 3)
    item_count = rng.randint(2, 5)
    with_agency = rng.random() < 0.5
    with_requirement = rng.random() < 0.5
    items = []
    for number in range(item_count):
        in_agency = with_agency and rng.random() < 0.6
        provider = with_requirement and number % 2 == 0
        keep_cost = [rng.randint(0, 2) for _ in range(periods)]
        keep_value = round(rng.uniform(-2, 3), 1)
        options = [
            PortfolioOption(
                id="keep",
                cost=tuple(map(float, keep_cost)),
                value=keep_value,
                provides={"need": (float(rng.randint(0, 1)),) * periods} if provider else {},
            )
        ]
        for index in range(rng.randint(1, 3)):
            # A provider's first option covers much for little money and value, the others
            # little: the most valuable plan seldom meets the requirement.
            cover = provider and index == 0
            extra_cost, gain, provided = (3, (-2, 4), (2, 3)) if cover else (8, (-3, 15), (0, 1))
            need = tuple(float(rng.randint(*provided)) for _ in range(periods))
            options.append(
                PortfolioOption(
                    id=f"o{index}",
                    cost=tuple(float(c + rng.randint(1, extra_cost)) for c in keep_cost),
                    value=round(keep_value + rng.uniform(*gain), 1),
                    provides={"need": need} if provider else {},
                )
            )
        items.append(
            PortfolioItem(
                id=f"item{number}",
                options=tuple(options),
                budgets=("agency",) if in_agency else (),
            )
        )
    members = {"total": items}
    if with_agency:
        members["agency"] = [item for item in items if "agency" in item.budgets]
    budgets, cheapest = {}, {}
    for name, in_budget in members.items():
        cheapest[name] = [
            sum(item.options[0].cost[t] for item in in_budget) for t in range(periods)
        ]
        best = [sum(_most_valuable(item).cost[t] for item in in_budget) for t in range(periods)]
        budgets[name] = [
            low + int(rng.uniform(0.1, 0.9) * (high - low))
            for low, high in zip(cheapest[name], best, strict=True)
        ]
    requirements, most = None, []
    if with_requirement:
        providers = items[::2]
        least = [
            sum(min(o.provides["need"][t] for o in item.options) for item in providers)
            for t in range(periods)
        ]
        most = [
            sum(max(o.provides["need"][t] for o in item.options) for item in providers)
            for t in range(periods)
        ]
        requirements = {
            "need": [
                low + round(rng.uniform(0.2, 0.7) * (high - low))
                for low, high in zip(least, most, strict=True)
            ]
        }
    trouble, period = rng.random(), rng.randrange(periods)
    if trouble < 0.1:  # less than the cheapest plan spends in one period
        name = rng.choice(sorted(budgets))
        budgets[name][period] = max(0, cheapest[name][period] - rng.randint(1, 3))
    elif trouble < 0.16 and requirements is not None:  # more than every item can provide
        requirements["need"][period] = most[period] + rng.randint(1, 2)
    return portfolio(
        items,
        budgets,
        carry_over=rng.random() < 0.4,
        requirements=requirements,
    )


SEEDS = range(80)


def test_most_random_portfolios_have_plans_that_their_constraints_change() -> None:
    # What the brute-force test below covers: without this, a change to the generator could
    # leave it comparing unconstrained or infeasible portfolios only.
    kinds: Counter[str] = Counter()
    for seed in SEEDS:
        problem = random_portfolio(seed)
        best = brute_force(problem)
        if best is None:
            kinds["no plan: " + ("alone" if impossible_alone(problem) else "together")] += 1
        elif best < unconstrained_best(problem) - 1e-9:
            kinds["binding"] += 1
            favourites = [_most_valuable(item) for item in problem.items]
            kinds["binding requirement"] += not feasible(replace(problem, budgets={}), favourites)
        else:
            kinds["not binding"] += 1
    assert kinds["binding"] >= len(SEEDS) / 2, kinds
    assert kinds["binding requirement"] >= 8, kinds
    assert kinds["no plan: alone"] >= 3, kinds
    assert kinds["no plan: together"] >= 3, kinds


@pytest.mark.parametrize("seed", SEEDS)
def test_tiny_portfolios_are_solved_to_the_brute_force_optimum(seed: int) -> None:
    problem = random_portfolio(seed)
    best = brute_force(problem)
    # The work of a 10 s solve with a wider clock: a busy machine cannot cut the proof short.
    plan = solve(problem, time_limit=60, work_limit=10, workers=2)
    if best is None:
        assert plan.status == "INFEASIBLE"
        assert plan.objective is None
        assert plan.choices == {}
        assert plan.reason
        assert plan.reason_detail is not None
        code, params = plan.reason_detail["code"], plan.reason_detail["params"]
        alone = impossible_alone(problem)
        if alone is not None:
            expected_code, name, period = alone
            assert code == expected_code, plan.reason
            assert (params.get("budget", params.get("requirement")), params["period"]) == (
                name,
                period,
            )
            assert repr(name) in plan.reason
            assert period in plan.reason
        else:
            # Each budget and the requirement alone can be met: not all of them together.
            assert code in ("combined", "integer", "fractional"), plan.reason
            for row in params.get("rows", []):
                assert row["name"] in {*problem.budgets, *problem.requirements}
                assert row["kind"] == ("money" if row["name"] in problem.budgets else "coverage")
                assert row["period"] in problem.periods
        return
    assert plan.status == "OPTIMAL", plan.to_json()
    assert plan.objective == pytest.approx(best, abs=1e-9)
    picks = chosen_options(problem, plan)
    assert feasible(problem, picks)
    assert sum(p.value for p in picks) == pytest.approx(plan.objective, abs=1e-9)
    assert plan.gap is not None
    assert plan.gap <= 1e-9
    assert plan.bound is not None
    assert plan.bound >= plan.objective - 1e-9


def test_carry_over_lets_unspent_money_pay_for_a_later_replacement() -> None:
    item = PortfolioItem(
        id="RPM-1", options=(option("keep", [0, 0], 1), option("replace@2028", [0, 15], 5))
    )
    without = solve(portfolio([item], {"total": [10, 10]}), time_limit=5)
    with_carry = solve(portfolio([item], {"total": [10, 10]}, carry_over=True), time_limit=5)
    assert without.choices == {"RPM-1": "keep"}
    assert with_carry.choices == {"RPM-1": "replace@2028"}
    assert with_carry.spend == {"total": [0.0, 15.0]}
    assert with_carry.status == "OPTIMAL"


def test_carry_over_never_borrows_from_a_later_period() -> None:
    item = PortfolioItem(
        id="RPM-1", options=(option("keep", [0, 0], 1), option("replace@2027", [15, 0], 5))
    )
    plan = solve(portfolio([item], {"total": [0, 20]}, carry_over=True), time_limit=5)
    assert plan.choices == {"RPM-1": "keep"}


def test_an_agency_budget_binds_only_its_own_items() -> None:
    items = [
        PortfolioItem(
            id=f"{agency}-{n}",
            budgets=(f"agency:{agency}",),
            options=(option("keep", [1], 1), option("replace", [10], 3)),
        )
        for agency in ("VSAT", "PD")
        for n in range(2)
    ]
    plan = solve(
        portfolio(items, {"total": [100], "agency:VSAT": [11], "agency:PD": [30]}),
        time_limit=5,
    )
    assert plan.status == "OPTIMAL"
    assert sorted(plan.choices.values()).count("replace") == 3
    assert plan.choices["PD-0"] == plan.choices["PD-1"] == "replace"
    assert plan.spend["agency:VSAT"] == [11.0]
    assert plan.spend["agency:PD"] == [20.0]
    assert plan.spend["total"] == [31.0]


def test_a_coverage_requirement_is_met_even_at_a_loss_of_value() -> None:
    lane = PortfolioItem(
        id="lane",
        options=(
            option("keep", [0], 5, site_MED=[0.6]),
            option("replace", [10], 4, site_MED=[0.99]),
        ),
    )
    plan = solve(portfolio([lane], {"total": [10]}, requirements={"site:MED": [0.9]}), time_limit=5)
    assert plan.choices == {"lane": "replace"}
    assert plan.slack == {"site:MED": [pytest.approx(0.09)]}
    assert plan.baselines["do_nothing"] == {"objective": 5.0, "feasible": False}


def test_decimal_money_is_not_refused_for_floating_point_noise() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in binary floating point, but the budget is 0.3.
    items = [
        PortfolioItem(id="a", options=(option("keep", [0], 0), option("buy", [0.1], 1))),
        PortfolioItem(id="b", options=(option("keep", [0], 0), option("buy", [0.2], 1))),
    ]
    plan = solve(portfolio(items, {"total": [0.3]}), time_limit=5)
    assert plan.choices == {"a": "buy", "b": "buy"}
    assert plan.status == "OPTIMAL"


def _impossible(kind: str) -> Portfolio:
    lane = PortfolioItem(
        id="lane",
        options=(option("keep", [5, 5], 1, site_MED=[0.5, 0.5]), option("up", [3, 3], 2)),
    )
    if kind == "budget":
        return portfolio([lane], {"total": [10, 2]}, requirements={"site:MED": [0, 0]})
    if kind == "requirement":
        return portfolio([lane], {"total": [10, 10]}, requirements={"site:MED": [0.5, 0.8]})
    # Each alone is possible (the upgrade is cheap enough; keeping provides enough), but the
    # requirement needs the keep option, which costs more than the 2027 budget.
    return portfolio([lane], {"total": [4, 10]}, requirements={"site:MED": [0.5, 0.5]})


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("budget", "budget 'total' cannot cover period 2028: even the cheapest option"),
        ("requirement", "requirement 'site:MED' cannot be met in period 2028"),
        ("together", "cannot all be met together"),
    ],
)
def test_an_infeasible_portfolio_says_which_budget_or_requirement_and_period(
    kind: str, expected: str
) -> None:
    plan = solve(_impossible(kind), time_limit=5)
    assert plan.status == "INFEASIBLE"
    assert plan.reason is not None
    assert expected in plan.reason
    document = plan.to_json()
    assert document["objective"] is None
    assert document["choices"] == {}


def test_the_combined_reason_names_the_budget_and_period() -> None:
    plan = solve(_impossible("together"), time_limit=5)
    assert plan.reason is not None
    assert "'total' in 2027" in plan.reason


@pytest.fixture(scope="module")
def medium() -> Portfolio:
    return synthetic_portfolio(150, seed=0)


@pytest.fixture(scope="module")
def medium_solve(medium: Portfolio) -> tuple[Plan, list[Progress]]:
    """The plan and the progress reports of one solve. Its searches end on their work limit,
    not the clock (ten times wider): the same plan on a busy machine as on a quiet one."""
    reports: list[Progress] = []
    plan = solve(medium, time_limit=20, work_limit=2, workers=2, seed=0, progress=reports.append)
    return plan, reports


@pytest.fixture(scope="module")
def medium_plan(medium_solve: tuple[Plan, list[Progress]]) -> Plan:
    return medium_solve[0]


def test_the_plan_document_has_every_field(medium_plan: Plan, medium: Portfolio) -> None:
    document = medium_plan.to_json()
    assert document["format"] == "equiplan-plan/1"
    assert set(document) >= {
        "status",
        "objective",
        "bound",
        "gap",
        "wall_seconds",
        "choices",
        "spend",
        "slack",
        "baselines",
        "reason",
        "stopped",
        "shadow_prices",
        "requirement_prices",
        "solver",
    }
    assert set(document["choices"]) == {item.id for item in medium.items}
    assert set(document["spend"]) == set(medium.budgets)
    assert all(len(values) == 10 for values in document["spend"].values())
    assert set(document["shadow_prices"]) == set(medium.budgets)
    assert set(document["requirement_prices"]) == set(medium.requirements)
    assert document["solver"]["lp_status"] == "OPTIMAL"


def test_the_plan_is_feasible_and_never_worse_than_greedy(
    medium_plan: Plan, medium: Portfolio
) -> None:
    assert medium_plan.status in ("OPTIMAL", "FEASIBLE")
    picks = chosen_options(medium, medium_plan)
    assert feasible(medium, picks)
    assert medium_plan.objective == pytest.approx(sum(p.value for p in picks))
    greedy = medium_plan.baselines["greedy"]
    assert greedy["feasible"] is True
    assert medium_plan.objective >= greedy["objective"]
    greedy_picks = [
        {o.id: o for o in item.options}[greedy["choices"][item.id]] for item in medium.items
    ]
    assert feasible(medium, greedy_picks)
    assert sum(p.value for p in greedy_picks) == pytest.approx(greedy["objective"])
    assert medium_plan.baselines["do_nothing"]["objective"] == pytest.approx(
        sum(item.options[0].value for item in medium.items)
    )


def test_status_and_gap_are_honest(medium_plan: Plan) -> None:
    assert medium_plan.bound is not None
    assert medium_plan.objective is not None
    assert medium_plan.gap == pytest.approx(
        (medium_plan.bound - medium_plan.objective) / medium_plan.bound
    )
    if medium_plan.gap > 1e-9:
        assert medium_plan.status == "FEASIBLE"
    # The LP bound is tight for this structure: within a few percent even at 150 items (this
    # work limit gives 0.8 %).
    assert medium_plan.gap < 0.03


def test_the_same_input_seed_workers_and_work_give_the_same_plan(medium: Portfolio) -> None:
    # The work of a 4 s solve with ten times the clock: every search ends on its work limit
    # (measured: about 7 s of 40, each stage under a fifth of its clock, also with the test
    # suite running beside it), so nothing here depends on the machine's speed. A 4 s limit
    # alone let the clock end the whole-model search (0.45 s for CP-SAT's presolve of 3,150
    # variables) and the plans differed from run to run.
    runs = [solve(medium, time_limit=40, work_limit=4, workers=2, seed=0) for _ in range(2)]
    first, again = runs
    for plan in runs:
        # Both stages ran: the LP core's searches and the whole model's (whose work, equal
        # below, would differ had the clock cut either).
        assert len(plan.solver["core_objectives"]) == 4, plan.solver
        assert plan.solver["cp_sat_stages"] == 2, plan.solver
    assert again.solver["core_objectives"] == first.solver["core_objectives"]
    assert again.solver["cp_sat_deterministic_time"] == first.solver["cp_sat_deterministic_time"]
    assert again.choices == first.choices
    assert again.objective == first.objective


@pytest.mark.parametrize("work_limit", [0, float("nan"), float("inf")])
def test_a_work_limit_must_be_positive(medium: Portfolio, work_limit: float) -> None:
    with pytest.raises(PortfolioError, match="work limit"):
        solve(medium, time_limit=1, work_limit=work_limit)


@pytest.mark.parametrize("time_limit", [0, -1, float("nan"), float("inf")])
def test_a_time_limit_must_be_a_positive_number(medium: Portfolio, time_limit: float) -> None:
    with pytest.raises(PortfolioError, match="time limit"):
        solve(medium, time_limit=time_limit)


def test_the_largest_seeds_solve(medium: Portfolio) -> None:
    # Each search derives its own seed from the caller's (seed + 1, + 2, ...): they wrap
    # around within CP-SAT's range instead of overflowing it.
    plan = solve(medium, time_limit=20, work_limit=0.5, seed=2**31 - 1)
    assert plan.status in ("OPTIMAL", "FEASIBLE")
    assert plan.solver["seed"] == 2**31 - 1
    assert len(plan.solver["core_objectives"]) == 4  # both rounds of both core searches ran


@pytest.mark.parametrize("seed", [-1, 2**31])
def test_a_seed_outside_cp_sats_range_is_refused(medium: Portfolio, seed: int) -> None:
    with pytest.raises(
        PortfolioError, match="the seed must be a whole number from 0 to 2147483647"
    ):
        solve(medium, time_limit=1, seed=seed)


def test_progress_is_reported_with_a_rising_incumbent_and_a_falling_bound(
    medium_solve: tuple[Plan, list[Progress]],
) -> None:
    plan, reports = medium_solve
    # One report before the LP, one after it, one after the core search and one after each
    # whole-model stage (besides CP-SAT's own while it searches).
    assert "core_seconds" in plan.solver
    assert plan.solver["cp_sat_stages"] >= 1
    assert len(reports) >= 3 + plan.solver["cp_sat_stages"]
    elapsed = [r.elapsed for r in reports]
    assert elapsed == sorted(elapsed)
    incumbents = [r.incumbent for r in reports if r.incumbent is not None]
    bounds = [r.bound for r in reports if r.bound is not None]
    assert incumbents == sorted(incumbents)
    assert bounds == sorted(bounds, reverse=True)
    assert all(
        r.bound >= r.incumbent - 1e-9
        for r in reports
        if r.bound is not None and r.incumbent is not None
    )


def test_a_stop_request_returns_the_best_plan_so_far(medium: Portfolio) -> None:
    plan = solve(medium, time_limit=60, should_stop=lambda: True)
    assert plan.stopped is True
    assert plan.to_json()["stopped"] is True
    assert plan.status == "FEASIBLE"
    assert plan.objective is not None
    # It stopped at its first check, after the LP: no CP-SAT search was even prepared (an
    # unstopped solve records these: see the determinism test above).
    searches = [key for key in plan.solver if key.startswith(("core_", "cp_sat_", "stage"))]
    assert searches == [], plan.solver
    assert "money_unit" not in plan.solver
    assert feasible(medium, chosen_options(medium, plan))
