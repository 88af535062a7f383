"""The units a learner may type after a number, and what each card's `unit:` accepts.

A typed unit is accepted when it means the card's unit (any common spelling, any case);
a unit of the same kind but another scale ("MB" on a card in GB, "MiB" on a card in MB) is
refused with a message naming the card's unit, never converted: the exercise is knowing
which one the question asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeGuard


@dataclass(frozen=True)
class Unit:
    name: str  # as a deck writes it and as messages show it
    kind: str  # units of one kind and one scale are the same unit ("bits" = "bits/weight")
    scale: float
    spellings: frozenset[str]  # normalized (see `normalize`)


def normalize(text: str) -> str:
    """Case and spacing do not matter: "MB", "mb" and " Mb " are one spelling."""
    text = re.sub(r"\s+", " ", text.strip().lower())
    return re.sub(r"\s*/\s*", "/", text)


def _unit(name: str, kind: str, scale: float, *spellings: str) -> Unit:
    return Unit(name, kind, scale, frozenset(normalize(s) for s in (name, *spellings)))


KNOWN_UNITS: tuple[Unit, ...] = (
    # Bytes: decimal and binary prefixes are different answers.
    _unit("B", "bytes", 1, "byte", "bytes"),
    _unit("KB", "bytes", 1e3, "kilobyte", "kilobytes"),
    _unit("KiB", "bytes", 2**10, "kibibyte", "kibibytes"),
    _unit("MB", "bytes", 1e6, "megabyte", "megabytes"),
    _unit("MiB", "bytes", 2**20, "mebibyte", "mebibytes"),
    _unit("GB", "bytes", 1e9, "gigabyte", "gigabytes"),
    _unit("GiB", "bytes", 2**30, "gibibyte", "gibibytes"),
    _unit("TB", "bytes", 1e12, "terabyte", "terabytes"),
    _unit("TiB", "bytes", 2**40, "tebibyte", "tebibytes"),
    # Bits per weight: decks say "bits" or "bits/weight" for the same figure.
    _unit("bits", "bits", 1, "bit", "bits per weight", "bit per weight"),
    _unit("bits/weight", "bits", 1, "bit/weight", "bits/param", "bpw", "b/w"),
    # Percentages: a card in % or in percentage points takes either spelling.
    _unit("%", "percent", 1, "percent", "pct"),
    _unit(
        "percentage points",
        "percent",
        1,
        "percentage point",
        "pp",
        "points",
        "point",
        "pts",
        "% points",
    ),
    _unit("x", "ratio", 1, "×", "times", "fold"),
    _unit("dB", "dB", 1, "decibel", "decibels"),
    _unit("ns", "time", 1e-9, "nanosecond", "nanoseconds"),
    _unit("µs", "time", 1e-6, "us", "μs", "microsecond", "microseconds"),
    _unit("ms", "time", 1e-3, "millisecond", "milliseconds", "msec"),
    _unit("s", "time", 1, "sec", "secs", "second", "seconds"),
    _unit("min", "time", 60, "mins", "minute", "minutes"),
    _unit("h", "time", 3600, "hour", "hours", "hr", "hrs"),
    _unit("tokens/s", "throughput", 1, "token/s", "tok/s", "tokens per second", "t/s", "tps"),
)

# A card whose `unit:` is a description in parentheses ("(scale factor)", "(integer)") has
# no unit to type; a factor or ratio may still be written "4x".
_DESCRIBED_AS_RATIO = ("factor", "ratio", "times")


def find_unit(typed: str) -> Unit | None:
    """The known unit a typed spelling means, if any."""
    spelled = normalize(typed)
    return next((u for u in KNOWN_UNITS if spelled in u.spellings), None)


def is_description(unit: str | None) -> TypeGuard[str]:
    """A deck's `unit: (same units as x)` describes the number; there is nothing to type."""
    return unit is not None and unit.strip().startswith("(")


def card_unit(unit: str | None) -> Unit | None:
    """What a card's `unit:` accepts: a known unit, or one the deck made up ("images")."""
    if unit is None or not unit.strip():
        return None
    if is_description(unit):
        if any(word in unit.lower() for word in _DESCRIBED_AS_RATIO):
            return find_unit("x")
        return None
    known = find_unit(unit)
    if known is not None:
        return known
    # A count or a unit no list foresees ("images", "modules"): its name, singular or plural.
    name = normalize(unit)
    spellings = {name, name + "s", name.removesuffix("s")}
    return Unit(unit.strip(), "count:" + name.removesuffix("s"), 1, frozenset(spellings))


def unit_problem(typed: str, unit: str | None) -> str | None:
    """Why the unit typed after a number does not fit the card, or None when it does."""
    expected = card_unit(unit)
    meant = find_unit(typed)
    if expected is not None:
        if normalize(typed) in expected.spellings:
            return None
        if meant is not None and (meant.kind, meant.scale) == (expected.kind, expected.scale):
            return None
        if is_description(unit):
            return f"type just the number {unit.strip()}, without {typed.strip()!r}"
        if meant is not None:
            return f"the answer is in {expected.name}, not {meant.name}"
        return f"the answer is in {expected.name}, not {typed.strip()!r}"
    if is_description(unit):
        return f"type just the number {unit.strip()}, without {typed.strip()!r}"
    return f"this answer has no unit: type just the number, without {typed.strip()!r}"


def with_unit(number: str, unit: str | None) -> str:
    """A number written with its unit as a person would: "14 GB", "3.96x", "4.4%", "64"."""
    if not unit or is_description(unit):
        return number
    return f"{number}{'' if unit in ('%', 'x') else ' '}{unit}"
