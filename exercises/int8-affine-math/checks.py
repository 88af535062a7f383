"""Checks for int8-affine-math: the learner's quantize/dequantize/qparams against torch itself.

Every expected answer is computed by torch in the checker (`torch.quantize_per_tensor`,
`Tensor.dequantize`, `MinMaxObserver.calculate_qparams`) and never leaves it: the learner's
process gets the arguments only (in/cases.json), calls the learner's functions on them
inside `watch_calls` and records what they returned (out/<function>.json). Calling torch's
own quantization code from them fails the check.

torch computes in float32 (and multiplies by 1/scale); the learner's Python floats are
float64. The two agree except within about 1e-5 of a rounding tie, so the random cases keep
clear of ties (at least 1e-3 of a step away) and the tie cases use exactly representable
numbers (power-of-two scales), where both computations are exact.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch.ao.quantization import MinMaxObserver

from quizapp.grading.checker_context import Context
from quizapp.grading.checks import Outcome, Suite
from quizapp.grading.learner_run import Run
from quizapp.grading.measure import single_thread
from quizapp.grading.recorded_calls import (
    Case,
    as_float,
    as_int,
    as_pair,
    grade_calls,
    record_calls,
    recorded_calls,
)

SEED = 8
DTYPES = {"quint8": torch.quint8, "qint8": torch.qint8}
QSCHEMES = {"affine": torch.per_tensor_affine, "symmetric": torch.per_tensor_symmetric}
# torch's own quantization code: the learner writes this arithmetic, so it may not call it.
FORBIDDEN_MODULES = ("torch.ao.quantization", "torch.quantization", "torch.ao.ns", "torchao")
FORBIDDEN_C = r"^torch\b.*(quantiz|qparams|int_repr|q_scale|q_zero_point|qmin_qmax)"
SCALE_REL_TOL = 1e-6  # float32 (torch) vs float64 (Python) scales differ by ~1e-7
DEQUANT_REL_TOL = 1e-6
TIE_MARGIN = 1e-3  # random cases stay this far (in steps) from a .5 tie

suite = Suite()


def _qrange(dtype: str, reduce_range: bool = False) -> tuple[int, int]:
    observer = MinMaxObserver(dtype=DTYPES[dtype], reduce_range=reduce_range)
    return int(observer.quant_min), int(observer.quant_max)


def _torch_quantize(x: float, scale: float, zero_point: int, dtype: str) -> int:
    q = torch.quantize_per_tensor(torch.tensor([x]), scale, zero_point, DTYPES[dtype])
    return int(q.int_repr()[0])


def _torch_dequantize(q: int, scale: float, zero_point: int, dtype: str) -> float:
    storage = torch.tensor([q], dtype=torch.uint8 if dtype == "quint8" else torch.int8)
    quantized = torch._make_per_tensor_quantized_tensor(storage, scale, zero_point)
    return float(quantized.dequantize()[0])


def _torch_qparams(
    x_min: float, x_max: float, dtype: str, qscheme: str, reduce_range: bool
) -> tuple[float, int]:
    observer = MinMaxObserver(
        dtype=DTYPES[dtype], qscheme=QSCHEMES[qscheme], reduce_range=reduce_range
    )
    observer(torch.tensor([x_min, x_max]))
    scale, zero_point = observer.calculate_qparams()
    return float(scale[0]), int(zero_point[0])


def _near_tie(value: float) -> bool:
    return abs(value - math.floor(value) - 0.5) < TIE_MARGIN


def _nice(value: float, digits: int = 4) -> float:
    """A short decimal (readable in messages): 0.3127 rather than 0.31270000338554382."""
    return float(f"{value:.{digits}g}")


def _quantize_cases(rng: random.Random) -> list[Case]:
    cases = []
    while len(cases) < 300:
        dtype = rng.choice(list(DTYPES))
        qmin, qmax = _qrange(dtype)
        scale = _nice(10 ** rng.uniform(-3, 0.5))
        zero_point = rng.randint(qmin, qmax)
        target = rng.uniform(qmin - 0.49, qmax + 0.49) - zero_point
        x = _nice(target * scale, 5)
        if _near_tie(x / scale) or not qmin <= round(x / scale) + zero_point <= qmax:
            continue
        cases.append(
            Case((x, scale, zero_point, dtype), _torch_quantize(x, scale, zero_point, dtype))
        )
    return cases


def _clamping_cases(rng: random.Random) -> list[Case]:
    cases = []
    for dtype in DTYPES:
        qmin, qmax = _qrange(dtype)
        for zero_point in (qmin, 0 if dtype == "qint8" else 128, qmax, rng.randint(qmin, qmax)):
            for scale in (0.05, 0.5):
                for x in (
                    (qmax - zero_point + 3) * scale,  # a few steps above the top
                    (qmin - zero_point - 3) * scale,  # a few steps below the bottom
                    1000.0,
                    -1000.0,
                    (qmax - zero_point + 0.75) * scale,  # rounds past the top
                ):
                    x = _nice(x, 6)
                    cases.append(
                        Case(
                            (x, scale, zero_point, dtype),
                            _torch_quantize(x, scale, zero_point, dtype),
                        )
                    )
    return cases


def _tie_cases() -> list[Case]:
    """x / scale exactly halfway between two integers: round half to even, then add z."""
    cases = []
    for dtype, zero_points in (("quint8", (1, 0, 2, 7, 128)), ("qint8", (1, -3, 0, 4))):
        for scale in (0.125, 0.5, 2.0**-6):
            for k in (2, 1, 0, 3, 6, -1, -2, -5):
                x = (k + 0.5) * scale  # exact in binary floating point
                for zero_point in zero_points:
                    qmin, qmax = _qrange(dtype)
                    if qmin < k + zero_point < qmax:
                        expected = _torch_quantize(x, scale, zero_point, dtype)
                        cases.append(Case((x, scale, zero_point, dtype), expected))
    return cases


def _dequantize_cases(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(200):
        dtype = rng.choice(list(DTYPES))
        qmin, qmax = _qrange(dtype)
        scale = _nice(10 ** rng.uniform(-4, 0.5))
        q, zero_point = rng.randint(qmin, qmax), rng.randint(qmin, qmax)
        cases.append(Case((q, scale, zero_point), _torch_dequantize(q, scale, zero_point, dtype)))
    return cases


def _range(rng: random.Random) -> tuple[float, float]:
    kind = rng.choice(("straddles zero", "straddles zero", "positive", "negative"))
    width = 10 ** rng.uniform(-2, 2)
    if kind == "positive":
        low = rng.uniform(0, 2) * width
    elif kind == "negative":
        low = -rng.uniform(1, 3) * width
    else:
        low = -rng.uniform(0.01, 0.99) * width
    return _nice(low), _nice(low + width)


def _qparams_cases(rng: random.Random, qscheme: str, count: int) -> list[Case]:
    cases = []
    while len(cases) < count:
        dtype = rng.choice(list(DTYPES))
        reduce_range = rng.random() < 0.3
        if qscheme == "symmetric" and dtype == "quint8" and reduce_range:
            continue  # torch refuses this combination (NotImplementedError)
        x_min, x_max = _range(rng)
        qmin, qmax = _qrange(dtype, reduce_range)
        scale = (max(x_max, 0.0) - min(x_min, 0.0)) / (qmax - qmin)
        if qscheme == "affine" and _near_tie(min(x_min, 0.0) / scale):
            continue
        args = (x_min, x_max, dtype, qscheme, reduce_range)
        cases.append(Case(args, _torch_qparams(*args)))
    return cases


EDGE_CASES: list[tuple[str, tuple[Any, ...]]] = [
    ("zero range [0, 0], quint8 affine (a dead ReLU)", (0.0, 0.0, "quint8", "affine", False)),
    ("zero range [0, 0], qint8 affine", (0.0, 0.0, "qint8", "affine", False)),
    ("zero range [0, 0], qint8 symmetric", (0.0, 0.0, "qint8", "symmetric", False)),
    ("zero range [0, 0], quint8 symmetric", (0.0, 0.0, "quint8", "symmetric", False)),
    ("tiny range [-1e-6, 1e-6] (scale floored at eps)", (-1e-6, 1e-6, "quint8", "affine", False)),
    ("tiny range [-1e-6, 1e-6], qint8 symmetric", (-1e-6, 1e-6, "qint8", "symmetric", False)),
    ("all positive [0.5, 6.0] (widened to 0)", (0.5, 6.0, "quint8", "affine", False)),
    ("all positive [1.0, 3.0], qint8", (1.0, 3.0, "qint8", "affine", False)),
    ("all negative [-3.0, -1.0]", (-3.0, -1.0, "quint8", "affine", False)),
    ("all negative [-3.0, -1.0], qint8 reduce_range", (-3.0, -1.0, "qint8", "affine", True)),
    ("worked example [-1.0, 3.0]", (-1.0, 3.0, "quint8", "affine", False)),
    ("worked example [-1.0, 3.0], reduce_range", (-1.0, 3.0, "quint8", "affine", True)),
    ("[-1.0, 3.0] qint8 symmetric, reduce_range", (-1.0, 3.0, "qint8", "symmetric", True)),
    ("[-1.0, 3.0] quint8 symmetric", (-1.0, 3.0, "quint8", "symmetric", False)),
    ("zero point on a tie: min/scale = -2.5", (-0.625, 63.125, "quint8", "affine", False)),
    ("zero point on a tie: min/scale = -0.5", (-0.5, 254.5, "quint8", "affine", False)),
]


@suite.setup
def setup(ctx: Context) -> None:
    with single_thread(), warnings.catch_warnings():
        # quantize_per_tensor warns (every call) that quantized tensor creation is deprecated
        warnings.simplefilter("ignore")
        _make_cases(ctx)
    # The learner's process gets the arguments, never the answers.
    ctx.job.save_json(
        "cases",
        {
            function: [list(case.args) for group in groups for case in ctx.store[group]]
            for function, groups in CALLS.items()
        },
    )


def _make_cases(ctx: Context) -> None:
    rng = random.Random(SEED)
    ranges = [
        Case((dtype, reduce_range), _qrange(dtype, reduce_range))
        for dtype in DTYPES
        for reduce_range in (False, True)
    ]
    ctx.store.update(
        ranges=ranges,
        quantize=_quantize_cases(rng),
        clamping=_clamping_cases(rng),
        ties=_tie_cases(),
        dequantize=_dequantize_cases(rng),
        affine=_qparams_cases(rng, "affine", 200),
        symmetric=_qparams_cases(rng, "symmetric", 120),
        edges=[Case(args, _torch_qparams(*args), label) for label, args in EDGE_CASES],
    )


# Each function's calls, in this order: the groups of cases it is graded on.
CALLS = {
    "qrange": ("ranges",),
    "quantize": ("quantize", "clamping", "ties"),
    "dequantize": ("dequantize",),
    "qparams": ("affine", "symmetric", "edges"),
}


@suite.produce
def produce(run: Run) -> None:
    """The learner's process: every function on its arguments, under the call watch."""
    cases = run.job.load_json("cases")
    for function in CALLS:
        record_calls(
            run,
            function,
            [tuple(args) for args in cases[function]],
            forbidden_modules=FORBIDDEN_MODULES,
            forbidden_c=FORBIDDEN_C,
        )


