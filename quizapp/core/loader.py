"""Load YAML decks into models, turning every problem into `path:line:col: field: message`.

The loader never raises anything but `DeckFileError` (one file) and never stops at the first
problem: pydantic reports every field error of a deck, and each is placed at the line and
column of the YAML node it is about (PyYAML's C parser keeps the marks).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from quizapp.core.generators import GENERATORS
from quizapp.core.models import (
    CARD_TYPES,
    ChoiceCard,
    Deck,
    FlashCard,
    FreeCard,
    GeneratedCard,
    NumericCard,
    Tolerance,
)

try:  # the C parser is an order of magnitude faster; fall back if PyYAML was built without it
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

DECK_SUFFIXES = (".yaml", ".yml")
CARD_MODELS: dict[str, type[BaseModel]] = {
    "flashcard": FlashCard,
    "choice": ChoiceCard,
    "numeric": NumericCard,
    "free": FreeCard,
    "generated": GeneratedCard,
}

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class DeckError:
    """One problem in one deck file, placed like a compiler error (1-based line and column)."""

    path: str
    line: int | None
    col: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}:{self.col}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class DeckFileError(Exception):
    """A deck file could not be loaded; `errors` holds every problem found in it."""

    def __init__(self, errors: Sequence[DeckError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = list(errors)


@dataclass
class LoadResult:
    decks: list[Deck] = field(default_factory=list)
    errors: list[DeckError] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def deck(self, deck_id: str) -> Deck:
        for deck in self.decks:
            if deck.deck == deck_id:
                return deck
        raise KeyError(deck_id)

    @property
    def failed_files(self) -> list[str]:
        return sorted({e.path for e in self.errors})


def format_loc(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class _Marks:
    """Where each value (and each mapping key) of the document starts."""

    values: dict[Loc, yaml.Mark] = field(default_factory=dict)
    keys: dict[Loc, yaml.Mark] = field(default_factory=dict)

    def value(self, loc: Loc) -> yaml.Mark | None:
        for end in range(len(loc), -1, -1):
            mark = self.values.get(loc[:end])
            if mark is not None:
                return mark
        return None

    def key(self, loc: Loc) -> yaml.Mark | None:
        return self.keys.get(loc) or self.value(loc)


class _Problem(Exception):
    def __init__(self, mark: yaml.Mark | None, message: str, loc: Loc = ()) -> None:
        super().__init__(message)
        self.mark, self.message, self.loc = mark, message, loc


_STANDARD_TAGS = {None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass
class _Frame:
    container: dict[Any, Any] | list[Any]
    loc: Loc
    key: Any = None  # the pending key of a mapping (None: the next scalar is a key)
    has_key: bool = False
    discard: bool = False  # the value of a duplicate key: parsed, not stored


class _Builder:
    """Builds plain data from PyYAML's C parser events, recording where each value starts.

    One pass over the events is several times faster than PyYAML's compose + construct (its
    resolver and constructor are pure Python), which matters for large decks. Plain scalars
    that could be something other than text (numbers, booleans, null, dates) go through
    PyYAML's own resolver and constructor, so the values are exactly what `yaml.safe_load`
    gives.
    """

    def __init__(self) -> None:
        self.marks = _Marks()
        self.problems: list[_Problem] = []
        self.root: Any = None
        self.documents = 0
        self._stack: list[_Frame] = []
        self._resolver = _Loader("")
        self._constructor = yaml.constructor.SafeConstructor()
        self._maybe_typed = set(self._resolver.yaml_implicit_resolvers)
        self._dups = 0

    def build(self, text: str) -> Any:
        for event in yaml.parse(text, Loader=_Loader):
            kind = type(event)
            if kind is yaml.ScalarEvent:
                self._check_anchor(event)
                self._add(self._scalar(event), event.start_mark, container=False)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self._check_anchor(event)
                if event.tag not in _STANDARD_TAGS:
                    raise _Problem(
                        event.start_mark, f"YAML tag {event.tag} is not supported in decks"
                    )
                container: dict[Any, Any] | list[Any] = {} if kind is yaml.MappingStartEvent else []
                loc = self._add(container, event.start_mark, container=True)
                discard = bool(self._stack) and self._stack[-1].discard or loc is None
                self._stack.append(_Frame(container, loc or (), discard=discard))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self._stack.pop()
            elif kind is yaml.AliasEvent:
                raise _Problem(event.start_mark, _NO_ALIASES)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise _Problem(
                        event.start_mark, "a deck file holds one YAML document, not several"
                    )
        return self.root

    def build_fast(self, text: str) -> Any:
        """The same data as `build`, without recording marks: the path for valid decks.

        Anything unusual (an anchor, a duplicate key, a tag, several documents) raises
        `_NeedMarks`, and the caller parses again with `build` to place the problem.
        """
        loader = _Loader(text)
        get_event, maybe_typed, plain = loader.get_event, self._maybe_typed, _PLAIN_SCALARS
        root: Any = None
        stack: list[tuple[Any, bool, Any, bool]] = []
        current: Any = None
        is_map = has_key = False
        key: Any = None
        documents = 0
        try:
            while True:
                event = get_event()
                kind = type(event)
                if kind is _ScalarEvent:
                    if event.anchor is not None:
                        raise _NeedMarks
                    value = event.value
                    if event.tag is not None:
                        value = self._scalar(event)
                    elif event.implicit[0] and (not value or value[0] in maybe_typed):
                        # Keys and values repeat from card to card ("type", "tags", "medium",
                        # "0.05"): resolve each text once; the results are immutable.
                        try:
                            value = plain[value]
                        except KeyError:
                            resolved = self._scalar(event)
                            if len(plain) < _PLAIN_CACHE_SIZE:
                                plain[value] = resolved
                            value = resolved
                    if current is None:
                        root = value
                    elif not is_map:
                        current.append(value)
                    elif has_key:
                        current[key] = value
                        has_key = False
                    elif value in current:
                        raise _NeedMarks
                    else:
                        key, has_key = value, True
                elif kind is _MappingStartEvent or kind is _SequenceStartEvent:
                    if event.anchor is not None or event.tag not in _STANDARD_TAGS:
                        raise _NeedMarks
                    new: Any = {} if kind is _MappingStartEvent else []
                    if current is None:
                        root = new
                    elif not is_map:
                        current.append(new)
                    elif has_key:
                        current[key] = new
                        has_key = False
                    else:
                        raise _NeedMarks  # a mapping or list used as a key
                    stack.append((current, is_map, key, has_key))
                    current, is_map, has_key = new, kind is _MappingStartEvent, False
                elif kind is _MappingEndEvent or kind is _SequenceEndEvent:
                    current, is_map, key, has_key = stack.pop()
                elif kind is _StreamEndEvent:
                    break
                elif kind is _DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise _NeedMarks
                elif kind is _AliasEvent:
                    raise _NeedMarks
        finally:
            loader.dispose()
        if documents == 0:
            raise _NeedMarks
        return root

    def _check_anchor(self, event: Any) -> None:
        if event.anchor is not None:
            # Aliases allow "billion laughs" expansion; decks are plain data.
            raise _Problem(event.start_mark, _NO_ALIASES)

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        value = event.value
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return value  # quoted or block text is always a string
            if value and value[0] not in self._maybe_typed:
                return value
            tag = self._resolver.resolve(yaml.ScalarNode, value, (True, False))
            if tag == "tag:yaml.org,2002:str":
                return value
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        return self._constructor.construct_object(node, deep=True)

    def _add(self, value: Any, mark: yaml.Mark, *, container: bool) -> Loc | None:
        """Attach a value to its parent; return its location (None for discarded values)."""
        if not self._stack:
            self.root = value
            self.marks.values[()] = mark
            return ()
        frame = self._stack[-1]
        if isinstance(frame.container, list):
            loc = (*frame.loc, len(frame.container))
            frame.container.append(value)
        elif not frame.has_key:
            if container:
                raise _Problem(mark, "mapping keys must be plain text", frame.loc)
            try:
                hash(value)
            except TypeError:
                raise _Problem(mark, "mapping keys must be plain text", frame.loc) from None
            frame.key, frame.has_key = value, True
            if value in frame.container:
                first = self.marks.keys.get((*frame.loc, value))
                where = f" (first at line {first.line + 1})" if first else ""
                self.problems.append(
                    _Problem(mark, f"duplicate key {value!r}{where}", (*frame.loc, value))
                )
                frame.key = _Duplicate(self._dups)
                self._dups += 1
            else:
                self.marks.keys[(*frame.loc, value)] = mark
            return None
        else:
            key = frame.key
            frame.key, frame.has_key = None, False
            if isinstance(key, _Duplicate) or frame.discard:
                return None
            loc = (*frame.loc, key)
            frame.container[key] = value  # type: ignore[index]
        if frame.discard:
            return None
        self.marks.values[loc] = mark
        return loc


@dataclass(frozen=True)
class _Duplicate:
    n: int


# Plain (unquoted, untagged) scalar text -> the value PyYAML's resolver and constructor give it.
_PLAIN_SCALARS: dict[str, Any] = {}
_PLAIN_CACHE_SIZE = 20_000

_NO_ALIASES = "YAML anchors and aliases are not supported in decks"
_ScalarEvent, _AliasEvent = yaml.ScalarEvent, yaml.AliasEvent
_MappingStartEvent, _MappingEndEvent = yaml.MappingStartEvent, yaml.MappingEndEvent
_SequenceStartEvent, _SequenceEndEvent = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_DocumentStartEvent, _StreamEndEvent = yaml.DocumentStartEvent, yaml.StreamEndEvent


class _NeedMarks(Exception):
    """The fast path met something it leaves to the marked path."""


def _decode(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise DeckFileError(
            [DeckError(path, line, col, "", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})")]
        ) from None


def _compose(text: str, path: str) -> tuple[Any, _Marks]:
    builder = _Builder()
    try:
        data = builder.build(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = f"{message} ({exc.context})"
        raise DeckFileError([_place(path, mark, (), f"YAML: {message}")]) from None
    except _Problem as exc:
        raise DeckFileError([_place(path, exc.mark, exc.loc, exc.message)]) from None
    except yaml.YAMLError as exc:
        raise DeckFileError([DeckError(path, 1, 1, "", f"YAML: {exc}")]) from None
    if builder.documents == 0 or (data is None and not builder.marks.values):
        raise DeckFileError([DeckError(path, 1, 1, "", "the file is empty")])
    if builder.problems:
        raise DeckFileError([_place(path, p.mark, p.loc, p.message) for p in builder.problems])
    return data, builder.marks


def _place(path: str, mark: yaml.Mark | None, loc: Loc, message: str) -> DeckError:
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    return DeckError(path, line, col, format_loc(loc), message)


def _model_at(data: Any, loc: Loc) -> type[BaseModel] | None:
    """The model whose fields live at `loc` (to suggest a key for a misspelt one)."""
    if loc == ():
        return Deck
    if len(loc) == 2 and loc[0] == "cards":
        card = _get(data, loc)
        if isinstance(card, dict):
            return CARD_MODELS.get(str(card.get("type")))
    if len(loc) == 3 and loc[0] == "cards" and loc[2] == "tolerance":
        return Tolerance
    if len(loc) == 3 and loc[0] == "cards" and loc[2] == "params":
        card = _get(data, loc[:2])
        gen = GENERATORS.get(str(card.get("generator"))) if isinstance(card, dict) else None
        return gen.Params if gen else None
    return None


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        if (
            isinstance(data, dict)
            and part in data
            or isinstance(data, list)
            and isinstance(part, int)
            and 0 <= part < len(data)
        ):
            data = data[part]
        else:
            return None
    return data


def _clean_loc(data: Any, loc: Sequence[Any]) -> tuple[Loc, bool]:
    """Drop pydantic's union-member segments; report whether the location exists in the data."""
    clean: list[str | int] = []
    current = data
    for part in loc:
        if (
            isinstance(current, dict)
            and part in current
            or isinstance(current, list)
            and isinstance(part, int)
            and 0 <= part < len(current)
        ):
            clean.append(part)
            current = current[part]
        elif isinstance(part, str) and (part in CARD_TYPES or "[" in part or part in _TYPE_NAMES):
            continue  # a discriminator tag or union member name, not a key of the file
        else:
            clean.append(part)
            return tuple(clean), False
    return tuple(clean), True


