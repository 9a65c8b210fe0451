"""The optimiser on synthetic domain portfolios (items × 10 years × 21 options, agency budgets,
coverage requirements), and a budget sweep.

    .venv/bin/python bench/optimiser_synthetic.py [--sizes 500 5000 20000] [--workers 2]
        [--sweep-items 5000] [--sweep-seconds 55] [--no-sweep]

Each size is solved in its own process (so that its peak memory is its own) at the time limit of
the issue's targets (30 s, 60 s from 20,000 items). Prints the LP bound's time, the final gap,
the time, the peak memory, and the greedy and do-nothing baselines (their value below the bound).
The sweep solves the same portfolio at 10 budget levels, one after the other, within a total
time budget, as the planning pages' budget sweep does.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_cli import BenchParser, fail  # noqa: E402

from equiplan.domain.optimiser import scale_budgets, solve  # noqa: E402
from equiplan.domain.optimiser.synthetic import synthetic_portfolio  # noqa: E402

SWEEP_FACTORS = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5)


def _below(value: float | None, bound: float | None) -> str:
    if value is None or not bound:
        return "-"
    return f"{100 * (bound - value) / bound:.2f} %"


def one_size(items: int, time_limit: float, workers: int, seed: int) -> dict[str, Any]:
    """Solve one synthetic portfolio; the figures as a dict (run in a child process)."""
    portfolio = synthetic_portfolio(items, seed=seed)
    started = time.perf_counter()
    plan = solve(portfolio, time_limit=time_limit, workers=workers, seed=0)
    return {
        "items": items,
        "options": sum(len(item.options) for item in portfolio.items),
        "time_limit": time_limit,
        "seconds": time.perf_counter() - started,
        "status": plan.status,
        "objective": plan.objective,
        "bound": plan.bound,
        "gap": plan.gap,
        "greedy": plan.baselines["greedy"],
        "do_nothing": plan.baselines["do_nothing"],
        "solver": plan.solver,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def sweep(items: int, total_seconds: float, workers: int, seed: int) -> dict[str, Any]:
    """Solve one portfolio at each budget level of SWEEP_FACTORS within `total_seconds`."""
    portfolio = synthetic_portfolio(items, seed=seed)
    started = time.perf_counter()
    points = []
    for factor in SWEEP_FACTORS:
        point_started = time.perf_counter()
        plan = solve(
            scale_budgets(portfolio, factor),
            time_limit=total_seconds / len(SWEEP_FACTORS),
            workers=workers,
        )
        points.append(
            {
                "factor": factor,
                "status": plan.status,
                "objective": plan.objective,
                "gap": plan.gap,
                "seconds": time.perf_counter() - point_started,
            }
        )
    return {"items": items, "seconds": time.perf_counter() - started, "points": points}


def _child(arguments: list[str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        fail("optimiser_synthetic.py", f"child {' '.join(arguments)} failed: {result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = BenchParser(prog="optimiser_synthetic.py", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 20000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sweep-items", type=int, default=5000)
    parser.add_argument("--sweep-seconds", type=float, default=55.0)
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--one", type=int, help=argparse_hidden())
    parser.add_argument("--time-limit", type=float, help=argparse_hidden())
    parser.add_argument("--sweep-child", action="store_true", help=argparse_hidden())
    options = parser.parse_args()
    if options.workers < 1 or any(size < 1 for size in options.sizes):
        fail(parser.prog, "--workers and every size must be at least 1")
    if options.one is not None:
        print(json.dumps(one_size(options.one, options.time_limit, options.workers, options.seed)))
        return
    if options.sweep_child:
        figures = sweep(options.sweep_items, options.sweep_seconds, options.workers, options.seed)
        print(json.dumps(figures))
        return
    print(
        f"Synthetic portfolios (10 years × 21 options, seed {options.seed}), {options.workers} "
        "workers; 2 cores shared with other work: times are noisy"
    )
    header = (
        f"{'items':>6} {'limit':>5} {'LP s':>6} {'gap %':>8} {'time s':>6} {'peak MB':>7} "
        f"{'objective':>10} {'bound':>10} {'greedy below':>12} {'nothing below':>13}  status"
    )
    print(header)
    print("-" * len(header))
    for size in options.sizes:
        limit = 60.0 if size >= 20_000 else 30.0
        figures = _child(
            [
                "--one",
                str(size),
                "--time-limit",
                str(limit),
                "--workers",
                str(options.workers),
                "--seed",
                str(options.seed),
            ]
        )
        nothing = figures["do_nothing"]
        print(
            f"{size:>6} {limit:>5.0f} {figures['solver'].get('lp_seconds', 0):>6.1f} "
            f"{100 * (figures['gap'] or 0):>8.4f} {figures['seconds']:>6.1f} "
            f"{figures['peak_mb']:>7.0f} {figures['objective'] or 0:>10.1f} "
            f"{figures['bound'] or 0:>10.1f} "
            f"{_below(figures['greedy']['objective'], figures['bound']):>12} "
            f"{_below(nothing['objective'], figures['bound']):>9}"
            f"{'' if nothing['feasible'] else ' (x)':>4}  {figures['status']} "
            f"({figures['solver'].get('plan_source')}, LP rounds "
            f"{figures['solver'].get('lp_rounds')})",
            flush=True,
        )
    print("(x): doing nothing misses a coverage requirement")
    if options.no_sweep:
        return
    figures = _child(
        [
            "--sweep-child",
            "--sweep-items",
            str(options.sweep_items),
            "--sweep-seconds",
            str(options.sweep_seconds),
            "--workers",
            str(options.workers),
            "--seed",
            str(options.seed),
        ]
    )
    print(
        f"\nBudget sweep, {figures['items']} items, 10 levels, "
        f"{options.sweep_seconds / 10:.1f} s limit each: {figures['seconds']:.1f} s in all"
    )
    for point in figures["points"]:
        gap = "-" if point["gap"] is None else f"{100 * point['gap']:.4f} %"
        print(
            f"  budgets × {point['factor']:.1f}: {point['status']:<10} "
            f"objective {point['objective'] or 0:>10.1f}  gap {gap:>10}  {point['seconds']:.1f} s"
        )


def argparse_hidden() -> str:
    """Help text of the options the script passes to its own child processes."""
    return "internal: used by the script's child processes"


if __name__ == "__main__":
    main()
