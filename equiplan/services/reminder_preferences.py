"""How a person wants their reminders: one email per reminder, or one daily digest.

The reminder sweep reads `User.digest_opt_in`; people change it on their profile page.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from equiplan.models import User
from equiplan.services.errors import ValidationError

DELIVERIES = ("single", "digest")


def reminder_delivery(user: User) -> str:
    """ "digest" when the user takes the daily digest, else "single"."""
    return "digest" if user.digest_opt_in else "single"


def set_reminder_delivery(session: Session, user: User, delivery: str) -> None:
    """Choose single reminders ("single") or the daily digest ("digest") for `user`."""
    if delivery not in DELIVERIES:
        raise ValidationError({"delivery": _l("Choose single reminders or the daily digest.")})
    wanted = delivery == "digest"
    if user.digest_opt_in != wanted:
        user.digest_opt_in = wanted
        session.commit()
