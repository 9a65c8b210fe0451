"""The live side of a running optimisation: heartbeat, progress and the cancel check.

While the solver works, a small monitor thread writes the run's heartbeat and its latest
progress (share of the time limit used, incumbent, bound, gap) about once a second, each time
in its own short transaction on its own session, so the run page sees them while the solve
goes on and the orphan check (background_work.fail_orphaned_runs) sees a live process. The
same beat reads `cancel_requested`; the solver's `should_stop` only looks at the flags it left.
The solver also stops when a beat finds the run no longer "running" (the orphan check ended
it: its outcome would not be recorded) and when the process is shutting down
(the term of work it started in: background_work.work_term).

The writes are plain UPDATE statements: progress and heartbeats are book-keeping, not changes
worth an audit event each second (the status changes of the run are audited by the runner).
"""

from __future__ import annotations

import contextvars
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from types import TracebackType

from sqlalchemy import select, update
from sqlmodel import Session

from equiplan.models import OptimisationRun, utcnow
from equiplan.services.background_work import fail_orphaned_runs, work_term

log = logging.getLogger(__name__)

BEAT_EVERY_SECONDS = 1.0
# While a solve runs, the scheduler's queued-work job is busy with it (one instance at a time),
# so the monitor looks for *other* runs whose process died this often: a run orphaned by a
# crash is reported within minutes, not only after the next solve ends (up to an hour).
ORPHAN_CHECK_EVERY_SECONDS = 30.0
# Until the run has ended, the bar never reaches the end (the solver may still be finishing).
PROGRESS_CAP = 0.99


@dataclass(frozen=True)
class Snapshot:
    """The solver's latest report: best plan's value so far, proven bound, seconds elapsed."""

    incumbent: float | None
    bound: float | None
    elapsed: float


def relative_gap(incumbent: float | None, bound: float | None) -> float | None:
    """The engine's gap, (bound − incumbent) / |bound| (never negative), so that the live gap
    and the final plan's gap are the same figure."""
    # Imported here: the optimiser package pulls in OR-Tools (only the runner needs it).
    from equiplan.domain.optimiser.plan import relative_gap as engine_gap

    gap = engine_gap(incumbent, bound)
    return gap if gap is not None and math.isfinite(gap) else None


def time_share(elapsed: float, time_limit: float) -> float:
    """Progress shown while running: elapsed / time limit, capped below 1."""
    if time_limit <= 0:
        return PROGRESS_CAP
    return min(PROGRESS_CAP, max(0.0, elapsed / time_limit))


class RunMonitor:
    """Beats for one running run until stopped; use as a context manager around the solve.

    `open_session` gives a new session for each beat (its own connection in production).
    Entering beats once at once, so a cancel requested before the solve starts is seen by the
    first `should_stop()`.
    """

    def __init__(
        self,
        open_session: Callable[[], Session],
        run_id: int,
        time_limit: float,
        *,
        beat_every: float = BEAT_EVERY_SECONDS,
        orphan_check_every: float = ORPHAN_CHECK_EVERY_SECONDS,
        term: threading.Event | None = None,
    ) -> None:
        self._open_session = open_session
        self._orphan_check_every = orphan_check_every
        self._orphans_checked = monotonic()
        self._run_id = run_id
        self._time_limit = time_limit
        self._beat_every = beat_every
        self._started = monotonic()
        self._latest: Snapshot | None = None
        self._lock = threading.Lock()  # one beat at a time, whichever thread calls it
        self._cancel = threading.Event()
        self._gone = threading.Event()  # the run is no longer "running" (ended by another)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The scheduler's term of work this run started in (background_work.work_term).
        self._term = term if term is not None else work_term()

    # --- what the solver calls (from its own threads) -------------------------------------

    def report(self, incumbent: float | None, bound: float | None, elapsed: float) -> None:
        """Keep the solver's latest figures; the next beat writes them."""
        self._latest = Snapshot(incumbent, bound, elapsed)

    def should_stop(self) -> bool:
        """True once a planner asked to cancel or the run was ended by another (as of the
        last beat), or while the process shuts down."""
        return self._cancel.is_set() or self._gone.is_set() or self._term.is_set()

    @property
    def cancel_seen(self) -> bool:
        return self._cancel.is_set()

    @property
    def interrupted(self) -> bool:
        """The process stopped the term of work this run started in (shutdown, or a lost
        leadership), even if a new term has started since."""
        return self._term.is_set()

    @property
    def ended_elsewhere(self) -> bool:
        """A beat found the run no longer running (e.g. reported as orphaned)."""
        return self._gone.is_set()

    @property
    def latest(self) -> Snapshot | None:
        return self._latest

    # --- the beat ---------------------------------------------------------------------------

    def beat(self) -> None:
        """Write heartbeat and progress in one short transaction; read the cancel request."""
        with self._lock:
            latest = self._latest
            elapsed = latest.elapsed if latest else monotonic() - self._started
            values: dict[str, object] = {
                "heartbeat_at": utcnow(),
                "progress": time_share(elapsed, self._time_limit),
            }
            if latest is not None:
                values.update(
                    objective=latest.incumbent,
                    bound=latest.bound,
                    gap=relative_gap(latest.incumbent, latest.bound),
                )
            session = self._open_session()
            try:
                beaten = session.execute(
                    update(OptimisationRun)
                    .where(
                        OptimisationRun.id == self._run_id,  # type: ignore[arg-type]
                        OptimisationRun.status == "running",  # type: ignore[arg-type]
                    )
                    .values(**values)
                )
                cancel = session.execute(
                    select(OptimisationRun.cancel_requested).where(
                        OptimisationRun.id == self._run_id  # type: ignore[arg-type]
                    )
                ).scalar_one_or_none()
                session.commit()
            finally:
                session.close()
            if cancel:
                self._cancel.set()
            if beaten.rowcount == 0:  # type: ignore[attr-defined]
                # Ended meanwhile (the orphan check after a long stall): solving on is wasted.
                self._gone.set()

    def check_orphans(self) -> int:
        """Report other runs whose process stopped beating as failed (how many)."""
        session = self._open_session()
        try:
            return fail_orphaned_runs(session, utcnow())
        finally:
            session.close()

    def _beat_until_stopped(self) -> None:
        while not self._stop.wait(self._beat_every):
            try:
                self.beat()
                if monotonic() - self._orphans_checked >= self._orphan_check_every:
                    self._orphans_checked = monotonic()
                    self.check_orphans()
            except Exception:
                # A busy database must not kill the solve; the next beat tries again, and a
                # run that cannot beat for long is reported as orphaned, as it should be.
                log.exception("heartbeat of optimisation run %s failed", self._run_id)

    def __enter__(self) -> RunMonitor:
        self.beat()
        # In a copy of this context: the audit trail's actor (the scheduler) goes with it, for
        # the runs its orphan check ends.
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run,
            args=(self._beat_until_stopped,),
            name=f"run-{self._run_id}-monitor",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
