"""Personal API tokens: creation, listing, revocation and resolving a secret to its user."""

import hashlib
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlmodel import Session

from equiplan.models import ApiToken, AuditEvent, User, utcnow
from equiplan.services.api_tokens import create_token, list_tokens, revoke_token, user_for_token
from equiplan.services.errors import NotFound, ValidationError
from tests.factories import make_agency, make_user


@pytest.fixture(autouse=True)
def _english(app):  # type: ignore[no-untyped-def]
    with app.app_context(), force_locale("en"):
        yield


def test_only_the_hash_of_the_secret_is_stored(session: Session) -> None:
    user = make_user(session, "planner")
    token, secret = create_token(session, user, "  nightly export  ")
    assert secret.startswith("eqp_")
    assert len(secret) > 40
    stored = session.execute(select(ApiToken).where(ApiToken.id == token.id)).scalar_one()
    assert (stored.user_id, stored.name) == (user.id, "nightly export")
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (stored.last_used_at, stored.revoked_at) == (None, None)
    # The audit trail records the creation, with the hash redacted and the secret nowhere.
    event = session.execute(
        select(AuditEvent).where(AuditEvent.entity == "api_token", AuditEvent.action == "create")
    ).scalar_one()
    assert event.changes["token_hash"] == [None, "[redacted]"]
    assert secret not in str(event.changes)
    assert stored.token_hash not in str(event.changes)


def test_every_token_is_different(session: Session) -> None:
    user = make_user(session, "planner")
    secrets = {create_token(session, user, "same name")[1] for _ in range(3)}
    assert len(secrets) == 3


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the token a name."),
        ("   ", "Give the token a name."),
        ("x" * 101, "The name can have at most 100 characters."),
    ],
)
def test_the_name_is_required_and_short(session: Session, name: str, message: str) -> None:
    user = make_user(session, "viewer", make_agency(session))
    with pytest.raises(ValidationError) as caught:
        create_token(session, user, name)
    assert caught.value.errors == {"name": message}
    assert session.execute(select(func.count(ApiToken.id))).scalar_one() == 0
    assert create_token(session, user, "x" * 100)[0].name == "x" * 100


def test_list_shows_only_the_users_own_tokens_newest_first(session: Session) -> None:
    mine, theirs = make_user(session, "technician"), make_user(session, "planner")
    first, _ = create_token(session, mine, "first")
    second, _ = create_token(session, mine, "second")
    create_token(session, theirs, "not mine")
    revoke_token(session, mine, first.id)  # type: ignore[arg-type]
    assert [t.name for t in list_tokens(session, mine)] == ["second", "first"]
    assert [t.id for t in list_tokens(session, mine)] == [second.id, first.id]


def test_revoking_stops_the_token_and_is_idempotent(session: Session) -> None:
    user = make_user(session, "admin")
    token, secret = create_token(session, user, "script")
    assert user_for_token(session, secret) == user
    revoked = revoke_token(session, user, token.id)  # type: ignore[arg-type]
    assert revoked.revoked_at is not None
    when = revoked.revoked_at
    assert revoke_token(session, user, token.id).revoked_at == when  # type: ignore[arg-type]
    assert user_for_token(session, secret) is None
    updates = session.execute(
        select(AuditEvent.changes).where(
            AuditEvent.entity == "api_token", AuditEvent.action == "update"
        )
    ).scalars()
    assert [set(changes) for changes in updates] == [{"revoked_at"}]


def test_another_users_token_cannot_be_revoked(session: Session) -> None:
    owner, other = make_user(session, "planner"), make_user(session, "admin")
    token, secret = create_token(session, owner, "owner's")
    with pytest.raises(NotFound):
        revoke_token(session, other, token.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        revoke_token(session, other, token.id + 1000)  # type: ignore[operator]
    assert session.get(ApiToken, token.id).revoked_at is None  # type: ignore[union-attr]
    assert user_for_token(session, secret) == owner


def test_unknown_and_malformed_secrets_resolve_to_nobody(session: Session) -> None:
    user = make_user(session, "planner")
    _, secret = create_token(session, user, "script")
    for wrong in ("", "eqp_", secret[:-1], secret + "x", secret.removeprefix("eqp_"), "Bearer"):
        assert user_for_token(session, wrong) is None, wrong


def test_a_deactivated_users_tokens_stop_working(session: Session) -> None:
    user = make_user(session, "officer", make_agency(session))
    _, secret = create_token(session, user, "script")
    user.active = False
    session.commit()
    assert user_for_token(session, secret) is None


def test_use_is_recorded_at_most_once_a_minute_without_touching_the_user(
    session: Session,
) -> None:
    user = make_user(session, "planner")
    token, secret = create_token(session, user, "script")
    version = user.version
    events = session.execute(select(func.count(AuditEvent.id))).scalar_one()
    start = utcnow()

    def last_used() -> object:
        return session.execute(
            select(ApiToken.last_used_at).where(ApiToken.id == token.id)
        ).scalar_one()

    assert user_for_token(session, secret, now=start) == user
    assert last_used() == start
    user_for_token(session, secret, now=start + timedelta(seconds=59))
    assert last_used() == start
    user_for_token(session, secret, now=start + timedelta(minutes=1))
    assert last_used() == start + timedelta(minutes=1)
    # Book-keeping only: no new version of the user, no audit events.
    session.expire_all()
    assert session.get(User, user.id).version == version  # type: ignore[union-attr]
    assert session.execute(select(func.count(AuditEvent.id))).scalar_one() == events
