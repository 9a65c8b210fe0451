"""Errors a service raises for the caller (web, api, cli) to turn into a 4xx or exit code 2."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session


class ServiceError(Exception):
    """Base class: something the user can fix or must be told about."""


class ValidationError(ServiceError):
    """Bad input; `errors` maps a field name to a message in the user's language."""

    def __init__(self, errors: Mapping[str, object]) -> None:
        # As given (a lazy message can still be said in another language: run_errors).
        self.messages = dict(errors)
        self.errors = {field: str(message) for field, message in errors.items()}
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors.items()))


class NotFound(ServiceError):
    """The object does not exist, or exists in an agency the user may not see (same answer)."""


class Conflict(ServiceError):
    """Somebody else changed the object since the user loaded it (optimistic locking)."""


def commit_or_conflict(session: Session, conflict: Callable[[], Conflict]) -> None:
    """Commit a versioned change; a save that lands between our version check and the UPDATE
    is noticed by the mapper's version counter and raised as the same Conflict."""
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise conflict() from None
