"""outbox_message.claimed_at and an index for the outbox pages

A deliverer's claim is timed by the wall clock (claimed_at), so a run "as of" another moment
(`scheduler --once --now`) can neither release live claims nor make its own look stale. The
outbox pages list newest first: (created_at, id) is indexed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 05:42:19.291074
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_message_created_at_id', ['created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_created_at_id')
        batch_op.drop_column('claimed_at')

