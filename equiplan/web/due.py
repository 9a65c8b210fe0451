"""(placeholder: filled in by the due work of issue 4)"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("due", __name__)
