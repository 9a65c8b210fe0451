"""trigram indexes for the equipment search (PostgreSQL)

The register's search is a case-insensitive substring match on inventory number, serial
number and notes (`lower(column) LIKE '%term%'`). On PostgreSQL, GIN trigram indexes on those
expressions answer it without reading the whole table. pg_trgm ships with PostgreSQL
(contrib) and is a trusted extension: the database owner may create it. SQLite has no
equivalent and keeps scanning, which is fine at its scale.

These indexes live only here (not on the models): migrations/env.py leaves indexes named
`trgm_*` out of the model comparison.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 04:20:00.000000
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ('inventory_no', 'serial_no', 'notes')


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for column in COLUMNS:
        op.execute(
            f'CREATE INDEX IF NOT EXISTS trgm_equipment_{column} '
            f'ON equipment USING gin (lower({column}) gin_trgm_ops)'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for column in COLUMNS:
        op.execute(f'DROP INDEX IF EXISTS trgm_equipment_{column}')
