"""scheduler_job: when each scheduler job last ran, as of when, where and how it ended

The scheduler's clock lives in memory; this table lets a restarted scheduler see that a run
was missed while it was down (and catch it up once) and lets admins see the jobs are alive.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 04:56:48.095511
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('scheduler_job',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_as_of', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_outcome', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('last_runner', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_job'))
    )


def downgrade() -> None:
    op.drop_table('scheduler_job')
