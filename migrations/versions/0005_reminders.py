"""Reminders, repair targets and status snapshots

- schedule.remind_from (next_due - lead_days), stored so the reminder sweep compares dates
  with an index instead of doing date arithmetic per row;
- notification.status (pending / queued / digest / obsolete);
- work_order.target_restore_at for corrective work (domain/repairs.py), filled in for the
  repairs open today;
- status_snapshot: operational counts per day, agency and type.

SQLite rebuilds `schedule` to add a NOT NULL column, which drops its triggers: the next-due
triggers of 0004 are created again afterwards.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 04:51:29.316960
"""

import importlib.util
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("in_fleet", sa.Integer(), nullable=False),
        sa.Column("operational", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_status_snapshot_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["equipment_type.id"],
            name=op.f("fk_status_snapshot_type_id_equipment_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_snapshot")),
        sa.UniqueConstraint(
            "day", "agency_id", "type_id", name=op.f("uq_status_snapshot_day_agency_id_type_id")
        ),
    )
    with op.batch_alter_table("status_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_snapshot_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_status_snapshot_day"), ["day"], unique=False)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="queued",
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_notification_status"), "status IN ('pending', 'queued', 'digest', 'obsolete')"
        )
        batch_op.create_index(batch_op.f("ix_notification_outbox_id"), ["outbox_id"], unique=False)
        batch_op.create_index(
            "ix_notification_status_recipient_email", ["status", "recipient_email"], unique=False
        )

    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("schedule", sa.Column("remind_from", sa.Date(), nullable=True))
    op.execute(
        "UPDATE schedule SET remind_from = date(next_due, '-' || lead_days || ' days')"
        if sqlite
        else "UPDATE schedule SET remind_from = next_due - lead_days"
    )
    with op.batch_alter_table("schedule", schema=None) as batch_op:
        batch_op.alter_column("remind_from", existing_type=sa.Date(), nullable=False)
        batch_op.create_index(
            "ix_schedule_active_remind_from", ["active", "remind_from"], unique=False
        )
    if sqlite:
        _recreate_next_due_triggers()

    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("target_restore_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_work_order_status_target_restore_at", ["status", "target_restore_at"], unique=False
        )
    _fill_restore_targets()


# domain/repairs.py as it stood when this migration was written (migrations do not import the
# application, whose rules may change later).
_RESTORE_HOURS = {5: 48, 4: 72, 3: 120, 2: 240, 1: 480}
_RESTORE_HOURS_NO_OPEN_SITE = 720


def _fill_restore_targets() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT w.id, coalesce(w.downtime_start, w.opened_at), s.criticality, s.status "
            "FROM work_order w JOIN equipment e ON e.id = w.equipment_id "
            "LEFT JOIN site s ON s.id = e.site_id "
            "WHERE w.kind = 'corrective' AND w.status IN ('open', 'in_progress')"
        )
    ).all()
    for order_id, started, criticality, site_status in rows:
        if isinstance(started, str):  # SQLite hands back text
            started = datetime.fromisoformat(started)
        if started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        hours = (
            _RESTORE_HOURS.get(criticality, _RESTORE_HOURS_NO_OPEN_SITE)
            if site_status == "open"
            else _RESTORE_HOURS_NO_OPEN_SITE
        )
        target = started + timedelta(hours=hours)
        if bind.dialect.name == "sqlite":
            target = target.astimezone(UTC).replace(tzinfo=None)
        bind.execute(
            sa.text("UPDATE work_order SET target_restore_at = :t WHERE id = :i"),
            {"t": target, "i": order_id},
        )


def _recreate_next_due_triggers() -> None:
    path = Path(__file__).with_name("0004_equipment_next_due.py")
    spec = importlib.util.spec_from_file_location("equiplan_migration_0004", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for statement in module.SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_status_target_restore_at")
        batch_op.drop_column("target_restore_at")

    with op.batch_alter_table("schedule", schema=None) as batch_op:
        batch_op.drop_index("ix_schedule_active_remind_from")
        batch_op.drop_column("remind_from")
    if op.get_bind().dialect.name == "sqlite":
        _recreate_next_due_triggers()

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_status_recipient_email")
        batch_op.drop_index(batch_op.f("ix_notification_outbox_id"))
        batch_op.drop_constraint(batch_op.f("ck_notification_status"), type_="check")
        batch_op.drop_column("status")

    with op.batch_alter_table("status_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_snapshot_day"))
        batch_op.drop_index(batch_op.f("ix_status_snapshot_agency_id"))

    op.drop_table("status_snapshot")
