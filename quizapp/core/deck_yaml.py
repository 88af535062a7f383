"""YAML text to plain data, from PyYAML's C parser events, and where each value starts.

One walk over the parser's events is several times faster than PyYAML's compose + construct
(its composer, resolver and constructor are pure Python): the app loads every deck at start-up,
and 10,000 cards load and validate in under 0.4 of the time a bare `yaml.load` with the C
loader takes (bench/bench_decks.py). Plain
scalars that could be something other than text (numbers, booleans, null, dates) go through
PyYAML's own resolver and constructor, so the values are exactly what `yaml.safe_load` gives.

Positions are recorded on demand: the loader walks once without them (a valid deck needs
none) and walks again with `Marks` only to place a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # the C parser is an order of magnitude faster; fall back if PyYAML was built without it
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]  # the same loader, in Python

Loc = tuple[str | int, ...]


@dataclass
class Marks:
    """Where each value (and each mapping key) of the document starts."""

    values: dict[Loc, yaml.Mark] = field(default_factory=dict)
    keys: dict[Loc, yaml.Mark] = field(default_factory=dict)

    def value(self, loc: Loc) -> yaml.Mark | None:
        """The mark of the value at `loc`, or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            mark = self.values.get(loc[:end])
            if mark is not None:
                return mark
        return None

    def key(self, loc: Loc) -> yaml.Mark | None:
        return self.keys.get(loc) or self.value(loc)


class YamlProblem(Exception):
    """Something a deck may not contain (an alias, a tag, a duplicate key ...), and where."""

    def __init__(self, mark: yaml.Mark | None, message: str, loc: Loc = ()) -> None:
        super().__init__(message)
        self.mark, self.message, self.loc = mark, message, loc


