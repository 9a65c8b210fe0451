"""User accounts: creation rules and sign-in checks."""

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from equiplan.models import User
from equiplan.services.errors import ValidationError
from equiplan.services.users import authenticate, create_user, load_user
from tests.factories import make_agency


@pytest.fixture(autouse=True)
def _english(app):  # type: ignore[no-untyped-def]
    with app.app_context(), force_locale("en"):
        yield


def test_create_user_hashes_the_password_and_normalises_the_email(session) -> None:  # type: ignore[no-untyped-def]
    make_agency(session, "VSAT")
    user = create_user(
        session,
        email=" Jonas@VSAT.lt ",
        password="long-enough-1",
        role="officer",
        agency_code="vsat",
    )
    assert user.email == "jonas@vsat.lt"
    assert user.password_hash.startswith("scrypt:")
    assert "long-enough-1" not in user.password_hash
    assert authenticate(session, "JONAS@vsat.lt", "long-enough-1") == user
    assert authenticate(session, "jonas@vsat.lt", "wrong-password") is None
    assert authenticate(session, "nobody@vsat.lt", "long-enough-1") is None


def test_every_problem_is_reported_by_field(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        create_user(session, email="not-an-email", password="short", role="boss", locale="de")
    assert set(caught.value.errors) == {"email", "password", "role", "locale"}
    assert "at least 10 characters" in caught.value.errors["password"]
    assert session.execute(select(func.count(User.id))).scalar_one() == 0


def test_agency_roles_need_a_known_agency(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        create_user(session, email="a@b.lt", password="long-enough-1", role="viewer")
    assert caught.value.errors == {"agency": "Officers and viewers must belong to an agency."}
    with pytest.raises(ValidationError) as caught:
        create_user(
            session, email="a@b.lt", password="long-enough-1", role="officer", agency_code="NOPE"
        )
    assert caught.value.errors == {"agency": "Unknown agency code: NOPE."}


def test_duplicate_email_is_refused_whatever_the_case(session) -> None:  # type: ignore[no-untyped-def]
    create_user(session, email="x@nssc.lt", password="long-enough-1", role="admin")
    with pytest.raises(ValidationError) as caught:
        create_user(session, email="X@NSSC.lt", password="long-enough-1", role="planner")
    assert set(caught.value.errors) == {"email"}


def test_a_password_change_ends_existing_sessions(session) -> None:  # type: ignore[no-untyped-def]
    user = create_user(session, email="t@nssc.lt", password="long-enough-1", role="technician")
    identity = user.get_id()
    assert load_user(session, identity) == user
    user.locale = "en"  # harmless changes keep the session
    session.commit()
    assert load_user(session, identity) == user
    user.password_hash = "scrypt:other"
    session.commit()
    assert load_user(session, identity) is None
    assert load_user(session, "garbage") is None


def test_inactive_users_cannot_sign_in(session) -> None:  # type: ignore[no-untyped-def]
    user = create_user(session, email="gone@nssc.lt", password="long-enough-1", role="planner")
    user.active = False
    session.commit()
    assert authenticate(session, "gone@nssc.lt", "long-enough-1") is None
