"""WTForms for the server-rendered pages (every form carries a CSRF token)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from equiplan.services.api_tokens import MAX_NAME_LENGTH

# Fields every service-backed form carries that are not values for the service.
_PLUMBING = ("csrf_token", "version")


class ServiceForm(FlaskForm):
    """A form whose fields stay text and whose values the services parse and check."""

    def values(self) -> dict[str, Any]:
        """The submitted fields under the services' names."""
        return {name: field.data for name, field in self._fields.items() if name not in _PLUMBING}

    def show_errors(self, errors: Mapping[str, str]) -> list[str]:
        """Put each service error next to its field; returns those that belong to no field."""
        unplaced = []
        for name, message in errors.items():
            field = self._fields.get(name)
            if field is None or name in _PLUMBING:
                unplaced.append(message)
            else:
                field.errors = [*field.errors, message]  # type: ignore[list-item]
        return unplaced


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=512)])
    remember = BooleanField(_l("Keep me signed in on this computer"))
    next = HiddenField()


class LocaleForm(FlaskForm):
    # Each language is named in itself, so a user can find theirs whatever is shown now.
    locale = SelectField(
        _l("Language"), choices=[SelectChoice("lt", "Lietuvių"), SelectChoice("en", "English")]
    )
    next = HiddenField()


class SignOutForm(FlaskForm):
    """Signing out is a POST with a CSRF token, so no other site can sign a user out."""


class ApiTokenForm(FlaskForm):
    # The same rules and messages as services.api_tokens.create_token, checked here first so
    # that the field shows them (and the browser knows the maximum length).
    name = StringField(
        _l("Token name"),
        validators=[
            DataRequired(message=_l("Give the token a name.")),
            Length(
                max=MAX_NAME_LENGTH,
                message=_l("The name can have at most %(n)d characters.", n=MAX_NAME_LENGTH),
            ),
        ],
    )


class RevokeTokenForm(FlaskForm):
    """Revoking a token is a POST with a CSRF token; which token is in the URL."""
