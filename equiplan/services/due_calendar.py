"""The month calendar of what is due: a Monday-first grid of the month's weeks with, per day,
the count (and how many overdue) and the first few entries, computed in SQL."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session

from equiplan.services.due import DueClock, DueRange, DueRow, due_rows, due_union
from equiplan.services.due_query import DueQuery
from equiplan.services.local_date_sql import install_local_date
from equiplan.services.scoping import Scope

ENTRIES_PER_DAY = 3


@dataclass(frozen=True)
class CalendarDay:
    day: date
    count: int
    overdue: int
    entries: list[DueRow]

    @property
    def more(self) -> int:
        """How many are due that day beyond the entries shown."""
        return self.count - len(self.entries)


@dataclass(frozen=True)
class MonthCalendar:
    year: int
    month: int
    # Monday-first weeks; days of the neighbouring months are None.
    weeks: list[list[CalendarDay | None]]
    total: int
    overdue: int

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def previous(self) -> date:
        return (self.first_day - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return (self.first_day + timedelta(days=31)).replace(day=1)


def month_calendar(
    session: Session,
    scope: Scope,
    query: DueQuery,
    year: int,
    month: int,
    clock: DueClock,
    per_day: int = ENTRIES_PER_DAY,
) -> MonthCalendar:
    """The month's due work day by day: the count (and how many overdue) per day and the first
    `per_day` entries of each. Two queries: the counts grouped by day, and the entries shown."""
    install_local_date(session)
    first = date(year, month, 1)
    span = DueRange(first, date(year, month, calendar.monthrange(year, month)[1]))
    narrow = due_union(scope, query, clock, span, detailed=False)
    counts = {
        row.due_date: (row.count, row.overdue)
        for row in session.execute(
            select(
                narrow.c.due_date,
                func.count().label("count"),
                func.sum(case((narrow.c.state == "overdue", 1), else_=0)).label("overdue"),
            ).group_by(narrow.c.due_date)
        )
    }
    entries: dict[date, list[DueRow]] = {}
    if counts:
        due = due_union(scope, query, clock, span, detailed=True)
        key = func.coalesce(due.c.schedule_id, due.c.work_order_id)
        position = (
            func.row_number()
            .over(partition_by=due.c.due_date, order_by=(due.c.source, key))
            .label("position")
        )
        numbered = select(*due.c, position).subquery("numbered")
        shown = (
            select(*(numbered.c[name] for name in DueRow.__dataclass_fields__))
            .where(numbered.c.position <= per_day)
            .order_by(numbered.c.due_date, numbered.c.position)
        )
        for row in due_rows(session, shown):
            entries.setdefault(row.due_date, []).append(row)
    weeks: list[list[CalendarDay | None]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append(
            [
                CalendarDay(
                    day=day,
                    count=counts.get(day, (0, 0))[0],
                    overdue=int(counts.get(day, (0, 0))[1] or 0),
                    entries=entries.get(day, []),
                )
                if day.month == month
                else None
                for day in week
            ]
        )
    return MonthCalendar(
        year=year,
        month=month,
        weeks=weeks,
        total=sum(count for count, _ in counts.values()),
        overdue=sum(int(overdue or 0) for _, overdue in counts.values()),
    )
