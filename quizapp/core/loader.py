"""Load YAML decks into models, turning every problem into `path:line:col: field: message`.

The loader never raises anything but `DeckFileError` (one file) and never stops at the first
problem: pydantic reports every field error of a deck, and each is placed at the line and
column of the YAML node it is about (PyYAML's C parser keeps the marks). A valid deck costs
one walk over the YAML without positions (`core.deck_yaml`); a deck with a problem is walked
again with them, to place it.
"""

from __future__ import annotations

import difflib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from quizapp.core.deck_yaml import DuplicateKeys, Loc, Marks, YamlProblem, parse_yaml
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

DECK_SUFFIXES = (".yaml", ".yml")
CARD_MODELS: dict[str, type[BaseModel]] = {
    "flashcard": FlashCard,
    "choice": ChoiceCard,
    "numeric": NumericCard,
    "free": FreeCard,
    "generated": GeneratedCard,
}


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


class ParsedCache(Protocol):
    """The plain data of deck texts parsed before (`storage.deck_cache.ParsedDecks` keeps it).

    Parsing YAML is most of the cost of loading a deck; validating is not, and is never
    skipped: data from the cache goes through the same models and checks.
    """

    def get(self, text: str) -> Any:
        """The data parsed from this exact text before, or None."""

    def put(self, text: str, data: Any) -> None:
        """Remember the data of a text that made a valid deck."""


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


def _compose(text: str, path: str) -> tuple[Any, Marks]:
    """The data and its marks; every problem of the YAML itself is a placed DeckFileError."""
    marks = Marks()
    try:
        data = parse_yaml(text, marks)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = f"{message} ({exc.context})"
        raise DeckFileError([_place(path, mark, (), f"YAML: {message}")]) from None
    except YamlProblem as exc:
        raise DeckFileError([_place(path, exc.mark, exc.loc, exc.message)]) from None
    except DuplicateKeys as exc:
        raise DeckFileError(
            [_place(path, p.mark, p.loc, p.message) for p in exc.problems]
        ) from None
    except yaml.YAMLError as exc:
        raise DeckFileError([DeckError(path, 1, 1, "", f"YAML: {exc}")]) from None
    return data, marks


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
        if isinstance(data, dict):
            if part not in data:
                return None
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
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


def _message(err: ErrorDetails) -> str:
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
    exc: ValidationError, data: Any, marks: Marks, path: str, prefix: Loc = ()
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
    raw: bytes | str, path: str | Path = "<deck>", *, cache: ParsedCache | None = None
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


def _fast_deck(text: str, cache: ParsedCache | None = None) -> Deck | None:
    """The deck, if the file is entirely valid; None if the marked path must explain why."""
    data = cache.get(text) if cache is not None else None
    parsed = data is None
    try:
        if parsed:
            data = parse_yaml(text)
        if not isinstance(data, dict):
            return None
        deck = Deck.model_validate(data)
    except (YamlProblem, yaml.YAMLError, ValidationError, RecursionError):
        return None
    ids = [card.id for card in deck.cards]
    if len(set(ids)) != len(ids):
        return None
    for card in deck.cards:
        if isinstance(card, GeneratedCard) and _generator_problem(card.generator, card.params):
            return None
    if cache is not None and parsed:
        cache.put(text, data)
    return deck


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


def _validate(data: Any, marks: Marks, path: str) -> Deck:
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
    card: dict[str, Any], index: int, data: Any, marks: Marks, path: str
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


def load_deck_file(path: str | Path, *, cache: ParsedCache | None = None) -> Deck:
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
    sources: Iterable[str | Path], *, missing_ok: bool = False, cache: ParsedCache | None = None
) -> LoadResult:
    """Load every deck of the sources; bad files are reported and skipped, good ones load.

    `cache` (optional) skips parsing the YAML of files loaded before (the caller saves it:
    `storage.deck_cache`).
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
    return result


def _deck_id_position(path: Path) -> tuple[int, int]:
    """Line and column of the `deck:` value, for the duplicate-id error (the file parsed fine)."""
    try:
        _, marks = _compose(_decode(path.read_bytes(), str(path)), str(path))
        mark = marks.value(("deck",))
        return (mark.line + 1, mark.column + 1) if mark else (1, 1)
    except (DeckFileError, OSError):
        return 1, 1
