"""Personal API tokens: a user creates named tokens for scripts and other systems, which then
call the JSON API as that user (same role, same agency scope).

Only a SHA-256 hash of each token is stored. The secret is shown once, at creation, and cannot
be recovered afterwards; a lost token is revoked and replaced.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlmodel import Session

from equiplan.models import ApiToken, User, utcnow
from equiplan.services.errors import NotFound, ValidationError

TOKEN_PREFIX = "eqp_"  # noqa: S105 - a public prefix, not a secret
MAX_NAME_LENGTH = 100
# Recording every use would turn each API read into a write (and on SQLite take the database's
# write lock); to the minute is precise enough to tell whether a token is still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """The stored form of a token: its SHA-256 in hex. The secret is random enough (256 bits)
    that a fast hash is safe, unlike passwords, and lookups stay one indexed equality."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the secret, which is never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _l("Give the token a name.")})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            {"name": _l("The name can have at most %(n)d characters.", n=MAX_NAME_LENGTH)}
        )
    # The prefix lets people (and secret scanners) recognise an equiplan token when it leaks.
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_secret(secret))  # type: ignore[arg-type]
    session.add(token)
    session.commit()
    return token, secret


def list_tokens(session: Session, user: User) -> Sequence[ApiToken]:
    """The user's tokens, revoked ones included, newest first."""
    return (
        session.execute(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)  # type: ignore[arg-type]
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())  # type: ignore[attr-defined,union-attr]
        )
        .scalars()
        .all()
    )


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (again is harmless); another user's is NotFound."""
    token = session.get(ApiToken, token_id)
    # Someone else's token answers exactly like a missing one, so ids reveal nothing.
    if token is None or token.user_id != user.id:
        raise NotFound(f"api token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()
    return token


def user_for_token(session: Session, secret: str, *, now: datetime | None = None) -> User | None:
    """The active user a token belongs to, or None when it is unknown, revoked or its user is
    deactivated. Records the use (to the minute)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)  # type: ignore[arg-type]
        .where(
            ApiToken.token_hash == hash_secret(secret),  # type: ignore[arg-type]
            ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
            User.active.is_(True),  # type: ignore[attr-defined]
        )
    ).first()
    if row is None:
        return None
    token: ApiToken
    user: User
    token, user = row
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A plain UPDATE, like recording a sign-in: book-keeping must not bump the user's
        # optimistic-locking version nor add audit events.
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))  # type: ignore[arg-type]
        session.commit()
    return user
