"""API endpoints of the foundation: health and the fleet overview of the caller's scope."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, jsonify
from flask_login import current_user
from werkzeug.wrappers import Response

from equiplan.api.errors import init_blueprint
from equiplan.db import get_session
from equiplan.services.clock import local_today
from equiplan.services.dashboard import fleet_overview
from equiplan.services.scoping import scope_for
from equiplan.web.policy import public, signed_in

bp = Blueprint("api", __name__, url_prefix="/api/v1")
init_blueprint(bp)


@bp.route("/health")
@public
def health() -> Response:
    """Liveness: answers without touching the database."""
    return jsonify(status="ok")


@bp.route("/dashboard")
@signed_in
def dashboard() -> Response:
    """The dashboard's counts for the caller's scope."""
    today = local_today(current_app.config["TIMEZONE"])
    overview = fleet_overview(get_session(), scope_for(current_user), today)
    return jsonify(as_of=today.isoformat(), **asdict(overview))
