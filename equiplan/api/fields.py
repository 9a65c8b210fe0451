"""The shape of every object the API exchanges, declared once.

A `Shape` lists the fields of one kind of object: their JSON type, whether clients may set them
(at creation only, or on update too) and how they read from the stored object. The same
declaration serialises responses (`serialise.py`), checks request bodies (`requests.py`) and
writes the schemas of the OpenAPI document (`schemas.py`), so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from equiplan.services.equipment_query import PER_PAGE_CHOICES

# "read": only in responses; "create": settable when creating; "write": on create and update;
# "input": sent when creating but not part of the object (e.g. notes for the work order).
Access = Literal["read", "create", "write", "input"]
Kind = Literal["string", "integer", "number", "boolean", "date", "date-time", "array", "object"]


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    access: Access = "write"
    nullable: bool = False
    description: str = ""
    # Allowed codes in responses, and those a client may send when that is fewer.
    enum: tuple[str, ...] | None = None
    write_enum: tuple[str, ...] | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    # The items of an array: a JSON Schema, or a Shape (a schema of its own in the document),
    # and what a client sends for them when that differs.
    items: Shape | Mapping[str, Any] | None = None
    write_items: Shape | None = None

    @property
    def writable_on_create(self) -> bool:
        return self.access in ("create", "write", "input")

    @property
    def in_responses(self) -> bool:
        return self.access != "input"

    @property
    def writable_on_update(self) -> bool:
        return self.access == "write"


@dataclass(frozen=True)
class Shape:
    """One kind of API object (the name of its schema in the OpenAPI document)."""

    name: str
    description: str
    fields: tuple[Field, ...]
    # What a create request must carry (the service checks again and says why); for objects
    # nested in another, the keys each of them always has.
    required_on_create: tuple[str, ...] = ()

    @property
    def output(self) -> tuple[Field, ...]:
        """The fields of the object as responses carry it."""
        return tuple(f for f in self.fields if f.in_responses)

    def on_create(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields if f.writable_on_create}

    def on_update(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields if f.writable_on_update}


ID = Field("id", "integer", "read", minimum=1, description="Stable identifier.")
VERSION = Field(
    "version",
    "integer",
    "read",
    minimum=1,
    description="Optimistic-locking counter: send the version you read with every change.",
)
CREATED_AT = Field("created_at", "date-time", "read")


@dataclass(frozen=True)
class QueryParam:
    """A filter (or sort option) of a list, as the OpenAPI document describes it."""

    name: str
    kind: Kind
    description: str = ""
    enum: tuple[Any, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    default: Any = None


PAGE = QueryParam("page", "integer", "Page number, from 1.", minimum=1, default=1)
PER_PAGE = QueryParam("per_page", "integer", "Items per page.", enum=PER_PAGE_CHOICES, default=50)


@dataclass(frozen=True)
class Action:
    """A change with a name of its own (decommission, close…): POST /<collection>/<id>/<name>."""

    name: str
    summary: str
    body: Shape
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Collection:
    """One collection of the API: /<path> (list, create) and /<path>/{<param>} (read, update).

    The views enforce what is declared here (their filters, their role policy) and the OpenAPI
    document is written from it; a test holds the URL map and the document to each other."""

    path: str
    param: str
    # Names in operation ids and endpoints: list_<plural>, get_<singular>, create_<singular>…
    plural: str
    singular: str
    tag: str
    item: Shape
    filters: tuple[QueryParam, ...]
    write_roles: tuple[str, ...]
    list_item: Shape | None = None  # a summary for lists, when it differs from `item`
    per_page: QueryParam = PER_PAGE
    actions: tuple[Action, ...] = ()
    description: str = ""

    @property
    def listed(self) -> Shape:
        return self.list_item or self.item
