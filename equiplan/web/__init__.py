"""Server-rendered pages."""

from __future__ import annotations

from flask import Flask

from equiplan.web import account, auth, dashboard, equipment


def register_blueprints(app: Flask) -> None:
    for blueprint in (auth.bp, account.bp, dashboard.bp, equipment.bp):
        app.register_blueprint(blueprint)
