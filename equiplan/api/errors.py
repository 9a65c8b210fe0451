"""Problem documents (RFC 9457) for everything that goes wrong under /api/v1.

The application's handlers already answer API paths with problems; these, registered on the
API blueprint, take precedence there and say a little more: the HTTP error's own title and
description, the service's conflict message, and how to authenticate on a 401.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from equiplan.services.errors import Conflict, NotFound
from equiplan.web.errors import with_retry_after
from equiplan.web.problems import problem


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    response = problem(status, error.name, error.description or "")
    return with_retry_after(response, error)


def _not_found(_error: NotFound) -> Response:
    # Another agency's object gets exactly this answer too: its existence does not leak.
    return problem(404, "Not Found", _("There is no such object."))


def _conflict(error: Conflict) -> Response:
    return problem(
        409,
        "Conflict",
        str(error)
        or _(
            "Somebody else changed this record after you opened it. "
            "Reload it and apply your change again."
        ),
    )


def _challenge(response: Response) -> Response:
    """A 401 tells the client which scheme to use (RFC 6750)."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="equiplan"')
    return response


def init_blueprint(bp: Blueprint) -> None:
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(NotFound, _not_found)
    bp.register_error_handler(Conflict, _conflict)
    bp.after_request(_challenge)
