"""What a reminder email says, loaded for a batch of notifications in one joined query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from equiplan.domain.reminders import (
    Account,
    Stage,
    Verdict,
    in_audience,
    repair_reminder_verdict,
    schedule_reminder_verdict,
)
from equiplan.models import (
    Agency,
    Equipment,
    EquipmentModel,
    EquipmentType,
    Notification,
    Schedule,
    Site,
    User,
    WorkOrder,
)


@dataclass(frozen=True)
class ReminderFacts:
    """One notification with everything its email shows (plain values, no ORM objects)."""

    notification_id: int
    stage: Stage
    due_date: date
    recipient_email: str
    # The recipient's account (None: an address only, e.g. a focal point without an account),
    # as it is now: who they are may have changed since the reminder was found.
    user_id: int | None
    recipient_name: str
    recipient_active: bool
    locale: str
    account_email: str | None
    account_role: str | None
    account_agency_id: int | None
    # The work: a schedule's kind, or "corrective" for a repair.
    kind: str
    schedule_id: int | None
    schedule_active: bool
    next_due: date | None
    grace_ends_on: date | None
    work_order_id: int | None
    work_status: str | None
    target_restore_at: datetime | None
    # The item.
    equipment_id: int
    inventory_no: str
    equipment_status: str
    type_name_en: str
    type_name_lt: str
    model_name: str
    site_name_en: str | None
    site_name_lt: str | None
    agency_name_en: str
    agency_name_lt: str
    # The item's agency now, and that agency's focal-point address now.
    agency_id: int
    focal_point_email: str | None

    @property
    def is_repair(self) -> bool:
        return self.work_order_id is not None

    @property
    def has_account(self) -> bool:
        """Whether the email speaks to an account (its profile, its digest choice) rather than
        to a bare address; a deactivated focal point's account is no longer one."""
        return self.user_id is not None and self.recipient_active

    def in_audience(self) -> bool:
        """Whether the recipient still belongs to the stage's audience for the item as it is
        now (domain/reminders.py `in_audience`)."""
        account = None
        if self.user_id is not None and self.account_email is not None:
            account = Account(
                email=self.account_email,
                active=self.recipient_active,
                role=self.account_role or "",
                agency_id=self.account_agency_id,
            )
        return in_audience(
            self.stage,
            address=self.recipient_email,
            account=account,
            item_agency_id=self.agency_id,
            focal_point_email=self.focal_point_email,
        )

    def subject_key(self) -> tuple[Any, ...]:
        """The piece of work the reminder is about (one entry per key in a digest)."""
        if self.is_repair:
            return ("repair", self.work_order_id)
        return ("schedule", self.schedule_id, self.due_date)

    def verdict(self, now: datetime) -> Verdict:
        """Send, drop as obsolete, or keep waiting (domain/reminders.py)."""
        if self.is_repair:
            return repair_reminder_verdict(
                work_status=self.work_status or "",
                equipment_status=self.equipment_status,
                target=self.target_restore_at,
                now=now,
                recipient_in_audience=self.in_audience(),
            )
        assert self.next_due is not None  # a schedule reminder always has its schedule
        return schedule_reminder_verdict(
            schedule_active=self.schedule_active,
            equipment_status=self.equipment_status,
            next_due=self.next_due,
            reminded_due_date=self.due_date,
            recipient_in_audience=self.in_audience(),
        )


def load_facts(
    session: Session, notification_ids: Sequence[int], default_locale: str
) -> dict[int, ReminderFacts]:
    """The facts of the given notifications by id, in one query.

    The language is the recipient's: their account's, or for a bare address (a focal point)
    that of an account with the same address, else `default_locale`.
    """
    if not notification_ids:
        return {}
    account = aliased(User)  # the recipient's account (user_id)
    namesake = aliased(User)  # an account with the same address, for a bare address
    statement = (
        select(
            Notification.id,
            Notification.stage,
            Notification.due_date,
            Notification.recipient_email,
            Notification.user_id,
            account.name,
            account.active,
            account.locale,
            account.email,
            account.role,
            account.agency_id,
            namesake.locale,
            Schedule.id,
            Schedule.kind,
            Schedule.active,
            Schedule.next_due,
            Schedule.grace_ends_on,
            WorkOrder.id,
            WorkOrder.status,
            WorkOrder.target_restore_at,
            Equipment.id,
            Equipment.inventory_no,
            Equipment.status,
            EquipmentType.name_en,
            EquipmentType.name_lt,
            EquipmentModel.manufacturer,
            EquipmentModel.name,
            Site.name_en,
            Site.name_lt,
            Agency.name_en,
            Agency.name_lt,
            Agency.id,
            Agency.focal_point_email,
        )
        .select_from(Notification)
        .outerjoin(Schedule, Schedule.id == Notification.schedule_id)
        .outerjoin(WorkOrder, WorkOrder.id == Notification.work_order_id)
        .join(
            Equipment,
            Equipment.id == func.coalesce(Schedule.equipment_id, WorkOrder.equipment_id),
        )
        .join(EquipmentModel, EquipmentModel.id == Equipment.model_id)
        .join(EquipmentType, EquipmentType.id == EquipmentModel.type_id)
        .outerjoin(Site, Site.id == Equipment.site_id)
        .join(Agency, Agency.id == Equipment.agency_id)
        .outerjoin(account, account.id == Notification.user_id)
        .outerjoin(
            namesake,
            and_(
                Notification.user_id.is_(None),  # type: ignore[union-attr]
                func.lower(namesake.email) == func.lower(Notification.recipient_email),
            ),
        )
        .where(Notification.id.in_(list(notification_ids)))  # type: ignore[union-attr]
    )
    facts: dict[int, ReminderFacts] = {}
    for row in session.execute(statement):
        (
            notification_id,
            stage,
            due_date,
            email,
            user_id,
            name,
            active,
            locale,
            account_email,
            account_role,
            account_agency_id,
            namesake_locale,
            schedule_id,
            schedule_kind,
            schedule_active,
            next_due,
            grace_end,
            work_order_id,
            work_status,
            target,
            equipment_id,
            inventory_no,
            equipment_status,
            type_en,
            type_lt,
            manufacturer,
            model,
            site_en,
            site_lt,
            agency_en,
            agency_lt,
            agency_id,
            focal_point_email,
        ) = row
        facts[notification_id] = ReminderFacts(
            notification_id=notification_id,
            stage=Stage(stage),
            due_date=due_date,
            recipient_email=email,
            user_id=user_id,
            recipient_name=name or "",
            # A bare address has no account to deactivate.
            recipient_active=True if user_id is None else bool(active),
            locale=(locale if user_id is not None else namesake_locale) or default_locale,
            account_email=account_email,
            account_role=account_role,
            account_agency_id=account_agency_id,
            kind=schedule_kind if schedule_id is not None else "corrective",
            schedule_id=schedule_id,
            schedule_active=bool(schedule_active),
            next_due=next_due,
            grace_ends_on=grace_end,
            work_order_id=work_order_id,
            work_status=work_status,
            target_restore_at=target,
            equipment_id=equipment_id,
            inventory_no=inventory_no,
            equipment_status=equipment_status,
            type_name_en=type_en,
            type_name_lt=type_lt,
            model_name=f"{manufacturer} {model}".strip(),
            site_name_en=site_en,
            site_name_lt=site_lt,
            agency_name_en=agency_en,
            agency_name_lt=agency_lt,
            agency_id=agency_id,
            focal_point_email=focal_point_email,
        )
    return facts
