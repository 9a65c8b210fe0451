"""KPI speed: drift and on-time outcomes stored; indexes for compliance, failures, backlog

`calibration_point.drift` holds |as found − the previous calibration's as left| as a share of
the point's allowed deviation, and `calibration_result.drift_points` / `drift_share_total` add
up its points (services/calibration_drift.py keeps both up to date when a calibration is
recorded); existing rows are filled here with the same rule, written out in SQL so that this
migration does not change when the service does.

`work_order.completed_on_time` holds whether done scheduled work was completed within its due
date ± its schedule's grace days, by the local date of completion (services/kpi_on_time.py
sets it when an order is closed); existing orders are judged here in the time zone of
EQUIPLAN_TIMEZONE (default Europe/Vilnius, as the app's TIMEZONE).

Indexes: the calibrations of a window (pass rate and drift), done scheduled work by due date
(on-time compliance) and repairs with a failure code per item (failures), covering and, for
work orders, partial on PostgreSQL. On PostgreSQL only, a GiST index on the
span in which each order was open (`pgonly_work_order_open_span`, left out of the model
comparison by migrations/env.py) answers "open at the window's end" for the backlog; its
expression must stay exactly as services/kpi_sql.py `open_at` writes it; and statistics on the
moment a failure is dated by (`pgonly_work_order_failure_moment`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 07:15:30.953678
"""
import os
from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEDULED_DONE = "status = 'done' AND schedule_id IS NOT NULL"
REPAIRS_WITH_FAILURE = "kind = 'corrective' AND failure_code_id IS NOT NULL AND status <> 'cancelled'"

# The previous calibration of the point's device (by date, then id); its first point by
# position at the same quantity, unit and nominal value; the share of the allowed deviation.
FILL_DRIFT = """
UPDATE calibration_point SET drift = (
    SELECT abs(calibration_point.as_found - coalesce(earlier.as_left, earlier.as_found))
        / CASE WHEN calibration_point.tolerance_kind = 'abs'
               THEN abs(calibration_point.tolerance)
               ELSE abs(calibration_point.tolerance) * abs(calibration_point.nominal) / 100.0
          END
    FROM calibration_point AS earlier
    WHERE earlier.calibration_id = (
            SELECT before.id
            FROM calibration_result AS this
            JOIN calibration_result AS before ON before.equipment_id = this.equipment_id
            WHERE this.id = calibration_point.calibration_id
              AND (before.calibrated_on < this.calibrated_on
                   OR (before.calibrated_on = this.calibrated_on AND before.id < this.id))
            ORDER BY before.calibrated_on DESC, before.id DESC
            LIMIT 1)
      AND earlier.quantity = calibration_point.quantity
      AND earlier.unit = calibration_point.unit
      AND earlier.nominal = calibration_point.nominal
    ORDER BY earlier.position
    LIMIT 1)
WHERE as_found IS NOT NULL AND tolerance > 0 AND (tolerance_kind = 'abs' OR nominal <> 0)
"""
FILL_TOTALS = """
UPDATE calibration_result SET
    drift_points = (SELECT count(drift) FROM calibration_point
                    WHERE calibration_point.calibration_id = calibration_result.id),
    drift_share_total = (SELECT coalesce(sum(drift), 0) FROM calibration_point
                         WHERE calibration_point.calibration_id = calibration_result.id)
"""
KPI_COLUMNS = ['equipment_id', 'as_found_passed', 'drift_points', 'drift_share_total']

JUDGED = (
    "work_order.status = 'done' AND work_order.schedule_id IS NOT NULL "
    "AND work_order.due_date IS NOT NULL AND work_order.completed_at IS NOT NULL"
)
FILL_ON_TIME_POSTGRESQL = f"""
UPDATE work_order SET completed_on_time =
    abs(CAST(timezone(:zone, work_order.completed_at) AS DATE) - work_order.due_date)
    <= (SELECT grace_days FROM schedule WHERE schedule.id = work_order.schedule_id)
WHERE {JUDGED}
"""