_TYPE_NAMES = {"int", "float", "str", "bool", "list", "dict", "literal", "none"}


def _message(err: dict[str, Any]) -> str:
    msg: str = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if msg.startswith("Input should be"):
        msg = "should be" + msg[len("Input should be") :]
    if err["type"] == "string_pattern_mismatch":
        msg = "should be a lowercase slug (letters, digits, '-' or '_'), e.g. why-calibrate"
    return msg


def _validation_errors(
    exc: ValidationError, data: Any, marks: _Marks, path: str, prefix: Loc = ()
) -> list[DeckError]:
    by_loc: dict[Loc, list[str]] = {}
    mark_at: dict[Loc, yaml.Mark | None] = {}
    for err in exc.errors():
        loc, exists = _clean_loc(_get(data, prefix) if prefix else data, err["loc"])
        message = _message(err)
        if ":" in message and err["type"] == "value_error":
            head, _, rest = message.partition(": ")
            if head.isidentifier():  # "answer: index 4 is out of range" -> field cards[3].answer
                loc, message = (*loc, head), rest
        full = (*prefix, *loc)
        if err["type"] == "extra_forbidden":
            model = _model_at(data, full[:-1])
            message = "unknown key"
            if model is not None:
                allowed = list(model.model_fields)
                close = difflib.get_close_matches(str(full[-1]), allowed, n=1)
                message += (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else f" (allowed: {', '.join(allowed)})"
                )
            mark = marks.key(full)
        elif err["type"] == "missing":
            message = "required key is missing"
            mark = marks.value(full[:-1])
        elif err["type"] == "union_tag_invalid":
            message = f"unknown card type; use one of {', '.join(CARD_TYPES)}"
            full = (*full, "type")
            mark = marks.value(full)
        elif err["type"] == "union_tag_not_found":
            message = f"required key 'type' is missing (one of {', '.join(CARD_TYPES)})"
            mark = marks.value(full)
        else:
            mark = marks.value(full) if exists else marks.value(full[:-1])
        by_loc.setdefault(full, [])
        if message not in by_loc[full]:
            by_loc[full].append(message)
        mark_at.setdefault(full, mark)
    return [
        _place(
            path, mark_at[loc], loc, "; or ".join(messages) if len(messages) > 1 else messages[0]
        )
        for loc, messages in by_loc.items()
    ]


