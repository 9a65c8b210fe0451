"""What administrators see of the mail outbox and what they may do with it: read the messages
(filtered by status and recipient, counted per status), and send failed ones again.

Outbox rows are mail plumbing, not domain rows, so the automatic audit trail
(services/audit.py) leaves them out; a retry is an administrator's decision, though, so each
retried message gets an explicit `update` event here, in the same transaction as the retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, insert, select, update
from sqlmodel import Session

from equiplan.models import AuditEvent, OutboxMessage, User
from equiplan.models.notification import OUTBOX_STATUSES
from equiplan.services.audit import current_actor
from equiplan.services.errors import NotFound, ValidationError
from equiplan.services.input_fields import whole_number
from equiplan.services.paging import Page, contains_text

PER_PAGE = 50
HISTORY_LIMIT = 50
ENTITY = OutboxMessage.__tablename__


@dataclass(frozen=True)
class OutboxQuery:
    """What an administrator asks of the outbox list."""

    status: str | None = None  # None: every status
    recipient: str = ""
    page: int = 1

    def as_args(self, **changes: object) -> dict[str, object]:
        """Query-string arguments for this query with `changes` applied (for links)."""
        values = {**vars(self), **changes}
        return {k: v for k, v in values.items() if v not in (None, "") and (k, v) != ("page", 1)}


def parse_outbox_query(args: Mapping[str, str]) -> tuple[OutboxQuery, dict[str, object]]:
    """The query described by a query string; unusable values are dropped and reported."""
    errors: dict[str, object] = {}
    status: str | None = args.get("status", "").strip() or None
    if status is not None and status not in OUTBOX_STATUSES:
        errors["status"] = _l("Unknown status: %(value)s.", value=status[:40])
        status = None
    page = 1
    try:
        page = whole_number(args.get("page", "")) or 1
    except ValueError as error:
        errors["page"] = str(error)
    return OutboxQuery(status, args.get("recipient", "").strip()[:100], page), errors


def _conditions(status: str | None, recipient: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(OutboxMessage.status == status)  # type: ignore[arg-type]
    if recipient:
        conditions.append(contains_text(recipient, OutboxMessage.to_addr))
    return conditions


def list_outbox(
    session: Session,
    *,
    status: str | None = None,
    recipient: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[OutboxMessage]:
    """One page of outbox messages, newest first, with the count of all that match.

    `status` is one of OUTBOX_STATUSES (None: all); `recipient` matches part of the address,
    ignoring case.
    """
    if status is not None and status not in OUTBOX_STATUSES:
        raise ValueError(f"unknown outbox status {status!r}")
    conditions = _conditions(status, recipient)
    total = session.execute(
        select(func.count(OutboxMessage.id)).where(*conditions)  # type: ignore[arg-type]
    ).scalar_one()
    items = session.execute(
        select(OutboxMessage)
        .where(*conditions)
        # The id breaks ties (a sweep queues many messages in the same instant).
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())  # type: ignore[attr-defined,union-attr]
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def count_by_status(session: Session) -> dict[str, int]:
    """How many messages the outbox holds in each status (every status present, maybe 0)."""
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    for status, count in rows:
        counts[status] = count
    return counts


@dataclass(frozen=True)
class OutboxOverview:
    """The outbox page: one page of messages and the counts per status of the whole outbox."""

    page: Page[OutboxMessage]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def outbox_overview(session: Session, query: OutboxQuery) -> OutboxOverview:
    """The page `query` asks for, and how many messages there are in each status."""
    return OutboxOverview(
        page=list_outbox(session, status=query.status, recipient=query.recipient, page=query.page),
        counts=count_by_status(session),
    )


@dataclass(frozen=True)
class RetryEntry:
    """One recorded retry of a message: when, by whom (None: the system)."""

    at: datetime
    who: str | None
    changes: dict[str, list[Any]]


@dataclass(frozen=True)
class OutboxMessageDetail:
    message: OutboxMessage
    retries: list[RetryEntry]


def get_message(session: Session, message_id: int) -> OutboxMessage:
    """One outbox message, or NotFound."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"outbox message {message_id}")
    return message


def message_detail(session: Session, message_id: int) -> OutboxMessageDetail:
    """One message with the retries administrators asked for (newest first)."""
    message = get_message(session, message_id)
    rows = session.execute(
        select(AuditEvent, func.coalesce(func.nullif(User.name, ""), User.email))
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.entity == ENTITY, AuditEvent.entity_id == message_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())  # type: ignore[attr-defined]
        .limit(HISTORY_LIMIT)
    ).all()
    return OutboxMessageDetail(
        message=message,
        retries=[RetryEntry(event.at, who, event.changes) for event, who in rows],
    )


def _requeue(
    session: Session, now: datetime, only: ColumnElement[bool] | None = None
) -> list[tuple[int, int]]:
    """Put the failed messages (those matching `only`, if given) back in the queue and audit
    each one; returns (id, attempts before) of those requeued.

    The rows are locked first (PostgreSQL; SQLite serialises writers anyway): when two
    administrators retry at once, the second waits and then finds nothing left to retry.
    The deliverer never takes failed messages, so it does not compete for them.
    """
    failed = OutboxMessage.status == "failed"
    conditions = [failed] if only is None else [failed, only]
    before: list[tuple[int, int]] = [
        (message_id, attempts)
        for message_id, attempts in session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts)
            .where(*conditions)  # type: ignore[arg-type]
            .with_for_update()
        )
    ]
    if not before:
        return []
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([message_id for message_id, _ in before]))  # type: ignore[union-attr]
        # The back-off starts over; last_error stays until the next attempt replaces it.
        .values(status="queued", next_attempt_at=now, attempts=0)
    )
    _audit_retries(session, now, before)
    return before


def _audit_retries(session: Session, now: datetime, retried: list[tuple[int, int]]) -> None:
    if not retried:
        return
    actor = current_actor()
    session.execute(
        insert(AuditEvent),
        [
            {
                "at": now,
                "user_id": actor.user_id,
                "origin": actor.origin,
                "entity": ENTITY,
                "entity_id": message_id,
                "agency_id": None,
                "action": "update",
                "changes": {
                    "status": ["failed", "queued"],
                    "attempts": [attempts, 0],
                    "next_attempt_at": [None, now.isoformat()],
                },
            }
            for message_id, attempts in retried
        ],
    )


def retry_message(session: Session, message_id: int, now: datetime) -> OutboxMessage:
    """Send a failed message again: back in the queue, due at `now`, attempts from zero.

    Raises NotFound for an unknown message and ValidationError when it has not failed
    (queued, being sent or sent: there is nothing to retry). Commits.
    """
    message = get_message(session, message_id)
    if not _requeue(session, now, OutboxMessage.id == message_id):  # type: ignore[arg-type]
        session.rollback()
        raise ValidationError({"status": _l("Only a failed message can be sent again.")})
    session.commit()
    session.refresh(message)
    return message


def retry_failed(session: Session, now: datetime) -> int:
    """Send every failed message again (see `retry_message`); returns how many. Commits."""
    retried = _requeue(session, now)
    session.commit()
    return len(retried)
