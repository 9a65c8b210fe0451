"""Bearer-token authentication for the JSON API (RFC 6750).

A request under /api/ with `Authorization: Bearer <token>` is authenticated by that personal API
token alone, through Flask-Login's request loader, so `current_user`, the route policies and
agency scoping work exactly as for a signed-in browser. Such requests are stateless:

- their cookies are ignored, so a token never borrows a browser session and a bad token cannot
  fall back on one; it is refused with 401 even when a valid session cookie comes along;
- no session cookie is ever set on them;
- they need no CSRF token: CSRF abuses credentials the browser adds on its own (cookies), and a
  bearer token is only ever sent by code that holds it. Every other request keeps Flask-WTF's
  CSRF check.
"""

from __future__ import annotations

import flask
from flask import current_app, request
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.utils import cached_property
from werkzeug.wrappers import Response

from equiplan.db import get_session
from equiplan.extensions import csrf
from equiplan.models import User
from equiplan.services.api_tokens import user_for_token
from equiplan.web.problems import problem

API_PREFIX = "/api/"


def bearer_token(req: flask.Request) -> str | None:
    """The token of an API request's `Authorization: Bearer` header ("" when the header names
    no token), or None when the request does not use one. Pages ignore the header."""
    if not req.path.startswith(API_PREFIX):
        return None
    scheme, _, credentials = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip()


class TokenAwareRequest(flask.Request):
    """Flask's request, except that a bearer-token API request has no cookies: neither the
    session nor Flask-Login's remember-me cookie is read, and with an empty, untouched session
    Flask sets no cookie on the response."""

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        if bearer_token(self) is not None:
            return ImmutableMultiDict()
        return super().cookies


def load_user_from_request(req: flask.Request) -> User | None:
    """Flask-Login's request loader: the user of a valid, unrevoked bearer token."""
    token = bearer_token(req)
    if not token:
        return None
    return user_for_token(get_session(), token)


def refuse_invalid_token() -> Response | None:
    """before_request: a bearer token that does not authenticate is refused on every API path,
    public ones included, so that a client with a wrong or revoked token finds out at once."""
    if bearer_token(request) is None or current_user.is_authenticated:
        return None
    response = problem(401, "Unauthorized", "The API token is invalid or has been revoked.")
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def check_csrf() -> None:
    """before_request, in place of Flask-WTF's own check: CSRF protection for every request
    except bearer-token API requests (which carry no cookies)."""
    if current_app.config["WTF_CSRF_ENABLED"] and bearer_token(request) is None:
        csrf.protect(apply_exemptions=True)
