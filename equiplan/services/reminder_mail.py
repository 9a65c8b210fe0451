"""Reminder and digest emails: subject in Python, text and HTML from templates/email/, each in
the recipient's language.

Every phrase is worked out here once (under `force_locale`) and laid out by the templates, so
the text and HTML parts always say the same. Phrases about time ("due in 30 days", "overdue by
3 days") are computed when the email is written, so a reminder that waited for a digest is
still true when it is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from equiplan.domain.reminders import (
    URGENCY,
    Stage,
    days_overdue,
    days_until,
    hours_late,
)
from equiplan.services.reminder_facts import ReminderFacts
from equiplan.services.work_order_input import KIND_LABELS

# "<work> <when>": in Lithuanian "<work, genitive> terminas <when>", hence one phrase per kind.
SUBJECT_BY_KIND = {
    "calibration": _l("Calibration %(when)s"),
    "source_check": _l("Source check %(when)s"),
    "performance_test": _l("Performance test %(when)s"),
    "preventive": _l("Preventive maintenance %(when)s"),
    "inspection": _l("Inspection %(when)s"),
    "corrective": _l("Repair %(when)s"),
}
DIGEST_SECTIONS = {
    Stage.ESCALATION_2: _l("Escalated to the NSSC"),
    Stage.ESCALATION_1: _l("Escalated to the focal point"),
    Stage.OVERDUE: _l("Overdue"),
    Stage.DUE: _l("Due now"),
    Stage.LEAD: _l("Coming up"),
}
# Repairs are late by hours at first; from two days on, by days.
HOURS_SHOWN_UP_TO = 47


class RenderSettings(Protocol):
    """What rendering needs from the reminder settings."""

    @property
    def timezone(self) -> str: ...

    @property
    def base_url(self) -> str: ...


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    locale: str


@dataclass(frozen=True)
class ReminderView:
    """One reminder as the templates show it (all strings already translated)."""

    headline: str
    rows: list[tuple[str, str]]
    links: list[tuple[str, str]]
    escalation: str | None = None
    reasons: list[str] = field(default_factory=list)


def _days(count: int) -> str:
    return _("1 day") if count == 1 else _("%(days)d days", days=count)


def _late(hours: int) -> str:
    if hours <= HOURS_SHOWN_UP_TO:
        return _("%(hours)d h", hours=hours)
    return _days(hours // 24)


def _local(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{format_date(local.date())} {local:%H:%M}"


def _localized(facts: ReminderFacts, name: str, locale: str) -> str:
    value: str | None = getattr(facts, f"{name}_{'lt' if locale == 'lt' else 'en'}")
    return value or getattr(facts, f"{name}_en") or ""


def _when(facts: ReminderFacts, today: date, now: datetime) -> str:
    """The subject's account of where the work stands (after the kind of work)."""
    number = facts.inventory_no
    if facts.is_repair:
        assert facts.target_restore_at is not None
        late = _late(max(hours_late(facts.target_restore_at, now), 1))
        return _("overdue by %(duration)s: %(inventory_no)s", duration=late, inventory_no=number)
    assert facts.grace_ends_on is not None
    left = days_until(facts.due_date, today)
    if left > 1:
        return _("due in %(duration)s: %(inventory_no)s", duration=_days(left), inventory_no=number)
    if left == 1:
        return _("due tomorrow: %(inventory_no)s", inventory_no=number)
    if left == 0:
        return _("due today: %(inventory_no)s", inventory_no=number)
    if today <= facts.grace_ends_on:
        return _(
            "due, on time until %(date)s: %(inventory_no)s",
            date=format_date(facts.grace_ends_on),
            inventory_no=number,
        )
    late = _days(days_overdue(facts.grace_ends_on, today))
    return _("overdue by %(duration)s: %(inventory_no)s", duration=late, inventory_no=number)


def reminder_subject(facts: ReminderFacts, today: date, now: datetime) -> str:
    """E.g. "Calibration due in 30 days: VSAT-PRD-0012" (call under `force_locale`)."""
    subject = str(SUBJECT_BY_KIND[facts.kind]) % {"when": _when(facts, today, now)}
    if facts.stage in (Stage.ESCALATION_1, Stage.ESCALATION_2):
        return _("Escalated to you: %(subject)s", subject=subject)
    return subject


def _escalation(facts: ReminderFacts, today: date, now: datetime, agency: str) -> str | None:
    if facts.stage not in (Stage.ESCALATION_1, Stage.ESCALATION_2):
        return None
    if facts.is_repair:
        assert facts.target_restore_at is not None
        late = _late(max(hours_late(facts.target_restore_at, now), 1))
        if facts.stage is Stage.ESCALATION_1:
            return _(
                "You receive this escalation as the focal point of %(agency)s: the repair is "
                "still not finished %(duration)s after its target restore time.",
                agency=agency,
                duration=late,
            )
        return _(
            "Escalated to the NSSC technicians: the repair is still not finished %(duration)s "
            "after its target restore time; the agency's officers and focal point were "
            "reminded earlier.",
            duration=late,
        )
    assert facts.grace_ends_on is not None
    late = _days(days_overdue(facts.grace_ends_on, today))
    if facts.stage is Stage.ESCALATION_1:
        return _(
            "You receive this escalation as the focal point of %(agency)s: the work is still "
            "not done %(duration)s after its grace window ended.",
            agency=agency,
            duration=late,
        )
    return _(
        "Escalated to the NSSC technicians: the work is still not done %(duration)s after its "
        "grace window ended; the agency's officers and focal point were reminded earlier.",
        duration=late,
    )


