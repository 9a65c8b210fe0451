"""API fixtures: the web tests' world, a test client that checks every response against the
OpenAPI document, and callers that authenticate with a personal API token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.test import TestResponse

from equiplan.models import User
from equiplan.services.api_tokens import create_token
from tests.api.conformance import ConformingClient
from tests.web.conftest import World
from tests.web.conftest import world as world  # the web tests' fixture, shared


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = ConformingClient
    return app.test_client()


@dataclass
class Caller:
    """A script calling the API with one user's token."""

    client: FlaskClient
    user: User
    token: str

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.client.get(path, query_string=params, headers=self._headers())

    def post(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.post(path, json=body, headers=self._headers(), **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.patch(path, json=body, headers=self._headers(), **kwargs)

    def send(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        return self.client.open(path, method=method, headers=self._headers(), **kwargs)


@pytest.fixture
def caller(client: FlaskClient, session: Session) -> Callable[[User], Caller]:
    """caller(user): the API as that user, through a token of theirs."""

    def make(user: User) -> Caller:
        return Caller(client, user, create_token(session, user, "tests")[1])

    return make


@pytest.fixture
def as_role(world: World, caller: Callable[[User], Caller]) -> Callable[[str], Caller]:
    """as_role("officer"): the API as the world's user of that role (officer, viewer: VSAT)."""
    return lambda role: caller(world.users[role])