class DuplicateKeys(Exception):
    """Every duplicate mapping key of the document (found when walking with marks)."""

    def __init__(self, problems: list[YamlProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class _Duplicate:
    """Stands in for a duplicate key, so that the first value stays (the data is discarded)."""

    n: int


NO_ALIASES = "YAML anchors and aliases are not supported in decks"
_STANDARD_TAGS = {None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_MAYBE_TYPED = set(_Loader.yaml_implicit_resolvers)  # first characters of non-text scalars

# Plain (unquoted, untagged) scalar text -> the value PyYAML's resolver and constructor give it.
# Keys and values repeat from card to card ("type", "tags", "medium", "0.05"): each text is
# resolved once; the values are immutable.
_PLAIN_SCALARS: dict[str, Any] = {}
_PLAIN_CACHE_SIZE = 20_000

_ScalarEvent, _AliasEvent = yaml.ScalarEvent, yaml.AliasEvent
_MappingStartEvent, _MappingEndEvent = yaml.MappingStartEvent, yaml.MappingEndEvent
_SequenceStartEvent, _SequenceEndEvent = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_DocumentStartEvent, _StreamEndEvent = yaml.DocumentStartEvent, yaml.StreamEndEvent


def parse_yaml(text: str, marks: Marks | None = None) -> Any:
    """The plain data of a one-document YAML text; with `marks`, also record positions.

    Raises `yaml.YAMLError` for invalid YAML and `YamlProblem` for what decks may not use
    (anchors, aliases, tags on collections, collections as keys, several documents, no
    document). A duplicate key is a `YamlProblem` at once without marks; with marks, the walk
    goes on and `DuplicateKeys` lists them all at the end.
    """
    loader = _Loader(text)
    get_event, maybe_typed, plain = loader.get_event, _MAYBE_TYPED, _PLAIN_SCALARS
    root: Any = None
    stack: list[tuple[Any, bool, Any, bool, Loc]] = []
    current: Any = None  # the collection being filled; None: the root comes next
    is_map = has_key = False
    key: Any = None  # the pending key of a mapping (when `has_key`)
    loc: Loc = ()  # where `current` is (kept up to date only with marks)
    documents = 0
    duplicates: list[YamlProblem] = []
    try:
        while True:
            # Any: the branches below tell the event's class by `kind is` (faster than
            # isinstance on 10,000 cards), which mypy cannot narrow on.
            event: Any = get_event()
            kind = type(event)
            if kind is _ScalarEvent:
                if event.anchor is not None:
                    raise YamlProblem(event.start_mark, NO_ALIASES)
                value = event.value
                if event.tag is not None:
                    value = _construct(loader, event)
                elif event.implicit[0] and (not value or value[0] in maybe_typed):
                    try:
                        value = plain[value]
                    except KeyError:
                        resolved = _construct(loader, event)
                        if len(plain) < _PLAIN_CACHE_SIZE:
                            plain[value] = resolved
                        value = resolved
                if current is None:
                    root = value
                    if marks is not None:
                        marks.values[()] = event.start_mark
                elif not is_map:
                    if marks is not None:
                        marks.values[(*loc, len(current))] = event.start_mark
                    current.append(value)
                elif has_key:
                    if marks is not None:
                        marks.values[(*loc, key)] = event.start_mark
                    current[key] = value
                    has_key = False
                else:
                    try:
                        seen = value in current
                    except TypeError:  # an unhashable key
                        raise YamlProblem(
                            event.start_mark, "mapping keys must be plain text", loc
                        ) from None
                    if seen:
                        if marks is None:
                            raise YamlProblem(event.start_mark, f"duplicate key {value!r}")
                        first = marks.keys.get((*loc, value))
                        where = f" (first at line {first.line + 1})" if first else ""
                        duplicates.append(
                            YamlProblem(
                                event.start_mark, f"duplicate key {value!r}{where}", (*loc, value)
                            )
                        )
                        value = _Duplicate(len(duplicates))
                    elif marks is not None:
                        marks.keys[(*loc, value)] = event.start_mark
                    key, has_key = value, True
            elif kind is _MappingStartEvent or kind is _SequenceStartEvent:
                if event.anchor is not None:
                    # Aliases allow "billion laughs" expansion; decks are plain data.
                    raise YamlProblem(event.start_mark, NO_ALIASES)
                if event.tag not in _STANDARD_TAGS:
                    raise YamlProblem(
                        event.start_mark, f"YAML tag {event.tag} is not supported in decks"
                    )
                new: Any = {} if kind is _MappingStartEvent else []
                new_loc = loc
                if current is None:
                    root = new
                    if marks is not None:
                        marks.values[()] = event.start_mark
                elif not is_map:
                    if marks is not None:
                        new_loc = (*loc, len(current))
                        marks.values[new_loc] = event.start_mark
                    current.append(new)
                elif has_key:
                    if marks is not None:
                        new_loc = (*loc, key)
                        marks.values[new_loc] = event.start_mark
                    current[key] = new
                    has_key = False
                else:
                    raise YamlProblem(event.start_mark, "mapping keys must be plain text", loc)
                stack.append((current, is_map, key, has_key, loc))
                current, is_map, has_key, loc = new, kind is _MappingStartEvent, False, new_loc
            elif kind is _MappingEndEvent or kind is _SequenceEndEvent:
                current, is_map, key, has_key, loc = stack.pop()
            elif kind is _StreamEndEvent:
                break
            elif kind is _DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlProblem(
                        event.start_mark, "a deck file holds one YAML document, not several"
                    )
            elif kind is _AliasEvent:
                raise YamlProblem(event.start_mark, NO_ALIASES)
    finally:
        loader.dispose()
    if documents == 0:
        raise YamlProblem(None, "the file is empty")
    if duplicates:
        raise DuplicateKeys(duplicates)
    return root


def _construct(loader: Any, event: Any) -> Any:
    """A scalar's value as PyYAML's safe loader gives it (the parsing loader resolves it).
    `event` is a yaml ScalarEvent from the C or the Python parser (whose marks the stubs
    type apart)."""
    value = event.value
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:
            return value  # quoted or block text is always a string
        if value and value[0] not in _MAYBE_TYPED:
            return value
        tag = loader.resolve(yaml.ScalarNode, value, (True, False))
        if tag == "tag:yaml.org,2002:str":
            return value
    node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
    return loader.construct_object(node, deep=True)
