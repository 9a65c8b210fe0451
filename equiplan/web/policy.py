"""Route policies: every endpoint declares who may call it, and one hook enforces it.

An endpoint without a declared policy is refused (fail closed), and a test walks the URL map to
make sure none exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from equiplan.domain.roles import ALL_ROLES, Role
from equiplan.web.problems import problem

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
_ATTRIBUTE = "_equiplan_policy"


def roles(*allowed: Role) -> Callable[[F], F]:
    """Allow signed-in users with one of `allowed` roles."""
    frozen = frozenset(allowed)

    def decorate(view: F) -> F:
        setattr(view, _ATTRIBUTE, frozen)
        return view

    return decorate


def signed_in(view: F) -> F:
    """Allow every signed-in user (each still sees only their scope)."""
    setattr(view, _ATTRIBUTE, ALL_ROLES)
    return view


def public(view: F) -> F:
    """Allow anyone, signed in or not."""
    setattr(view, _ATTRIBUTE, PUBLIC)
    return view


def policy_of(app: Flask, endpoint: str) -> frozenset[Role] | str | None:
    """The declared policy of an endpoint, or None when it has none."""
    declared = app.extensions["equiplan.policies"].get(endpoint)
    if declared is not None:
        return declared  # type: ignore[no-any-return]
    view = app.view_functions.get(endpoint)
    return getattr(view, _ATTRIBUTE, None)


def declare(app: Flask, endpoint: str, policy: frozenset[Role] | str) -> None:
    """Declare the policy of an endpoint we do not define ourselves (static files)."""
    app.extensions["equiplan.policies"][endpoint] = policy


def may(endpoint: str) -> bool:
    """True when the current user's role may call `endpoint` (templates show actions by this)."""
    policy = policy_of(current_app, endpoint)
    if policy is None:
        return False
    if policy == PUBLIC:
        return True
    return bool(current_user.is_authenticated and Role(current_user.role) in policy)


def _is_api_request() -> bool:
    return request.path.startswith("/api/")


def enforce_policy() -> Any:
    """before_request hook: sign-in and role checks for the matched endpoint."""
    if request.endpoint is None:  # no route matched: the 404 handler answers
        return None
    policy = policy_of(current_app, request.endpoint)
    if policy is None:
        current_app.logger.error("endpoint %s has no role policy; refusing", request.endpoint)
        abort(403)
    if policy == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if _is_api_request():
            return problem(401, "Unauthorized", "Sign-in or a valid API token is required.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if Role(current_user.role) not in policy:
        abort(403)
    return None


def init_app(app: Flask) -> None:
    app.extensions["equiplan.policies"] = {}
    app.before_request(enforce_policy)
