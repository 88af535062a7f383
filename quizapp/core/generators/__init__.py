"""Question generators: fresh numbers every time, answers computed as PyTorch computes them.

A generator is registered under a slug (the `generator:` of a deck card). Its `Params` model
lists the knobs a deck may pin: each knob takes one value, or a list of values to draw from.
Adding a generator means adding a module here and importing it at the bottom of this file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, PlainSerializer

from quizapp.core.models import Tolerance
from quizapp.core.units import with_unit


def _bounds(tolerance: Tolerance) -> dict[str, float]:
    bounds: dict[str, float] = tolerance.model_dump(exclude_none=True)
    return bounds


@dataclass(frozen=True)
class AnswerField:
    """One number the learner must give (e.g. the scale, or the zero point)."""

    name: str
    value: float | int  # a generator's whole number stays one in the stored question
    # Written with only the bounds it has (`{"rel": 0.01}`), as stored questions always were.
    tolerance: Annotated[Tolerance, PlainSerializer(_bounds, return_type=dict[str, float])]
    label: str = ""
    integer: bool = False
    unit: str | None = None

    def display(self) -> str:
        if self.integer:
            return str(int(self.value))
        return f"{self.value:.6g}"

    def display_with_unit(self) -> str:
        """The expected value as the learner would write it: "14 GB", "3.96x", "64"."""
        return with_unit(self.display(), self.unit)


@dataclass(frozen=True)
class GeneratedQuestion:
    prompt: str
    fields: tuple[AnswerField, ...]
    params: dict[str, Any]  # the numbers drawn, as shown to the learner
    working: str  # Markdown: the formula with the drawn numbers substituted
    answer_text: str = field(default="")

    def answer(self) -> dict[str, float | int]:
        return {f.name: (int(f.value) if f.integer else f.value) for f in self.fields}


class GeneratorParams(BaseModel):
    """Base for a generator's knobs: unknown keys are errors, like everywhere in a deck."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Generator:
    name: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[GeneratorParams]] = GeneratorParams

    def parse_params(self, raw: dict[str, Any]) -> GeneratorParams:
        return self.Params.model_validate(raw)

    # Any: each generator takes its own `Params` (what `parse_params` made of the card's).
    def generate(self, params: Any, rng: random.Random) -> GeneratedQuestion:
        raise NotImplementedError


def pick(value: Any, rng: random.Random) -> Any:
    """A knob pinned to one value gives it; a list of values gives one of them at random."""
    if isinstance(value, list | tuple):
        return rng.choice(list(value))
    return value


GENERATORS: dict[str, Generator] = {}


def register(cls: type[Generator]) -> type[Generator]:
    if cls.name in GENERATORS:
        raise ValueError(f"generator {cls.name!r} registered twice")
    GENERATORS[cls.name] = cls()
    return cls


def get_generator(name: str) -> Generator:
    try:
        return GENERATORS[name]
    except KeyError:
        known = ", ".join(sorted(GENERATORS))
        raise KeyError(f"unknown generator {name!r} (known: {known})") from None


def generate(name: str, raw_params: dict[str, Any], seed: int) -> GeneratedQuestion:
    generator = get_generator(name)
    return generator.generate(generator.parse_params(raw_params), random.Random(seed))


# Registration happens on import of each module.
from quizapp.core.generators import (  # noqa: E402,F401
    accumulator,
    dequantize,
    error,
    int4_group,
    integer_linear,
    model_size,
    mx_block,
    nf4,
    per_channel,
    qparams,
    quantize,
    reduce_range,
    requant,
    roofline,
    symmetric,
)
