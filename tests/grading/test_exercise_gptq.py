"""The gptq exercise through the real runner, on the session's GPT: the solution passes
with every figure measured, the starter fails saying what is missing, and the usual wrong
answers fail on the check written for them (round-to-nearest handed in as GPTQ, the
error-compensated float weights handed back instead of their quantized values, a singular
Hessian left undampened).

The GPT is trained anew on each machine and its floats differ with the CPU, so these tests
assert structure (17 Linear layers, codes on the 3-bit grid) and bounds that hold for any
sane baseline, never one run's figures.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from grading.grading_support import by_name, grade_all, home_with_baseline

from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import GradeResult

pytestmark = [pytest.mark.grading, pytest.mark.slow]

GPTQ = "gptq"
RETURNS = "every Linear quantized (weight, scale, zero)"
GRID = "every weight on the 3-bit grid of its scale and zero point"
LAYERS = "layer output error <= 0.7x round-to-nearest's (median; each <= 1x)"
COST = "bits/byte cost at 3 bits <= 0.5x round-to-nearest's"
CHECKS = [RETURNS, GRID, LAYERS, COST]
LINEARS = 17  # 4 blocks x (qkv, proj, up, down) + head

# Round-to-nearest on the same grid, handed in as GPTQ: appended after the solution's text.
RTN = """
    @torch.no_grad()
    def gptq(model, calibration, bits):
        result = {}
        for name in linear_names(model):
            weight = model.get_submodule(name).weight
            scale, zero = grid(weight, bits)
            quantized = quantize_column(weight, scale, zero, bits)
            result[name] = {"weight": quantized, "scale": scale, "zero": zero}
        return result
"""
# The solution's line that keeps the rounded column, and the mistake: keeping the column
# as the error feedback left it (the compensated float weight), never rounded.
ROUNDED = "quantized[:, start + i] = q"
COMPENSATED = "quantized[:, start + i] = column"
# No dampening, and each Hessian taken from one short window: 64 tokens for Linears of 128
# and 512 inputs, so H has rank <= 64 and the float32 Cholesky factorization meets dozens of
# pivots that are rounding noise, and fails whatever the CPU. (Without dampening alone it
# may not: the full calibration set's Hessians are nearly singular, smallest eigenvalue
# 1e-8 to 1e-4 of a largest near 50, and on some baselines float32 still factors them.)
DAMPENED = "DAMPENING = 0.01"
UNDAMPENED = "DAMPENING = 0.0"
ALL_CALIBRATION = "model(calibration[:, :-1])"
ONE_SHORT_WINDOW = "model(calibration[:1, :64])"


@pytest.fixture(scope="module")
def graded(
    gpt_baseline_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, GradeResult]:
    exercise = load_catalogue().get(GPTQ)
    folder = tmp_path_factory.mktemp("gptq-learners")
    solution = exercise.solution.read_text()
    assert ROUNDED in solution
    rtn = folder / "gptq_rtn.py"
    rtn.write_text(solution + "\n\n" + textwrap.dedent(RTN).lstrip())
    off_grid = folder / "gptq_off_grid.py"
    off_grid.write_text(solution.replace(ROUNDED, COMPENSATED))
    assert DAMPENED in solution
    undamped = folder / "gptq_undamped.py"
    assert solution.count(ALL_CALIBRATION) == 1
    undamped.write_text(
        solution.replace(DAMPENED, UNDAMPENED).replace(ALL_CALIBRATION, ONE_SHORT_WINDOW)
    )
    jobs = {
        "starter": (GPTQ, exercise.starter),
        "solution": (GPTQ, exercise.solution),
        "rtn": (GPTQ, rtn),
        "off grid": (GPTQ, off_grid),
        "undamped": (GPTQ, undamped),
    }
    home = home_with_baseline(gpt_baseline_cache, tmp_path_factory, "gptq-home")
    return grade_all(jobs, home, timeout=600)


def test_the_gptq_solution_passes_with_every_figure_measured(graded) -> None:
    result = graded["solution"]
    assert result.status == "pass", (result.message, result.output)
    assert [c.name for c in result.checks] == CHECKS
    checks = by_name(result)
    assert all(c.measured is not None and c.threshold for c in result.checks)
    assert checks[RETURNS].measured == LINEARS
    assert checks[GRID].measured <= 1e-3
    assert 0 < checks[LAYERS].measured <= 0.7
    assert "median" in checks[LAYERS].message
    assert checks[COST].measured <= 0.5 or "noise" in checks[COST].message
    assert "round-to-nearest" in checks[COST].message
    assert result.output == ""


def test_the_gptq_starter_fails_saying_what_is_not_implemented(graded) -> None:
    result = graded["starter"]
    assert result.status == "fail", result.message
    assert [c.name for c in result.checks] == CHECKS
    checks = by_name(result)
    assert checks[RETURNS].status == "fail"
    assert "NotImplementedError" in checks[RETURNS].message
    assert all(checks[name].status == "skip" for name in (GRID, LAYERS, COST))


def test_round_to_nearest_handed_in_as_gptq_fails_saying_the_error_feedback_is_missing(
    graded,
) -> None:
    result = graded["rtn"]
    checks = by_name(result)
    assert checks[RETURNS].status == "pass" and checks[GRID].status == "pass"
    assert checks[LAYERS].status == "fail"
    assert checks[LAYERS].measured == pytest.approx(1.0, abs=1e-3)
    assert "the error feedback is missing" in checks[LAYERS].message
    assert checks[COST].status == "fail"
    assert result.status == "fail"


def test_the_compensated_float_weights_fail_as_off_the_grid(graded) -> None:
    result = graded["off grid"]
    checks = by_name(result)
    assert checks[RETURNS].status == "pass"
    assert checks[GRID].status == "fail"
    assert checks[GRID].measured > 1e-3
    assert "off the 3-bit grid" in checks[GRID].message
    assert "error-compensated float W" in checks[GRID].message
    assert checks[LAYERS].status == "skip" and checks[COST].status == "skip"
    assert result.status == "fail"


def test_an_undamped_hessian_fails_saying_to_dampen_it(graded) -> None:
    result = graded["undamped"]
    checks = by_name(result)
    assert checks[RETURNS].status == "fail"
    assert "Dampen it first" in checks[RETURNS].message
    assert all(checks[name].status == "skip" for name in (GRID, LAYERS, COST))
    assert result.status == "fail"
