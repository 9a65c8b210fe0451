"""The application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import flask_babel
from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from equiplan import db, extensions
from equiplan.api import bearer
from equiplan.api import bp as api_bp
from equiplan.config import SUPPORTED_LOCALES, load_config
from equiplan.domain.roles import ALL_ROLES
from equiplan.resources import resource_path
from equiplan.services import audit
from equiplan.services.input_fields import MAX_WHOLE
from equiplan.services.plan_comparison import budget_percent
from equiplan.services.plan_results import budget_title
from equiplan.services.users import load_user
from equiplan.web import errors, policy, register_blueprints
from equiplan.web.forms import LocaleForm, SignOutForm
from equiplan.web.naming import local_name

# No inline script or style anywhere: the CSP says so.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the equiplan web application. `config` overrides defaults and environment."""
    app = Flask(
        "equiplan",
        template_folder=str(resource_path("templates")),
        instance_path=(config or {}).get("INSTANCE_PATH")
        or os.environ.get("EQUIPLAN_INSTANCE_PATH")
        or None,
        instance_relative_config=True,
    )
    app.config.update(load_config(Path(app.instance_path), config))
    # Bearer-token API requests ignore cookies (token auth is stateless; see api/bearer.py).
    app.request_class = bearer.TokenAwareRequest
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        # Behind a reverse proxy the client address and scheme come from its headers; without
        # this, every client would share the proxy's address in the sign-in throttle.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    db.init_app(app)
    # Before the route policies, so that a bad token gets its own 401 even on public paths.
    app.before_request(bearer.refuse_invalid_token)
    policy.init_app(app)
    _init_extensions(app)
    # Ids in URLs beyond any real one would overflow the databases' integers (a 500):
    # such a URL matches no route and answers 404.
    app.url_map.converters["int"] = BoundedIntConverter
    register_blueprints(app)
    app.register_blueprint(api_bp)
    errors.init_app(app)
    _declare_static_policies(app)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    app.jinja_env.globals.update(
        format_date=flask_babel.format_date,
        format_datetime=flask_babel.format_datetime,
        format_number=flask_babel.format_decimal,
        format_percent=flask_babel.format_percent,
        format_currency=flask_babel.format_currency,
        budget_percent=budget_percent,
        budget_title=budget_title,
    )
    audit.set_actor_provider(_web_actor)

    from equiplan.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    extensions.babel.init_app(
        app, locale_selector=_select_locale, default_translation_directories="translations"
    )
    extensions.bootstrap.init_app(app)
    # Our check replaces Flask-WTF's default one: the same protection, minus bearer-token API
    # requests, which carry no cookies for a forged request to ride on.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    extensions.csrf.init_app(app)
    app.before_request(bearer.check_csrf)
    extensions.limiter.init_app(app)
    login = extensions.login_manager
    login.init_app(app)
    login.login_view = "auth.login"
    login.session_protection = "basic"
    login.user_loader(lambda session_id: load_user(db.get_session(), session_id))
    login.request_loader(bearer.load_user_from_request)


def _declare_static_policies(app: Flask) -> None:
    # Static files (ours and Bootstrap's) are public: the sign-in page needs them.
    for endpoint in app.view_functions:
        if endpoint == "static" or endpoint.endswith(".static"):
            policy.declare(app, endpoint, policy.PUBLIC)


def _select_locale() -> str:
    if not has_request_context():  # CLI and background jobs
        return current_app.config["DEFAULT_LOCALE"]  # type: ignore[no-any-return]
    if current_user and current_user.is_authenticated:
        return current_user.locale  # type: ignore[no-any-return]
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen  # type: ignore[no-any-return]
    return (
        request.accept_languages.best_match(SUPPORTED_LOCALES)
        or current_app.config["DEFAULT_LOCALE"]
    )


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` with an upper bound (MAX_WHOLE) unless the rule gives its own."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_WHOLE)
        super().__init__(url_map, *args, **kwargs)


def _web_actor() -> audit.Actor | None:
    try:
        if current_user and current_user.is_authenticated:
            return audit.Actor(
                current_user.id, "api" if request.path.startswith("/api/") else "web"
            )
    except RuntimeError:  # outside a request
        return None
    return None


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if g.get("no_store") or (current_user and current_user.is_authenticated):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _template_globals() -> dict[str, Any]:
    locale = str(get_locale() or "lt")

    return {
        "current_locale": locale,
        "localized": local_name,
        "locale_form": LocaleForm(formdata=None, locale=locale, next=request.full_path.rstrip("?")),
        "sign_out_form": SignOutForm(formdata=None),
        "ALL_ROLES": ALL_ROLES,
        "may": policy.may,
    }
