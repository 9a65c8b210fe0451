"""User accounts: creation, sign-in checks and preferences."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlmodel import Session
from werkzeug.security import check_password_hash, generate_password_hash

from equiplan.domain.roles import Role, needs_agency
from equiplan.models import Agency, User, utcnow
from equiplan.models.user import LOCALES
from equiplan.services.errors import ValidationError

MIN_PASSWORD_LENGTH = 10
# Compared against when the account does not exist, so that timing does not reveal it.
_DUMMY_HASH = generate_password_hash("equiplan-timing-guard", method="scrypt")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    agency_code: str | None = None,
    name: str = "",
    locale: str = "lt",
) -> User:
    """Validate and create a user; every problem is reported at once, by field."""
    errors: dict[str, object] = {}
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors["email"] = _l("Enter a valid email address.")
    else:
        if session.execute(select(User.id).where(func.lower(User.email) == email)).first():
            errors["email"] = _l("A user with this email already exists.")
    if role not in {r.value for r in Role}:
        errors["role"] = _l("Unknown role: %(role)s.", role=role)
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _l(
            "The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH
        )
    if locale not in LOCALES:
        errors["locale"] = _l("Unknown language: %(locale)s.", locale=locale)

    agency_id: int | None = None
    if agency_code:
        agency_id = session.execute(
            select(Agency.id).where(Agency.code == agency_code.strip().upper())
        ).scalar_one_or_none()
        if agency_id is None:
            errors["agency"] = _l("Unknown agency code: %(code)s.", code=agency_code)
    elif role in {r.value for r in Role} and needs_agency(role):
        errors["agency"] = _l("Officers and viewers must belong to an agency.")
    if errors:
        raise ValidationError(errors)

    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        agency_id=agency_id,
        name=name.strip(),
        locale=locale,
    )
    session.add(user)
    session.commit()
    return user


def find_user(session: Session, email: str) -> User | None:
    """The user with this email address (in any letter case), or None."""
    return session.execute(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).scalar_one_or_none()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same time either way)."""
    user = find_user(session, email)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    # A plain UPDATE: recording a sign-in must not bump the optimistic-locking version (two
    # sign-ins at once would conflict, and so would an admin editing the account meanwhile).
    session.execute(update(User).where(User.id == user.id).values(last_login_at=utcnow()))
    session.commit()
    return user


def load_user(session: Session, session_id: str) -> User | None:
    """Resolve a session identity "<id>:<fingerprint>"; a changed account invalidates it."""
    user_id, _, fingerprint = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 15:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_fingerprint != fingerprint:
        return None
    return user


def set_locale(session: Session, user: User, locale: str) -> None:
    """Save the user's interface language."""
    if locale not in LOCALES:
        raise ValidationError({"locale": _l("Unknown language: %(locale)s.", locale=locale)})
    user.locale = locale
    session.commit()
