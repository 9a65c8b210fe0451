"""Indexes for the KPI figures: cost per year and downtime per item

Partial and covering on PostgreSQL (index-only scans over the work orders that matter); plain
indexes on SQLite.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 06:32:29.817694
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_done_costs', ['completed_at'], unique=False, postgresql_include=['equipment_id', 'parts_cost_cents', 'external_cost_cents'], postgresql_where=sa.text("status = 'done' AND parts_cost_cents + external_cost_cents > 0"))
        batch_op.create_index('ix_work_order_downtime', ['equipment_id', 'downtime_start'], unique=False, postgresql_include=['downtime_end', 'kind', 'status'], postgresql_where=sa.text('downtime_start IS NOT NULL'))



def downgrade() -> None:
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_index('ix_work_order_downtime', postgresql_include=['downtime_end', 'kind', 'status'], postgresql_where=sa.text('downtime_start IS NOT NULL'))
        batch_op.drop_index('ix_work_order_done_costs', postgresql_include=['equipment_id', 'parts_cost_cents', 'external_cost_cents'], postgresql_where=sa.text("status = 'done' AND parts_cost_cents + external_cost_cents > 0"))

