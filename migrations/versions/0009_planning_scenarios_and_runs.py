"""Planning scenarios (types in scope, site weights, copies) and runs (gap, cancel, budget sweeps)

Existing rows get server defaults so the new NOT NULL columns can be added.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 07:08:23.620425
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("budget_scenario", schema=None) as batch_op:
        batch_op.add_column(sa.Column("type_codes", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("site_weights", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("copied_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_budget_scenario_copied_from_id_budget_scenario"),
            "budget_scenario",
            ["copied_from_id"],
            ["id"],
        )

    with op.batch_alter_table("optimisation_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gap", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("budget_factor", sa.Float(), nullable=False, server_default="1.0")
        )
        batch_op.add_column(
            sa.Column("sweep_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_optimisation_run_sweep_key"), ["sweep_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("optimisation_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_optimisation_run_sweep_key"))
        batch_op.drop_column("sweep_key")
        batch_op.drop_column("budget_factor")
        batch_op.drop_column("cancel_requested")
        batch_op.drop_column("gap")

    with op.batch_alter_table("budget_scenario", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_budget_scenario_copied_from_id_budget_scenario"), type_="foreignkey"
        )
        batch_op.drop_column("copied_from_id")
        batch_op.drop_column("site_weights")
        batch_op.drop_column("type_codes")
