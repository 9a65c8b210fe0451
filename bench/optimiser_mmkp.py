"""The optimiser on the published MMKP instances I07–I13, beside SciPy's `milp` (HiGHS).

Each instance is converted with the project's loader (equiplan.domain.optimiser.mmkp) and solved
with the project's optimiser, exactly like any portfolio; HiGHS gets the same model (the same
sparse matrix as the LP relaxation, with integrality) and the same time limit.

    .venv/bin/python bench/optimiser_mmkp.py [--time-limit 30] [--workers 2] [--only mmkp_a_07]

Prints, per instance: our objective, the reference value, our proven bound and gap, our time;
HiGHS's objective, bound and time; and whether we reached HiGHS's objective.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_cli import BenchParser, fail  # noqa: E402

from equiplan.domain.optimiser import PortfolioError, solve  # noqa: E402
from equiplan.domain.optimiser.lp import linear_form  # noqa: E402
from equiplan.domain.optimiser.mmkp import load_mmkp  # noqa: E402
from equiplan.domain.optimiser.problem import compile_portfolio  # noqa: E402

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "mmkp"


def highs(portfolio_path: Path, time_limit: float) -> tuple[float | None, float | None, float]:
    """HiGHS (SciPy's milp) on the same model: objective, dual bound, seconds."""
    form = linear_form(compile_portfolio(load_mmkp(portfolio_path)))
    integrality = np.zeros(form.objective.size)
    integrality[: form.columns] = 1
    started = time.perf_counter()
    result = milp(
        -form.objective,
        constraints=LinearConstraint(form.matrix, form.lower, form.upper),
        bounds=Bounds(0, form.variable_upper),
        integrality=integrality,
        options={"time_limit": time_limit, "disp": False},
    )
    seconds = time.perf_counter() - started
    objective = -float(result.fun) if result.x is not None else None
    bound = getattr(result, "mip_dual_bound", None)
    return objective, (-float(bound) if bound is not None else None), seconds


def main() -> None:
    parser = BenchParser(prog="optimiser_mmkp.py", description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--directory", type=Path, default=DEFAULT_DIRECTORY)
    parser.add_argument("--only", action="append", help="instance name(s), e.g. mmkp_a_07")
    parser.add_argument("--no-highs", action="store_true", help="skip the HiGHS comparison")
    options = parser.parse_args()
    if options.time_limit <= 0 or options.workers < 1:
        fail(parser.prog, "--time-limit must be positive and --workers at least 1")
    reference_file = options.directory / "reference.csv"
    if not reference_file.is_file():
        fail(parser.prog, f"no reference.csv in {options.directory}")
    with reference_file.open(encoding="utf-8") as handle:
        references = {
            row["instance"]: float(row["reference_value"]) for row in csv.DictReader(handle)
        }
    names = sorted(references)
    if options.only:
        names = [n for n in names if Path(n).stem in options.only]
        if not names:
            fail(parser.prog, f"no instance named {', '.join(options.only)}")
    print(
        f"MMKP, time limit {options.time_limit:g} s, {options.workers} workers "
        "(2 shared cores: times are noisy)"
    )
    header = (
        f"{'instance':<11} {'size':>10} {'ours':>8} {'reference':>9} {'bound':>10} {'gap %':>7}"
        f" {'time s':>6} | {'HiGHS':>8} {'bound':>10} {'time s':>6}  ours ≥ HiGHS"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        path = options.directory / name
        try:
            portfolio = load_mmkp(path)
        except PortfolioError as error:
            fail(parser.prog, f"{name}: {error}")
        plan = solve(portfolio, time_limit=options.time_limit, workers=options.workers)
        size = f"{len(portfolio.items)}×{len(portfolio.items[0].options)}×{len(portfolio.periods)}"
        gap = 100 * (plan.gap or 0.0)
        line = (
            f"{Path(name).stem:<11} {size:>10} {plan.objective or 0:>8.0f} "
            f"{references[name]:>9.0f} {plan.bound or 0:>10.1f} {gap:>7.3f} "
            f"{plan.wall_seconds:>6.1f}"
        )
        if options.no_highs:
            print(line, flush=True)
            continue
        theirs, their_bound, seconds = highs(path, options.time_limit)
        verdict = "yes" if theirs is None or (plan.objective or 0) >= theirs - 1e-9 else "NO"
        print(
            f"{line} | {theirs or float('nan'):>8.0f} {their_bound or float('nan'):>10.1f} "
            f"{seconds:>6.1f}  {verdict}",
            flush=True,
        )


if __name__ == "__main__":
    main()
