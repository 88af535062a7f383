"""absmax-int8-numpy, the NumPy whiteboard drill, graded through the real runner: the starter
fails saying what is missing, the reference solution passes, and each classic whiteboard
mistake fails the check about it, with the message that names it.

The checker's own inputs are checked too (random values clear of ties, tie arrays exact), and
the reference solution is compared with torch beyond the grader's seeded arrays.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from grading.grading_support import by_name, grade_all
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import GradeResult

EXERCISE = "absmax-int8-numpy"

CHECKS = [
    "quantize: scale = absmax / 127",
    "quantize: codes are int8",
    "quantize: codes match torch",
    "quantize: ties round half to even",
    "quantize: saturates at -127 and 127",
    "quantize: all-zero input",
    "quantize: NaN, inf and a bad scale raise ValueError",
    "dequantize: float32 as torch",
    "round trip within scale / 2",
]

# A correct answer the mistakes below are variations of (one mistake each).
_CORRECT = """
    import numpy as np

    def _checked(x, scale):
        if not np.isfinite(x).all():
            raise ValueError("x must be finite (no NaN or inf)")
        if scale is not None and not (np.isfinite(scale) and scale > 0):
            raise ValueError("scale must be positive and finite")

    def _scale(x, scale, levels=127):
        if scale is not None:
            return float(scale)
        absmax = float(np.abs(x).max())
        return absmax / levels if absmax > 0 else 1.0

    def dequantize(q, scale):
        return q.astype(np.float32) * np.float32(scale)
