"""How values are written in the JSON contracts (`--json` outputs, stored JSON), with pydantic.

A contract's shape is declared on its class's fields; the field types here say how a value
is written where Python's default is not the contract's: rounded figures, and moments in
`datetime.isoformat()` form (`+00:00`, as the contracts always wrote them, where pydantic
would write `Z`). `json_document` dumps any dataclass or model through one cached
`TypeAdapter` and `from_json_document` reads one back; `CONTRACT` makes the published schema mark every field required (the
documents always write every field, null when there is nothing).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, ConfigDict, PlainSerializer, TypeAdapter, WithJsonSchema

T = TypeVar("T")

CONTRACT = ConfigDict(json_schema_serialization_defaults_required=True)


def rounded(digits: int) -> PlainSerializer:
    """Write a float rounded to `digits` decimals (None stays null)."""
    return PlainSerializer(lambda value: round(value, digits), return_type=float)


Round1 = Annotated[float, rounded(1)]
Round4 = Annotated[float, rounded(4)]
IsoDatetime = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


# Reading stored JSON: a list that older versions wrote as null (or left out) is empty.
NoneAsEmpty = BeforeValidator(lambda value: () if value is None else value)


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def adapter(kind: type[Any]) -> TypeAdapter[Any]:
    """One TypeAdapter per class (building one costs a schema; two threads racing build two
    equal ones, which is harmless)."""
    found = _ADAPTERS.get(kind)
    if found is None:
        found = _ADAPTERS[kind] = TypeAdapter(kind)
    return found


def json_document(value: object, *, exclude_unset: bool = False) -> dict[str, Any]:
    """The JSON form of a contract's object (plain dicts, lists, numbers and strings)."""
    document: dict[str, Any] = adapter(type(value)).dump_python(
        value, mode="json", by_alias=True, exclude_unset=exclude_unset
    )
    return document


def from_json_document(kind: type[T], data: object) -> T:
    """`kind` read back from its JSON form (raises pydantic's ValidationError, a ValueError)."""
    value: T = adapter(kind).validate_python(data)
    return value
