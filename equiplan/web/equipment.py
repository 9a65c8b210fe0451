"""The equipment register pages: the list and one item."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from equiplan.db import get_session
from equiplan.models.equipment import EQUIPMENT_STATUSES
from equiplan.services.clock import local_today
from equiplan.services.equipment import equipment_detail, filter_options, list_equipment
from equiplan.services.equipment_query import PER_PAGE_CHOICES, SORT_KEYS, parse_equipment_query
from equiplan.services.scoping import scope_for
from equiplan.web.policy import signed_in

bp = Blueprint("equipment", __name__)


@bp.route("/equipment")
@signed_in
def index() -> tuple[str, int]:
    query, errors = parse_equipment_query(request.args)
    session, scope = get_session(), scope_for(current_user)
    today = local_today(current_app.config["TIMEZONE"])
    page = list_equipment(session, scope, query, today)
    return render_template(
        "equipment/list.html",
        page=page,
        query=query,
        errors=errors,
        options=filter_options(session, scope),
        sort_keys=SORT_KEYS,
        per_page_choices=PER_PAGE_CHOICES,
        statuses=EQUIPMENT_STATUSES,
        all_agencies=scope.all_agencies,
    ), (400 if errors else 200)


@bp.route("/equipment/<int:equipment_id>")
@signed_in
def detail(equipment_id: int) -> str:
    today = local_today(current_app.config["TIMEZONE"])
    found = equipment_detail(get_session(), scope_for(current_user), equipment_id, today)
    return render_template("equipment/detail.html", d=found, today=today)
