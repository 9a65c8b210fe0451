"""Friendly error pages (and JSON problems under /api/)."""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.wrappers import Response

from equiplan.services.errors import Conflict, NotFound, ValidationError
from equiplan.web.problems import problem

_PAGES = {
    403: "errors/403.html",
    404: "errors/404.html",
    429: "errors/429.html",
    500: "errors/500.html",
}


def _render(status: int, description: str = "") -> object:
    if request.path.startswith("/api/"):
        return problem(status, HTTPStatus(status).phrase, description)
    template = _PAGES.get(status, "errors/generic.html")
    return render_template(template, status=status, description=description), status


def with_retry_after(response: Response, error: HTTPException) -> Response:
    """`response` with the error's Retry-After header (503, 429), if it has one."""
    for name, value in error.get_headers():
        if name.lower() == "retry-after":
            response.headers[name] = value
    return response


def _http_error(error: HTTPException) -> object:
    status = error.code or 500
    if status in _PAGES or request.path.startswith("/api/"):
        page = _render(status, error.description if status not in _PAGES else "")
    else:
        page = (
            render_template("errors/generic.html", status=status, description=error.description),
            status,
        )
    return with_retry_after(make_response(page), error)


def _not_found(_error: NotFound) -> object:
    # Another agency's object answers exactly like a missing one.
    return _http_error(HTTPNotFound())


def _validation(error: ValidationError) -> object:
    if request.path.startswith("/api/"):
        return problem(400, "Bad Request", _("Some fields are invalid."), errors=error.errors)
    return render_template("errors/generic.html", status=400, description=str(error)), 400


def _conflict(_error: Conflict | StaleDataError) -> object:
    detail = _(
        "Somebody else changed this record after you opened it. "
        "Reload it and apply your change again."
    )
    if request.path.startswith("/api/"):
        return problem(409, "Conflict", detail)
    return render_template("errors/generic.html", status=409, description=detail), 409


def _csrf_refused(error: CSRFError) -> object:
    if request.path.startswith("/api/"):  # a program: Flask-WTF's exact reason
        return problem(400, "Bad Request", error.description)
    # On a page Flask-WTF's text is English and technical: say what happened and what to do.
    detail = _(
        "The form has expired or did not come from this site, so nothing was changed. "
        "Go back, reload the page and submit the form again."
    )
    return render_template("errors/generic.html", status=400, description=detail), 400


def _too_large(_error: RequestEntityTooLarge) -> object:
    detail = _(
        "The upload is too large: a file may have at most %(n)d MB.",
        n=current_app.config["UPLOAD_MAX_MB"],
    )
    if request.path.startswith("/api/"):
        return problem(413, "Content Too Large", detail)
    return render_template("errors/413.html", status=413, description=detail), 413


_BARE_500 = (
    "<!doctype html><title>500</title><h1>Something went wrong on our side</h1>"
    "<p>The error has been logged; try again in a moment.</p>"
)


def _unexpected(error: Exception) -> object:
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return _http_error(error)
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    try:
        return _render(500)
    except Exception:
        # The page itself needs the database (the signed-in user); when that is what broke,
        # answer with a page that needs nothing.
        current_app.logger.exception("the error page failed too")
        return _BARE_500, 500


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(ValidationError, _validation)
    app.register_error_handler(Conflict, _conflict)
    # The optimistic lock fired in a flush that no service turned into a Conflict itself.
    app.register_error_handler(StaleDataError, _conflict)
    app.register_error_handler(Exception, _unexpected)
