"""Concurrent requests on real, committed databases (not the rolled-back test transaction):
sign-ins at the same moment must all succeed on SQLite (write lock taken up front) and on
PostgreSQL (no version conflict from recording the sign-in)."""

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session

from equiplan.db import make_engine, upgrade
from equiplan.models import User
from equiplan.services.users import authenticate, hash_password

PASSWORD = "long-enough-1"
THREADS = 8


def _users(url: str, count: int) -> list[str]:
    engine = make_engine(url)
    with Session(engine) as session:
        password_hash = hash_password(PASSWORD)
        emails = [f"user{i}@nssc.lt" for i in range(count)]
        session.add_all(
            User(email=e, role="technician", password_hash=password_hash) for e in emails
        )
        session.commit()
    engine.dispose()
    return emails


def _sign_in_all_at_once(url: str, emails: list[str]) -> list[bool]:
    engine = make_engine(url, pool_size=THREADS, max_overflow=0)

    def attempt(email: str) -> bool:
        with Session(engine, expire_on_commit=False) as session:
            return authenticate(session, email, PASSWORD) is not None

    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            return list(pool.map(attempt, emails))
    finally:
        engine.dispose()


def test_different_users_sign_in_at_once(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    emails = _users(empty_database_url, THREADS)
    assert _sign_in_all_at_once(empty_database_url, emails) == [True] * THREADS


def test_one_user_signs_in_from_many_places_at_once(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    (email,) = _users(empty_database_url, 1)
    assert _sign_in_all_at_once(empty_database_url, [email] * THREADS) == [True] * THREADS
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        user = session.get(User, 1)
        assert user is not None
        assert user.last_login_at is not None
        assert user.version == 1  # recording sign-ins leaves the optimistic lock alone
    engine.dispose()
