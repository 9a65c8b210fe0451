"""equipment.next_due: the earliest due date of the item's active schedules, kept by triggers

The register sorts and filters 20,000 items by their next due date; computing it per item in
every list query costs a grouped pass over all schedules. The database keeps it instead:
triggers on `schedule` refresh the item's value whenever a schedule is added, removed,
re-dated, paused or resumed, whichever code path (services, bulk seeding, SQL) does it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 04:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _refresh(row: str) -> str:
    return (
        f'UPDATE equipment SET next_due = (SELECT min(s.next_due) FROM schedule s '
        f'WHERE s.equipment_id = {row}.equipment_id AND s.active) '
        f'WHERE id = {row}.equipment_id'
    )


POSTGRES_FUNCTION = f"""
CREATE FUNCTION equipment_next_due_refresh() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {_refresh('OLD')};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {_refresh('NEW')};
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
POSTGRES_TRIGGER = (
    'CREATE TRIGGER schedule_next_due AFTER INSERT OR DELETE OR UPDATE OF next_due, active, '
    'equipment_id ON schedule FOR EACH ROW EXECUTE FUNCTION equipment_next_due_refresh()'
)
SQLITE_TRIGGERS = (
    f'CREATE TRIGGER schedule_next_due_insert AFTER INSERT ON schedule '
    f'BEGIN {_refresh("NEW")}; END',
    f'CREATE TRIGGER schedule_next_due_update AFTER UPDATE OF next_due, active, equipment_id '
    f'ON schedule BEGIN {_refresh("OLD")}; {_refresh("NEW")}; END',
    f'CREATE TRIGGER schedule_next_due_delete AFTER DELETE ON schedule '
    f'BEGIN {_refresh("OLD")}; END',
)


def upgrade() -> None:
    with op.batch_alter_table('equipment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_due', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_equipment_next_due'), ['next_due'], unique=False)
    op.execute(
        'UPDATE equipment SET next_due = (SELECT min(s.next_due) FROM schedule s '
        'WHERE s.equipment_id = equipment.id AND s.active)'
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS schedule_next_due ON schedule')
        op.execute('DROP FUNCTION IF EXISTS equipment_next_due_refresh()')
    else:
        for name in ('insert', 'update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS schedule_next_due_{name}')
    with op.batch_alter_table('equipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equipment_next_due'))
        batch_op.drop_column('next_due')
