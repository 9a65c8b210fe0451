"""calibration result version (optimistic locking)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 03:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows start at version 1, like every new row.
    with op.batch_alter_table('calibration_result', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('version', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('calibration_result', schema=None) as batch_op:
        batch_op.drop_column('version')