def _reasons(facts: ReminderFacts, agency: str) -> list[str]:
    """Why the recipient gets this email, and how to change it."""
    if facts.stage is Stage.ESCALATION_2:
        why = _("You receive this email because you are an NSSC technician.")
    elif facts.stage is Stage.ESCALATION_1:
        why = _(
            "You receive this email because this address is the focal point of %(agency)s.",
            agency=agency,
        )
    else:
        why = _(
            "You receive this email because you are an equipment officer of %(agency)s.",
            agency=agency,
        )
    if not facts.has_account:
        return [why, _("To change this address, ask the NSSC system administrator.")]
    return [why, _("You can choose one daily digest instead of single emails on your profile:")]


def reminder_view(
    facts: ReminderFacts, today: date, now: datetime, settings: RenderSettings
) -> ReminderView:
    """The reminder's content in the current locale (call under `force_locale`)."""
    locale = facts.locale
    agency = _localized(facts, "agency_name", locale)
    site = _localized(facts, "site_name", locale) if facts.site_name_en else "—"
    rows = [
        (_("Inventory no."), facts.inventory_no),
        (_("Type"), _localized(facts, "type_name", locale)),
        (_("Model"), facts.model_name),
        (_("Site"), site),
        (_("Agency"), agency),
        (_("Work"), str(KIND_LABELS[facts.kind])),
    ]
    base = settings.base_url.rstrip("/")
    links = [(_("Open the item"), f"{base}/equipment/{facts.equipment_id}")]
    if facts.is_repair:
        assert facts.target_restore_at is not None
        rows.append((_("Target restore time"), _local(facts.target_restore_at, settings.timezone)))
        late = hours_late(facts.target_restore_at, now)
        if late > 0:
            rows.append((_("Late by"), _late(late)))
        links.insert(0, (_("Open the work order"), f"{base}/work-orders/{facts.work_order_id}"))
    else:
        assert facts.grace_ends_on is not None
        rows.append((_("Due date"), format_date(facts.due_date)))
        rows.append((_("End of grace window"), format_date(facts.grace_ends_on)))
        overdue = days_overdue(facts.grace_ends_on, today)
        if overdue > 0:
            rows.append((_("Days overdue"), str(overdue)))
    return ReminderView(
        headline=reminder_subject(facts, today, now),
        rows=rows,
        links=links,
        escalation=_escalation(facts, today, now, agency),
        reasons=_reasons(facts, agency),
    )


def render_reminder(facts: ReminderFacts, now: datetime, settings: RenderSettings) -> RenderedMail:
    """The single email for one reminder, in the recipient's language."""
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    with force_locale(facts.locale):
        view = reminder_view(facts, today, now, settings)
        context = {
            "reminder": view,
            "profile_url": _profile(settings) if facts.has_account else None,
            "locale": facts.locale,
        }
        return RenderedMail(
            subject=view.headline,
            text=_render("email/reminder.txt", **context),
            html=_render("email/reminder.html", **context),
            locale=facts.locale,
        )


def _render(template: str, **context: object) -> str:
    # Straight from the app's Jinja environment (autoescaped .html, gettext installed): the
    # app's context processors describe a web request, and there is none here.
    return current_app.jinja_env.get_template(template).render(**context)


def _profile(settings: RenderSettings) -> str:
    return f"{settings.base_url.rstrip('/')}/account"


def digest_entries(facts: Sequence[ReminderFacts]) -> list[tuple[Stage, list[ReminderFacts]]]:
    """Group a user's reminders by stage, most urgent first; a piece of work with several
    reminders (e.g. due, then overdue) appears once, under its most urgent stage."""
    by_work: dict[tuple[object, ...], ReminderFacts] = {}
    for item in sorted(facts, key=lambda f: (URGENCY.index(f.stage), f.notification_id)):
        by_work.setdefault(item.subject_key(), item)
    groups: list[tuple[Stage, list[ReminderFacts]]] = []
    for stage in URGENCY:
        members = [f for f in by_work.values() if f.stage is stage]
        if members:
            groups.append((stage, sorted(members, key=lambda f: (f.due_date, f.inventory_no))))
    return groups


def render_digest(
    facts: Sequence[ReminderFacts], locale: str, now: datetime, settings: RenderSettings
) -> RenderedMail:
    """One email with all of a user's pending reminders, grouped by stage."""
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    with force_locale(locale):
        sections = [
            (str(DIGEST_SECTIONS[stage]), [reminder_view(f, today, now, settings) for f in items])
            for stage, items in digest_entries(facts)
        ]
        count = sum(len(items) for _title, items in sections)
        subject = _("Daily reminder digest (%(count)d)", count=count)
        context = {
            "subject": subject,
            "sections": sections,
            "profile_url": _profile(settings),
            "locale": locale,
        }
        return RenderedMail(
            subject=subject,
            text=_render("email/digest.txt", **context),
            html=_render("email/digest.html", **context),
            locale=locale,
        )
