"""What every list shares: a page of rows with the count of all matches, and the
case-insensitive substring search (wildcards typed by the user match literally)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, false, func, or_

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the count of everything that matched."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @classmethod
    def of(cls, rows: list[T], page: int, per_page: int) -> Page[T]:
        """A page of rows already in memory; a page past the last is the last."""
        whole = cls(items=[], total=len(rows), page=1, per_page=per_page)
        page = min(max(page, 1), whole.pages)
        return cls(rows[(page - 1) * per_page : page * per_page], len(rows), page, per_page)


def page_or_last(fetch: Callable[..., Page[T]], page: int) -> Page[T]:
    """`fetch(page=page)`, or the last page when `page` lies past it (a list that shrank,
    an edited URL): the reader sees rows and the pager, not an empty list."""
    found = fetch(page=page)
    if not found.items and found.total:
        found = fetch(page=found.pages)
    return found


def contains_text(term: str, *columns: Any) -> ColumnElement[bool]:
    """Any of `columns` contains `term`, ignoring case (`%`, `_` and `\\` taken literally).

    `lower(column) LIKE` is what the trigram indexes of migration 0003 serve on PostgreSQL.
    """
    if "\x00" in term:
        # No stored text holds NUL (PostgreSQL refuses it in text, and so do our parsers);
        # sent as a pattern, PostgreSQL would fail the whole query instead of finding nothing.
        return false()
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(*(func.lower(column).like(f"%{escaped}%", escape="\\") for column in columns))
