"""(placeholder: filled in by the outbox work of issue 4)"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outbox", __name__)
