"""Optimisation runs: a small summary beside the result, and the failure reason as a code

`optimisation_run.summary` holds the headline figures of a finished run (a few hundred bytes),
so that lists, the compare page and a budget sweep's curve never load `result` (megabytes for
a national fleet). `error_code` and `error_params` keep why a run failed in a form the pages
translate into the reader's language; `error` keeps the English text.

Runs that ended before this revision have no summary: the pages compute it from their result
when they show one of them (services/plan_summary.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-21 08:18:08.489534
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("optimisation_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("error_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(sa.Column("error_params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("optimisation_run", schema=None) as batch_op:
        batch_op.drop_column("summary")
        batch_op.drop_column("error_params")
        batch_op.drop_column("error_code")