def parse_deck(
    raw: bytes | str, path: str | Path = "<deck>", *, cache: ParsedDecks | None = None
) -> Deck:
    """Parse one deck file's content. Raises DeckFileError, and nothing else.

    With a `cache`, the YAML parse of content seen before is skipped (never the validation).
    """
    path = str(path)
    try:
        text = _decode(raw, path) if isinstance(raw, bytes) else raw
        deck = _fast_deck(text, cache)
        if deck is None:  # something is wrong: parse again, keeping marks to place it
            data, marks = _compose(text, path)
            deck = _validate(data, marks, path)
        deck._path = path
        return deck
    except DeckFileError:
        raise
    except Exception as exc:  # a bug of ours must not become a traceback for the deck author
        raise DeckFileError([DeckError(path, 1, 1, "", f"could not be loaded: {exc!r}")]) from None


def _fast_deck(text: str, cache: ParsedDecks | None = None) -> Deck | None:
    """The deck, if the file is entirely valid; None if the marked path must explain why."""
    key = cache.key(text) if cache is not None else ""
    data = cache.get(key) if cache is not None else None
    parsed = data is None
    try:
        if parsed:
            data = _Builder().build_fast(text)
        if not isinstance(data, dict):
            return None
        deck = Deck.model_validate(data)
    except (_NeedMarks, yaml.YAMLError, ValidationError, RecursionError):
        return None
    ids = [card.id for card in deck.cards]
    if len(set(ids)) != len(ids):
        return None
    for card in deck.cards:
        if isinstance(card, GeneratedCard) and _generator_problem(card.generator, card.params):
            return None
    if cache is not None and parsed:
        cache.put(key, data)
    return deck