"""

MISTAKES = {
    "truncation": """
        def quantize(x, scale=None):
            _checked(x, scale)
            s = _scale(x, scale)
            return np.clip(x / s, -127, 127).astype(np.int8), s
    """,
    "half up": """
        def quantize(x, scale=None):
            _checked(x, scale)
            s = _scale(x, scale)
            return np.clip(np.floor(x / s + 0.5), -127, 127).astype(np.int8), s
    """,
    "divides by 128": """
        def quantize(x, scale=None):
            _checked(x, scale)
            s = _scale(x, scale, 128)
            return np.clip(np.rint(x / s), -128, 127).astype(np.int8), s
    """,
    "divides by 255": """
        def quantize(x, scale=None):
            _checked(x, scale)
            s = _scale(x, scale, 255)
            return np.clip(np.rint(x / s), -127, 127).astype(np.int8), s
    """,
    "no clamp": """
        def quantize(x, scale=None):
            _checked(x, scale)
            s = _scale(x, scale)
            return np.rint(x / s).astype(np.int8), s
    """,
    "int32 codes": """
        def quantize(x, scale=None):
            _checked(x, scale)
            s = _scale(x, scale)
            return np.clip(np.rint(x / s), -127, 127).astype(np.int32), s
    """,
    "zero scale": """
        def quantize(x, scale=None):
            _checked(x, scale)
            s = float(np.abs(x).max()) / 127 if scale is None else float(scale)
            return np.clip(np.rint(x / s), -127, 127).astype(np.int8), s
    """,
    "no finite check": """
        def quantize(x, scale=None):
            s = _scale(x, scale)
            return np.clip(np.rint(x / s), -127, 127).astype(np.int8), s
    """,
    "float64 dequantize": """
        def quantize(x, scale=None):
            _checked(x, scale)
            s = _scale(x, scale)
            return np.clip(np.rint(x / s), -127, 127).astype(np.int8), s

        def dequantize(q, scale):
            return q * scale
    """,
    "swapped pair": """
        def quantize(x, scale=None):
            _checked(x, scale)
            s = _scale(x, scale)
            return s, np.clip(np.rint(x / s), -127, 127).astype(np.int8)
    """,
    "torch's quantize": """
        import torch

        def quantize(x, scale=None):
            _checked(x, scale)
            s = _scale(x, scale)
            stored = torch.quantize_per_tensor(torch.from_numpy(x), s, 0, torch.qint8)
            return stored.int_repr().clamp(-127, 127).numpy(), s
    """,
}

# The checks each mistake fails (all the others pass), and what the first one's message says.
FAILS = {
    "truncation": (
        [
            "quantize: codes match torch",
            "quantize: ties round half to even",
            "quantize: saturates at -127 and 127",
            "round trip within scale / 2",
        ],
        "Looks like truncation toward zero (astype(np.int8) drops the fraction",
    ),
    "half up": (
        ["quantize: ties round half to even"],
        "Looks like round half up (np.floor(x / scale + 0.5))",
    ),
    "divides by 128": (
        [
            "quantize: scale = absmax / 127",
            "quantize: codes match torch",
            "quantize: ties round half to even",
            "quantize: saturates at -127 and 127",
            "round trip within scale / 2",
        ],
        "Absmax / 128: then +absmax needs code 128, which int8 cannot hold.",
    ),
    "divides by 255": (
        [
            "quantize: scale = absmax / 127",
            "quantize: codes match torch",
            "quantize: ties round half to even",
            "quantize: saturates at -127 and 127",
            "round trip within scale / 2",
        ],
        "Absmax / 255: 255 steps is the asymmetric uint8 range",
    ),
    "no clamp": (
        ["quantize: saturates at -127 and 127"],
        "clip to [-127, 127] before the cast (np.clip)",
    ),
    "int32 codes": (
        ["quantize: codes are int8"],
        "Int32 codes take 4 bytes each",
    ),
    "zero scale": (
        ["quantize: all-zero input"],
        "your scale is 0.0\nAbsmax is 0 here, and absmax / 127 = 0 makes x / scale 0 / 0 = NaN",
    ),
    "no finite check": (
        ["quantize: NaN, inf and a bad scale raise ValueError"],
        "x with a NaN: returned instead of raising\nA NaN or inf makes absmax",
    ),
    "float64 dequantize": (
        ["dequantize: float32 as torch"],
        "yours are float64\nAn int8 array times a Python float is float64 in NumPy",
    ),
    "swapped pair": (
        [name for name in CHECKS if name.startswith("quantize") and "ValueError" not in name]
        + ["round trip within scale / 2"],
        "the codes: a float, not a NumPy array (the pair is (codes, scale), in that order)",
    ),
    "torch's quantize": (
        [name for name in CHECKS if name != "dequantize: float32 as torch"],
        "quantize() called torch.",
    ),
}

pytestmark = pytest.mark.grading


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GradeResult]:
    """The starter, the solution and every mistake, graded once each."""
    exercise = load_catalogue().get(EXERCISE)
    folder = tmp_path_factory.mktemp("absmax-learners")
    jobs: dict[str, tuple[str, Path]] = {
        "starter": (EXERCISE, exercise.starter),
        "solution": (EXERCISE, exercise.solution),
    }
    for name, source in MISTAKES.items():
        stem = name.replace(" ", "_").replace("'", "")
        path = folder / f"{stem}.py"
        path.write_text(textwrap.dedent(_CORRECT).lstrip() + "\n" + textwrap.dedent(source))
        jobs[name] = (EXERCISE, path)
    home = tmp_path_factory.mktemp("absmax-home")
    return grade_all(jobs, home, timeout=120)


def test_the_solution_passes_every_check(graded) -> None:
    solution = graded["solution"]
    assert solution.status == "pass", (solution.message, solution.output)
    assert [c.name for c in solution.checks] == CHECKS
    assert solution.score == solution.max_score == len(CHECKS)
    assert all(c.status == "pass" and c.threshold for c in solution.checks)
    assert solution.output == ""  # no NumPy warning, nothing printed
    checks = by_name(solution)
    assert checks["quantize: codes match torch"].measured == "48/48"
    # The tie arrays are exact: their .5 ties come back exactly half a step off.
    assert 0.5 - 1e-6 <= checks["round trip within scale / 2"].measured <= 0.5 + 1e-4


def test_the_starter_fails_saying_what_is_missing(graded) -> None:
    starter = graded["starter"]
    assert starter.status == "fail" and starter.score == 0
    assert [c.name for c in starter.checks] == CHECKS
    for check in starter.checks:
        assert check.status == "fail"
        assert "is not implemented yet (it raised NotImplementedError)." in check.message
    assert by_name(starter)["dequantize: float32 as torch"].message.startswith("dequantize()")


def test_only_the_round_trip_is_a_figure_and_lower_is_better(graded) -> None:
    checks = graded["solution"].to_json()["checks"]
    directions = {c["name"]: c["direction"] for c in checks if c["direction"] is not None}
    assert directions == {"round trip within scale / 2": "lower"}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_each_mistake_fails_its_check_with_the_teaching_message(graded, mistake: str) -> None:
    result = graded[mistake]
    failing, says = FAILS[mistake]
    assert result.status == "fail", (result.message, result.output)
    assert [c.name for c in result.checks if c.status != "pass"] == failing
    first = by_name(result)[failing[0]]
    assert says in first.message, first.message


def test_a_wrapped_code_is_reported_with_the_value_it_became(graded) -> None:
    saturation = by_name(graded["no clamp"])["quantize: saturates at -127 and 127"]
    # 8.0 at scale 2**-4 is code 128: whatever the cast made of it, it is not torch's 127.
    assert "x[0] = 8 (x / scale = 128): yours " in saturation.message
    assert "torch 127" in saturation.message
    assert saturation.measured == "2/4"


# --- the checker's inputs -------------------------------------------------------------------


@functools.cache
def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@functools.cache
def _checks() -> ModuleType:
    return _module(load_catalogue().get(EXERCISE).checks, "absmax_checks")


@functools.cache
def _solution() -> ModuleType:
    return _module(load_catalogue().get(EXERCISE).solution, "absmax_solution")


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_random_arrays_keep_clear_of_ties_and_the_tie_arrays_are_exact() -> None:
    checks = _checks()
    cases = checks._random_cases(np.random.default_rng(checks.SEED))
    assert len(cases) == checks.RANDOM_ARRAYS
    for case in cases:
        steps = case.x.astype(np.float64) / checks.absmax_scale(case.x)
        fraction = np.abs(steps) - np.floor(np.abs(steps))
        assert np.all(np.abs(fraction - 0.5) >= checks.TIE_MARGIN), case.label
        assert case.x.dtype == np.float32
        assert np.abs(case.codes).max() == 127  # the absmax value itself
    for case in checks._tie_cases():
        steps = case.x.astype(np.float64) / case.expected_scale
        assert np.all((steps[:-1] - 0.5) == np.floor(steps[:-1])), case.label  # k + 0.5
        assert case.expected_scale == 2.0 ** np.round(np.log2(case.expected_scale))
        assert np.all(case.codes[:-1] % 2 == 0)  # torch sent every tie to the even code


# --- the reference solution against torch, beyond the grader's arrays ----------------------


@pytest.fixture(scope="module")
def torch_one_thread():  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(before)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    x=hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=12),
        elements=st.floats(-1e4, 1e4, width=32, allow_subnormal=False),
    )
)
def test_the_reference_is_torchs_quantize_and_observer(torch_one_thread, x) -> None:
    torch = torch_one_thread
    from torch.ao.quantization.observer import weight_observer_range_neg_127_to_127

    checks, solution = _checks(), _solution()
    codes, scale = solution.quantize(x)
    assert codes.dtype == np.int8 and codes.shape == x.shape
    absmax = float(np.abs(x).max())
    if absmax == 0:
        assert scale > 0 and not codes.any()
        return
    assert scale == pytest.approx(absmax / 127, rel=1e-12)
    # Below this, torch's float32 1/scale overflows and the oracle itself goes wrong (it gave
    # 127 for a 0 beside 1.2e-38): no interview array is that small.
    assume(absmax >= 1e-30)
    steps = x.astype(np.float64) / scale
    clear = np.abs(np.abs(steps) - np.floor(np.abs(steps)) - 0.5) >= checks.TIE_MARGIN
    expected = checks.torch_codes(x, scale)
    assert np.array_equal(codes[clear], expected[clear])
    back = solution.dequantize(codes, scale)
    assert back.dtype == np.float32
    assert np.abs(x - back.astype(np.float64)).max() <= scale / 2 * (1 + 1e-4)
    # torch's restricted weight observer divides by 127 too, above its eps floor (2**-12).
    if absmax / 127 > 2.0**-12:
        observer = weight_observer_range_neg_127_to_127()
        observer(torch.from_numpy(x))
        torch_scale, zero_point = observer.calculate_qparams()
        assert float(torch_scale) == pytest.approx(scale, rel=1e-6)
        assert int(zero_point) == 0
