"""Server-rendered pages."""

from __future__ import annotations

from flask import Flask

from equiplan.web import (
    account,
    auth,
    calibrations,
    charts,
    dashboard,
    due,
    equipment,
    kpis,
    outbox,
    run_results,
    runs,
    scenarios,
    schedules,
    transfer,
    work_orders,
)


def register_blueprints(app: Flask) -> None:
    for blueprint in (
        auth.bp,
        account.bp,
        dashboard.bp,
        equipment.bp,
        transfer.bp,
        calibrations.bp,
        work_orders.bp,
        schedules.bp,
        due.bp,
        outbox.bp,
        charts.bp,
        kpis.bp,
        runs.bp,
        run_results.bp,
        scenarios.bp,
    ):
        app.register_blueprint(blueprint)