# --- comparing answers ------------------------------------------------------------------


def _same_int(got: Any, expected: int) -> tuple[bool, str]:
    mine = as_int(got)
    return mine == expected, str(mine)


def _same_float(got: Any, expected: float) -> tuple[bool, str]:
    mine = as_float(got)
    ok = math.isclose(mine, expected, rel_tol=DEQUANT_REL_TOL, abs_tol=1e-12)
    return ok, f"{mine:.7g}"


def _same_qparams(got: Any, expected: tuple[float, int]) -> tuple[bool, str]:
    scale, zero_point = as_pair(got, "(scale, zero_point)")
    scale, zero_point = as_float(scale), as_int(zero_point)
    ok = (
        math.isclose(scale, expected[0], rel_tol=SCALE_REL_TOL, abs_tol=0.0)
        and zero_point == expected[1]
    )
    return ok, f"({scale:.7g}, {zero_point})"


def _show_expected(expected: Any) -> str:
    if isinstance(expected, tuple) and len(expected) == 2 and isinstance(expected[0], float):
        return f"({expected[0]:.7g}, {expected[1]})"
    if isinstance(expected, float):
        return f"{expected:.7g}"
    return str(expected)


FORBIDDEN_MESSAGE = (
    "This exercise is about writing that arithmetic yourself: plain Python, or torch "
    "arithmetic such as torch.round and torch.clamp."
)


