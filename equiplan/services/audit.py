"""The audit trail: every insert, update and delete of a domain row is recorded with who, when
and the field-level before/after, in the same transaction as the change itself.

It hooks into every session's flush, so no service can forget it. Bulk loads that bypass the ORM
(seeding) record one `bulk_create` event per table instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction

from equiplan.models import (
    AuditEvent,
    CalibrationPoint,
    CalibrationResult,
    Equipment,
    Notification,
    OutboxMessage,
    SchedulerJob,
    StatusSnapshot,
    utcnow,
)

# Mail plumbing, the scheduler's book-keeping and the audit table itself are not domain rows.
_NOT_AUDITED = {
    AuditEvent.__tablename__,
    Notification.__tablename__,
    OutboxMessage.__tablename__,
    SchedulerJob.__tablename__,
    StatusSnapshot.__tablename__,
}
# Book-keeping fields whose change alone is not worth an event.
_IGNORED_FIELDS = {
    "version",
    "updated_at",
    "last_login_at",
    "progress",
    "heartbeat_at",
    "last_used_at",
    # An optimisation run's result and summary are derived (megabytes for a large fleet), not a
    # change anybody made: the run's status says that it finished.
    "result",
    "summary",
}
_REDACTED_FIELDS = {"password_hash", "token_hash", "calendar_token"}
_REDACTED = "[redacted]"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    origin: str


_actor: ContextVar[Actor | None] = ContextVar("equiplan_audit_actor", default=None)
_actor_provider: Callable[[], Actor | None] = lambda: None  # noqa: E731


def set_actor_provider(provider: Callable[[], Actor | None]) -> None:
    """Register the fallback that tells who acts (the web layer: the signed-in user)."""
    global _actor_provider
    _actor_provider = provider


@contextmanager
def acting_as(user_id: int | None, origin: str) -> Iterator[None]:
    """Attribute every change inside the block to `user_id` coming from `origin`."""
    token = _actor.set(Actor(user_id, origin))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Actor:
    return _actor.get() or _actor_provider() or Actor(None, "system")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _field_value(name: str, value: Any) -> Any:
    return _REDACTED if name in _REDACTED_FIELDS and value is not None else _jsonable(value)


def _changes(obj: Any, action: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        name = attr.key
        if name in _IGNORED_FIELDS:
            continue
        history = state.attrs[name].history
        if action == "create":
            value = getattr(obj, name)
            if value is not None:
                changes[name] = [None, _field_value(name, value)]
        elif action == "delete":
            before = history.unchanged[0] if history.unchanged else (history.deleted or [None])[0]
            changes[name] = [_field_value(name, before), None]
        elif history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before != after:
                changes[name] = [_field_value(name, before), _field_value(name, after)]
    return changes


def _agency_of(session: OrmSession, obj: Any) -> int | None:
    """The agency that owns the row, so officers can be shown only their own history."""
    if hasattr(obj, "agency_id") and not isinstance(obj, AuditEvent):
        return obj.agency_id  # type: ignore[no-any-return]
    equipment_id = getattr(obj, "equipment_id", None)
    if isinstance(obj, CalibrationPoint):
        equipment_id = session.execute(
            select(CalibrationResult.equipment_id).where(CalibrationResult.id == obj.calibration_id)
        ).scalar_one_or_none()
    if equipment_id is None:
        return None
    # Usually the item is in the session already (a schedule or work order written with
    # it): no query then, which keeps bulk imports from asking once per row.
    loaded = session.identity_map.get(session.identity_key(Equipment, equipment_id))
    if loaded is not None:
        return loaded.agency_id  # type: ignore[no-any-return]
    return session.execute(
        select(Equipment.agency_id).where(Equipment.id == equipment_id)
    ).scalar_one_or_none()


@event.listens_for(OrmSession, "after_flush")
def _record_changes(session: OrmSession, _flush: UOWTransaction) -> None:
    actor = current_actor()
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in _NOT_AUDITED:
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            with session.no_autoflush:
                agency_id = _agency_of(session, obj)
            rows.append(
                {
                    "at": now,
                    "user_id": actor.user_id,
                    "origin": actor.origin,
                    "entity": table,
                    # New rows have their id by now but no identity key yet (set after the flush).
                    "entity_id": inspect(obj).mapper.primary_key_from_instance(obj)[0],
                    "agency_id": agency_id,
                    "action": action,
                    "changes": changes,
                }
            )
    if rows:
        session.connection().execute(insert(AuditEvent), rows)


@event.listens_for(OrmSession, "before_flush")
def _forbid_audit_changes(session: OrmSession, _flush: UOWTransaction, _instances: Any) -> None:
    # The trail is append-only; the database enforces it too (triggers in the first migration).
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise PermissionError("audit events are append-only")


def _record_outside_orm(
    session: OrmSession,
    entity: str,
    action: str,
    changes: dict[str, list[Any]],
    entity_id: int | None = None,
) -> None:
    actor = current_actor()
    session.add(
        AuditEvent(
            user_id=actor.user_id,
            origin=actor.origin,
            entity=entity,
            entity_id=entity_id,
            action=action,
            changes=changes,
        )
    )


def record_update_outside_orm(
    session: OrmSession, entity: str, entity_id: int, changes: dict[str, list[Any]]
) -> None:
    """The event of a change written by a statement that bypassed the ORM (which would also
    have raised the row's version, as if somebody had edited it)."""
    _record_outside_orm(
        session,
        entity,
        "update",
        {k: [_jsonable(v) for v in pair] for k, pair in changes.items()},
        entity_id,
    )


def record_bulk(session: OrmSession, entity: str, count: int, detail: dict[str, Any]) -> None:
    """One event for a bulk load that bypassed the ORM (e.g. seeding thousands of rows)."""
    changes = {"count": [None, count], **{k: [None, _jsonable(v)] for k, v in detail.items()}}
    _record_outside_orm(session, entity, "bulk_create", changes)


def record_bulk_delete(
    session: OrmSession, entity: str, ids: list[int], detail: dict[str, Any]
) -> None:
    """One event for rows deleted in one statement that bypassed the ORM (e.g. a scenario's
    runs): which ids went, and why (`detail`)."""
    changes = {
        "count": [len(ids), None],
        "ids": [ids, None],
        **{k: [_jsonable(v), None] for k, v in detail.items()},
    }
    _record_outside_orm(session, entity, "delete", changes)
