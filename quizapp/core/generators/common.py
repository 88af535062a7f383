"""Helpers shared by the INT8 generators: tolerances, number formatting, tie avoidance."""

from __future__ import annotations

import math
import random
from fractions import Fraction

from quizapp.core.models import Tolerance

# A learner types four or five significant digits: the worst relative error of a 4-digit
# rounding is 5e-4, so 0.2% accepts it while a 2x (or even 1%) slip is still rejected.
FLOAT = Tolerance(rel=0.002)
# Integers (zero points, stored values, counts) must be exact.
EXACT = Tolerance(abs=0)


def float_within(abs_slack: float) -> Tolerance:
    """Relative 0.2%, or an absolute slack for answers that are a difference of rounded values."""
    return Tolerance(rel=0.002, abs=abs_slack)


def sig(x: float, digits: int = 3) -> float:
    """`x` rounded to `digits` significant digits (a number an interviewer would say aloud)."""
    if x == 0:
        return 0.0
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def prompt_number(x: float) -> str:
    """A drawn number as written in a prompt (the shortest form that round-trips)."""
    if isinstance(x, int):
        return str(x)
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def show(x: float) -> str:
    """A computed answer as AnswerField.display() prints it (6 significant digits)."""
    return f"{x:.6g}"


def exact(x: float) -> Fraction:
    """The decimal number a learner reads in the prompt, as an exact fraction."""
    return Fraction(repr(float(x)))


def near_tie(value: Fraction, margin: float = 0.05) -> bool:
    """True when `value` is within `margin` of a .5 tie: a human can't call the rounding."""
    frac = value - math.floor(value)
    return abs(frac - Fraction(1, 2)) < Fraction(margin)


def draw_scale(rng: random.Random, low: float = 0.004, high: float = 0.2) -> float:
    """A scale with three significant digits, log-uniform in [low, high]."""
    return sig(math.exp(rng.uniform(math.log(low), math.log(high))), 3)


def thousands(n: int) -> str:
    return f"{n:,}"
