"""(placeholder: filled in by the schedules work of issue 4)"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("schedules", __name__)