class ParsedDecks:
    """The plain data of valid deck files parsed before, by a hash of their text (a JSON file).

    Parsing YAML is most of the cost of loading a deck; validating is not, and is never
    skipped: a deck read from here goes through the same pydantic models and checks. Data that
    JSON would not give back exactly (dates, non-text keys) is simply not kept. Any problem
    with the file (missing, corrupt, another version) means parsing again, never an error.
    """

    VERSION = f"1 pyyaml-{yaml.__version__}"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stored: dict[str, Any] = {}
        self._used: dict[str, Any] = {}
        self._changed = False
        try:
            document = json.loads(path.read_bytes())
            if isinstance(document, dict) and document.get("version") == self.VERSION:
                decks = document.get("decks")
                self._stored = decks if isinstance(decks, dict) else {}
        except (OSError, ValueError):
            pass

    @staticmethod
    def key(text: str) -> str:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def get(self, key: str) -> Any:
        data = self._stored.get(key)
        if data is not None:
            self._used[key] = data
        return data

    def put(self, key: str, data: Any) -> None:
        try:
            exact = json.loads(json.dumps(data)) == data
        except (TypeError, ValueError, RecursionError):
            exact = False
        if exact:
            self._used[key] = data
            self._changed = True

    def save(self) -> None:
        """Keep the files of this load only; write if anything changed."""
        if not self._changed and self._used.keys() == self._stored.keys():
            return
        document = {"version": self.VERSION, "decks": self._used}
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(document))
            os.replace(temporary, self.path)
        except OSError:
            temporary.unlink(missing_ok=True)


