"""Pure domain logic: no Flask, no SQLModel, no SQLAlchemy (a test enforces it)."""