def _grade(
    ctx: Context,
    name: str,
    group: str,
    compare: Callable[[Any, Any], tuple[bool, str]],
    what: str,
) -> Outcome:
    """The learner's recorded values of `name` for the cases of `group` against torch's."""
    cases: list[Case] = []
    offset = 0
    for other in CALLS[name]:
        if other == group:
            cases = ctx.store[group]
            break
        offset += len(ctx.store[other])
    record = recorded_calls(ctx, name)
    record["results"] = record["results"][offset : offset + len(cases)]
    return grade_calls(
        ctx,
        name,
        cases,
        compare,
        what,
        show_expected=_show_expected,
        forbidden_message="torch's own quantization code: " + FORBIDDEN_MESSAGE,
        record=record,
    )


# --- the checks -------------------------------------------------------------------------


@suite.check("integer ranges")
def integer_ranges(ctx: Context):
    def compare(got: Any, expected: tuple[int, int]) -> tuple[bool, str]:
        low, high = as_pair(got, "(qmin, qmax)")
        mine = (as_int(low), as_int(high))
        return mine == expected, str(mine)

    return _grade(ctx, "qrange", "ranges", compare, "(dtype, reduce_range) ranges")


@suite.check("quantize: in-range values")
def quantize_values(ctx: Context):
    return _grade(ctx, "quantize", "quantize", _same_int, "values")


@suite.check("quantize: clamping")
def quantize_clamping(ctx: Context):
    return _grade(ctx, "quantize", "clamping", _same_int, "out-of-range values")


@suite.check("quantize: ties round half to even")
def quantize_ties(ctx: Context):
    return _grade(ctx, "quantize", "ties", _same_int, "exact .5 ties")


@suite.check("dequantize")
def dequantize_values(ctx: Context):
    return _grade(ctx, "dequantize", "dequantize", _same_float, "values")


@suite.check("qparams: affine")
def qparams_affine(ctx: Context):
    return _grade(ctx, "qparams", "affine", _same_qparams, "random ranges")


@suite.check("qparams: symmetric")
def qparams_symmetric(ctx: Context):
    return _grade(ctx, "qparams", "symmetric", _same_qparams, "random ranges")


@suite.check("qparams: edge cases")
def qparams_edges(ctx: Context):
    return _grade(ctx, "qparams", "edges", _same_qparams, "edge cases")