def _generator_problem(name: str, params: dict[str, Any]) -> str | None:
    """Why these params cannot generate a question (None: they can). Cached: decks repeat them."""
    try:
        key = json.dumps(params, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return "params must be plain values"
    return _generator_problem_cached(name, key)


@lru_cache(maxsize=1024)
def _generator_problem_cached(name: str, params_json: str) -> str | None:
    generator = GENERATORS.get(name)
    if generator is None:
        return "unknown generator"
    try:
        generator.generate(generator.parse_params(json.loads(params_json)), random.Random(0))
    except Exception as exc:
        return str(exc)
    return None


def _validate(data: Any, marks: _Marks, path: str) -> Deck:
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise DeckFileError(
            [
                _place(
                    path,
                    marks.value(()),
                    (),
                    f"the top level must be a mapping with deck, title and cards, not {kind}",
                )
            ]
        )
    errors: list[DeckError] = []
    deck: Deck | None = None
    try:
        deck = Deck.model_validate(data)
    except ValidationError as exc:
        errors.extend(_validation_errors(exc, data, marks, path))

    cards = data.get("cards")
    if isinstance(cards, list):
        seen: dict[str, int] = {}
        for index, card in enumerate(cards):
            if not isinstance(card, dict):
                continue
            card_id = card.get("id")
            if isinstance(card_id, str):
                if card_id in seen:
                    first = marks.value(("cards", seen[card_id], "id"))
                    where = f" (first at line {first.line + 1})" if first else ""
                    errors.append(
                        _place(
                            path,
                            marks.value(("cards", index, "id")),
                            ("cards", index, "id"),
                            f"duplicate card id {card_id!r}{where}",
                        )
                    )
                else:
                    seen[card_id] = index
            if card.get("type") == "generated":
                errors.extend(_check_generator(card, index, data, marks, path))
    if errors:
        errors.sort(key=lambda e: (e.line or 0, e.col or 0))
        raise DeckFileError(errors)
    assert deck is not None
    return deck


def _check_generator(
    card: dict[str, Any], index: int, data: Any, marks: _Marks, path: str
) -> list[DeckError]:
    name = card.get("generator")
    if not isinstance(name, str):
        return []  # pydantic already reported it
    generator = GENERATORS.get(name)
    if generator is None:
        known = ", ".join(sorted(GENERATORS))
        close = difflib.get_close_matches(name, list(GENERATORS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (known: {known})"
        loc: Loc = ("cards", index, "generator")
        return [_place(path, marks.value(loc), loc, f"unknown generator {name!r}{hint}")]
    params = card.get("params", {})
    if not isinstance(params, dict):
        return []
    try:
        parsed = generator.parse_params(params)
        generator.generate(parsed, random.Random(0))  # params that validate must also generate
    except ValidationError as exc:
        return _validation_errors(exc, data, marks, path, prefix=("cards", index, "params"))
    except Exception as exc:
        loc = ("cards", index, "params")
        return [
            _place(path, marks.value(loc), loc, f"these params cannot generate a question: {exc}")
        ]
    return []


def load_deck_file(path: str | Path, *, cache: ParsedDecks | None = None) -> Deck:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DeckFileError(
            [DeckError(str(path), None, None, "", exc.strerror or str(exc))]
        ) from None
    return parse_deck(raw, path, cache=cache)


def deck_files(
    sources: Iterable[str | Path], *, missing_ok: bool = False
) -> tuple[list[Path], list[DeckError]]:
    """Expand folders into their deck files (recursively, sorted); report missing sources."""
    files: list[Path] = []
    errors: list[DeckError] = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            files.extend(
                sorted(p for p in source.rglob("*") if p.suffix in DECK_SUFFIXES and p.is_file())
            )
        elif source.is_file():
            files.append(source)
        elif not missing_ok:
            errors.append(DeckError(str(source), None, None, "", "no such file or directory"))
    unique = list(dict.fromkeys(files))
    return unique, errors


def load_decks(
    sources: Iterable[str | Path], *, missing_ok: bool = False, cache: ParsedDecks | None = None
) -> LoadResult:
    """Load every deck of the sources; bad files are reported and skipped, good ones load.

    `cache` (optional) skips parsing the YAML of files loaded before; it is saved at the end.
    """
    files, errors = deck_files(sources, missing_ok=missing_ok)
    result = LoadResult(files=files, errors=errors)
    owner: dict[str, Deck] = {}
    for path in files:
        try:
            deck = load_deck_file(path, cache=cache)
        except DeckFileError as exc:
            result.errors.extend(exc.errors)
            continue
        if deck.deck in owner:
            result.errors.append(
                DeckError(
                    str(path),
                    *_deck_id_position(path),
                    "deck",
                    f"duplicate deck id {deck.deck!r} (also in {owner[deck.deck].path})",
                )
            )
            continue
        owner[deck.deck] = deck
        result.decks.append(deck)
    if cache is not None:
        cache.save()
    return result


def _deck_id_position(path: Path) -> tuple[int, int]:
    """Line and column of the `deck:` value, for the duplicate-id error (the file parsed fine)."""
    try:
        _, marks = _compose(_decode(path.read_bytes(), str(path)), str(path))
        mark = marks.value(("deck",))
        return (mark.line + 1, mark.column + 1) if mark else (1, 1)
    except (DeckFileError, OSError):
        return 1, 1
