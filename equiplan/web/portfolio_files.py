"""Portfolio files to download (the scenario page and `GET /api/v1/scenarios/{id}/portfolio`).

A whole fleet's portfolio takes seconds to build from the records and about 1.4 GB while it is
built and sent: a process builds and sends at most MAX_AT_ONCE at a time, and answers a request
beyond that with 503 and Retry-After instead of running out of memory or of workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from flask_babel import gettext as _
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response

from equiplan.services.plan_generation import GeneratedPortfolio, document_chunks

MAX_AT_ONCE = 1
RETRY_AFTER_SECONDS = 30
_SLOTS = threading.BoundedSemaphore(MAX_AT_ONCE)


def _slot() -> Callable[[], None]:
    """Take a slot, or 503 when every slot is taken; returns its release (safe to call twice)."""
    if not _SLOTS.acquire(blocking=False):
        raise ServiceUnavailable(
            _(
                "Another portfolio file is being prepared. Try again in %(seconds)d seconds.",
                seconds=RETRY_AFTER_SECONDS,
            ),
            retry_after=RETRY_AFTER_SECONDS,
        )
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            _SLOTS.release()

    return release


def portfolio_download(build: Callable[[], GeneratedPortfolio], file_name: str) -> Response:
    """The portfolio that `build` makes, streamed as a JSON attachment named `file_name`; the
    slot is held until the response is closed (sent, or the client went away)."""
    release = _slot()
    try:
        generated = build()
    except BaseException:
        release()
        raise

    def chunks() -> Iterator[str]:
        try:
            yield from document_chunks(generated.document)
        finally:
            release()  # all sent (or the client went away)

    # Written piece by piece as it goes out: the full fleet's file is about 100 MB. A response
    # closed before it was sent gives the slot back too.
    response = Response(chunks(), mimetype="application/json")
    response.call_on_close(release)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
