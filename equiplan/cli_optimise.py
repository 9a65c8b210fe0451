"""`equiplan optimise FILE.json`: solve a portfolio file and print the plan as JSON.

It needs neither a database nor the app's configuration: the optimiser is pure. A file that is
not a valid `equiplan-portfolio/1` document ends with a one-line message naming the item,
option and field, and exit code 2 (docs/portfolio.md).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from equiplan.domain.optimiser import Progress

# Exit codes: a plan was found; no plan (INFEASIBLE or UNKNOWN: the JSON says why); bad input.
EXIT_PLAN = 0
EXIT_NO_PLAN = 1


def _print_progress(progress: Progress) -> None:
    incumbent = "-" if progress.incumbent is None else f"{progress.incumbent:.6g}"
    bound = "-" if progress.bound is None else f"{progress.bound:.6g}"
    click.echo(f"{progress.elapsed:7.1f} s  best {incumbent}  bound {bound}", err=True)


def _write_whole(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: into a temporary file beside it, then
    renamed over it (a full disk leaves no half-written plan, nor a half-overwritten one)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".plan-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        # mkstemp makes the file private; the plan gets the permissions a plain write gives.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise click.UsageError(f"--out: cannot write {str(path)!r}: {error}") from None


class _Seconds(click.FloatRange):
    """Seconds within a range; click's FloatRange lets "nan" through (no comparison fails)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


@click.command("optimise")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--time-limit",
    type=_Seconds(min=0.1, max=86_400),
    default=30.0,
    show_default=True,
    help="Seconds to search for a better plan.",
)
@click.option(
    "--work-limit",
    type=_Seconds(min=0.1, max=86_400),
    default=None,
    help="Size the search's work as for this time limit (default: the time limit). The same "
    "file, seed, workers and work limit give the same plan while the time limit is not reached: "
    "raise --time-limit above it to reproduce a plan on a busy machine.",
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Solver threads."
)
@click.option(
    "--seed",
    # CP-SAT's seed is a signed 32-bit number (the web form and the API take the same range).
    type=click.IntRange(0, 2**31 - 1),
    default=0,
    show_default=True,
    help="Random seed of the search.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also write the plan JSON to this file.",
)
@click.option("--progress", is_flag=True, help="Report progress on stderr while solving.")
def optimise_command(
    file: Path,
    time_limit: float,
    work_limit: float | None,
    workers: int,
    seed: int,
    out: Path | None,
    progress: bool,
) -> None:
    """Choose one option per item of a portfolio file (equiplan-portfolio/1) within its budgets
    and requirements; print the plan (equiplan-plan/1) as JSON.

    Exit code 0 when a plan was found, 1 when there is none (INFEASIBLE, with the reason, or
    UNKNOWN), 2 for a bad file or bad options."""
    # Imported here: OR-Tools and SciPy load in about a second, and every other `equiplan`
    # command (and the web app, which registers this one) can do without them.
    from equiplan.domain.optimiser import PortfolioError, load_portfolio, solve

    if out is not None and not (out.parent.is_dir() and os.access(out.parent, os.W_OK)):
        # Checked before the search: the plan of a long solve is not lost for a typo.
        raise click.UsageError(f"--out: cannot write in the folder {str(out.parent)!r}")
    try:
        portfolio = load_portfolio(file)
    except PortfolioError as error:
        raise click.UsageError(str(error)) from None
    plan = solve(
        portfolio,
        time_limit=time_limit,
        work_limit=work_limit,
        workers=workers,
        seed=seed,
        progress=_print_progress if progress else None,
    )
    text = json.dumps(plan.to_json(), indent=2, ensure_ascii=False)
    # Printed first: a file that cannot be written (exit code 2) does not lose the plan.
    click.echo(text)
    if out is not None:
        _write_whole(out, text + "\n")
    raise click.exceptions.Exit(EXIT_PLAN if plan.objective is not None else EXIT_NO_PLAN)