def _fill_on_time(zone: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        bind.execute(sa.text(FILL_ON_TIME_POSTGRESQL), {'zone': zone})
        return
    # SQLite knows no time zones: judge each order here (SQLite databases are small).
    rows = bind.execute(
        sa.text(
            'SELECT work_order.id, work_order.completed_at, work_order.due_date, '
            'schedule.grace_days FROM work_order '
            f'JOIN schedule ON schedule.id = work_order.schedule_id WHERE {JUDGED}'
        )
    ).all()
    judged = []
    for order_id, completed_at, due_date, grace_days in rows:
        # Stored as naive UTC text.
        moment = datetime.fromisoformat(str(completed_at)).replace(tzinfo=UTC)
        completed_on = moment.astimezone(ZoneInfo(zone)).date()
        late_by = (completed_on - date.fromisoformat(str(due_date)[:10])).days
        judged.append({'id': order_id, 'on_time': abs(late_by) <= grace_days})
    if judged:
        bind.execute(
            sa.text('UPDATE work_order SET completed_on_time = :on_time WHERE id = :id'), judged
        )

OPEN_SPAN_INDEX = (
    "CREATE INDEX pgonly_work_order_open_span ON work_order USING gist "
    "(tstzrange(opened_at, CASE WHEN completed_at < opened_at THEN opened_at "
    "ELSE completed_at END, '(]')) "
    "WHERE status <> 'cancelled' AND (due_date IS NOT NULL OR target_restore_at IS NOT NULL)"
)
# Failures are dated by this expression: without statistics on it the planner guesses a
# handful of rows and joins them one by one (measured 2.5 times slower).
FAILURE_MOMENT_STATISTICS = (
    "CREATE STATISTICS pgonly_work_order_failure_moment "
    "ON (COALESCE(downtime_start, opened_at)) FROM work_order"
)


def upgrade() -> None:
    with op.batch_alter_table('calibration_point', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drift', sa.Float(), nullable=True))

    with op.batch_alter_table('calibration_result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drift_points', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('drift_share_total', sa.Float(), server_default='0', nullable=False))
        batch_op.create_index('ix_calibration_result_kpi', ['calibrated_on'], unique=False, postgresql_include=KPI_COLUMNS)
    op.execute(FILL_DRIFT)
    op.execute(FILL_TOTALS)

    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_on_time', sa.Boolean(), nullable=True))
        batch_op.create_index('ix_work_order_failures', ['equipment_id'], unique=False, postgresql_include=['downtime_start', 'opened_at'], postgresql_where=sa.text(REPAIRS_WITH_FAILURE), sqlite_where=sa.text(REPAIRS_WITH_FAILURE))
        batch_op.create_index('ix_work_order_scheduled_done', ['due_date'], unique=False, postgresql_include=['equipment_id', 'completed_on_time'], postgresql_where=sa.text(SCHEDULED_DONE), sqlite_where=sa.text(SCHEDULED_DONE))
    _fill_on_time(os.environ.get('EQUIPLAN_TIMEZONE') or 'Europe/Vilnius')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(OPEN_SPAN_INDEX)
        # Statistics on an expression need PostgreSQL 14 or later.
        if op.get_bind().dialect.server_version_info >= (14,):
            op.execute(FAILURE_MOMENT_STATISTICS)
            op.execute('ANALYZE work_order')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP STATISTICS IF EXISTS pgonly_work_order_failure_moment')
        op.execute('DROP INDEX IF EXISTS pgonly_work_order_open_span')
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_index('ix_work_order_scheduled_done', postgresql_include=['equipment_id', 'completed_on_time'], postgresql_where=sa.text(SCHEDULED_DONE), sqlite_where=sa.text(SCHEDULED_DONE))
        batch_op.drop_index('ix_work_order_failures', postgresql_include=['downtime_start', 'opened_at'], postgresql_where=sa.text(REPAIRS_WITH_FAILURE), sqlite_where=sa.text(REPAIRS_WITH_FAILURE))
        batch_op.drop_column('completed_on_time')

    with op.batch_alter_table('calibration_result', schema=None) as batch_op:
        batch_op.drop_index('ix_calibration_result_kpi', postgresql_include=KPI_COLUMNS)
        batch_op.drop_column('drift_share_total')
        batch_op.drop_column('drift_points')

    with op.batch_alter_table('calibration_point', schema=None) as batch_op:
        batch_op.drop_column('drift')
