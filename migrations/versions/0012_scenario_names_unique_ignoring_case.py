"""Scenario names unique ignoring case, in the database too

The service refuses a name that differs from another only in case; two saves at the same
moment ("Lanes" and "LANES") could both pass that check. A unique index on lower(name) stops
the second, which is then told the name is taken. Names that already clash in case (only such
a race could have made them) get " (2)", " (3)" … appended before the index is built.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "lower_budget_scenario_name"
MAX_NAME = 200  # the column's length


def upgrade() -> None:
    connection = op.get_bind()

    def lowered(name: str) -> str:
        # The database's lower(), as the index will apply it (SQLite's is ASCII only).
        return str(connection.execute(sa.text("SELECT lower(:name)"), {"name": name}).scalar())

    rows = connection.execute(
        sa.text("SELECT id, name, lower(name) FROM budget_scenario ORDER BY id")
    ).fetchall()
    taken = {str(key) for _, _, key in rows}
    seen: set[str] = set()
    for scenario_id, name, key in rows:
        if key not in seen:
            seen.add(str(key))
            continue
        number = 2
        while True:
            suffix = f" ({number})"
            renamed = str(name)[: MAX_NAME - len(suffix)] + suffix
            if lowered(renamed) not in taken:
                break
            number += 1
        taken.add(lowered(renamed))
        connection.execute(
            sa.text("UPDATE budget_scenario SET name = :name WHERE id = :id"),
            {"name": renamed, "id": scenario_id},
        )
    op.create_index(INDEX, "budget_scenario", [sa.text("lower(name)")], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="budget_scenario")
