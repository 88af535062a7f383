"""kv-cache-int8 through the real runner, on the session's GPT: the starter fails saying
what is missing, the solution passes with every figure measured, and the usual wrong answers
fail on the check written for them (codes kept in int16, one scale for the whole tensor where
FORMAT declares per-token, codes truncated instead of rounded, scales taken from the first
token and reused for the rest).

The GPT is trained anew on each machine and its floats differ with the CPU, so these tests
assert structure and bounds that hold for any sane baseline, never one run's figures.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from grading.grading_support import by_name, grade_all, home_with_baseline

from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import GradeResult

pytestmark = [pytest.mark.grading, pytest.mark.slow]

KV = "kv-cache-int8"
DECLARED = "declares its format (FORMAT)"
RETURNS = "quantize() returns codes and scales for every K and V"
AGREES = "codes and scales follow the declared format"
BYTES = "cache bytes <= 0.30 of FP32 (scales included)"
COST = "bits/byte within 0.01 of FP32"
GREEDY = "greedy tokens >= 95% equal to FP32's"
CHECKS = [DECLARED, RETURNS, AGREES, BYTES, COST, GREEDY]

# The solution with something replaced: the text is appended to the solution's.
WRONG = {
    # The right values, in two bytes each: the cache is half the size of FP32, not a quarter.
    "int16 codes": """
        _quantize = quantize

        def quantize(x):
            codes, scale = _quantize(x)
            return codes.to(torch.int16), scale
    """,
    # FORMAT says per-token, but one scale covers the whole tensor.
    "per-tensor scale": """
        FORMAT = {"granularity": "per-token", "symmetric": True}

        def quantize(x):
            scale = (x.abs().amax() / QMAX).clamp(min=1e-12)
            return torch.round(x / scale).clamp(-QMAX, QMAX).to(torch.int8), scale
    """,
    # The right scales, but the cast truncates toward zero instead of rounding.
    "truncated codes": """
        def quantize(x):
            scale = (x.abs().amax(dim=-1, keepdim=True) / QMAX).clamp(min=1e-12)
            return (x / scale).clamp(-QMAX, QMAX).to(torch.int8), scale
    """,
    # Each head's scale measured on the first token and reused for every later one.
    "first-token scales": """
        def quantize(x):
            first = x[:, :, :1].abs().amax(dim=-1, keepdim=True) / QMAX
            scale = first.clamp(min=1e-12).expand(*x.shape[:-1], 1).clone()
            return torch.round(x / scale).clamp(-QMAX, QMAX).to(torch.int8), scale
    """,
}


@pytest.fixture(scope="module")
def graded(
    gpt_baseline_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, GradeResult]:
    exercise = load_catalogue().get(KV)
    folder = tmp_path_factory.mktemp("kv-learners")
    solution = exercise.solution.read_text()
    jobs = {"starter": (KV, exercise.starter), "solution": (KV, exercise.solution)}
    for name, change in WRONG.items():
        path = folder / f"kv_{name.replace(' ', '_').replace('-', '_')}.py"
        path.write_text(solution + "\n\n" + textwrap.dedent(change).lstrip())
        jobs[name] = (KV, path)
    home = home_with_baseline(gpt_baseline_cache, tmp_path_factory, "kv-home")
    return grade_all(jobs, home, timeout=600)


def test_the_solution_passes_with_every_figure_measured(graded) -> None:
    result = graded["solution"]
    assert result.status == "pass", (result.message, result.output)
    assert [c.name for c in result.checks] == CHECKS
    checks = by_name(result)
    assert all(c.measured is not None and c.threshold for c in result.checks)
    assert checks[DECLARED].measured == "INT8 per-head, symmetric"
    assert checks[RETURNS].measured == 8  # K and V of 4 layers
    assert checks[AGREES].measured <= 1.0
    # int8 codes and an FP32 scale per 64 values: 8.5 bits of 32, whatever the model.
    assert checks[BYTES].measured == pytest.approx(8.5 / 32, abs=1e-3)
    assert -0.01 <= checks[COST].measured <= 0.01
    assert checks[GREEDY].measured >= 0.95
    assert "token by token" in checks[GREEDY].message
    assert result.output == ""


def test_the_starter_fails_saying_what_is_not_implemented(graded) -> None:
    result = graded["starter"]
    assert result.status == "fail", result.message
    assert [c.name for c in result.checks] == CHECKS
    checks = by_name(result)
    assert checks[DECLARED].status == "pass"
    assert checks[RETURNS].status == "fail" and checks[RETURNS].measured == 0
    assert "NotImplementedError: TODO: quantize" in checks[RETURNS].message
    assert all(checks[name].status == "skip" for name in (AGREES, BYTES, COST, GREEDY))


def test_int16_codes_agree_with_the_format_but_fail_the_bytes_check(graded) -> None:
    result = graded["int16 codes"]
    checks = by_name(result)
    assert checks[AGREES].status == "pass"
    assert checks[BYTES].status == "fail"
    assert checks[BYTES].measured > 0.5  # two bytes a code
    assert "stored as int16" in checks[BYTES].message
    assert "INT8 codes take one byte" in checks[BYTES].message
    assert result.status == "fail"


def test_a_per_tensor_scale_declared_per_token_fails_naming_the_mismatch(graded) -> None:
    result = graded["per-tensor scale"]
    checks = by_name(result)
    assert checks[DECLARED].measured == "INT8 per-token, symmetric"
    assert checks[AGREES].status == "fail"
    message = checks[AGREES].message
    assert "one scale for the whole tensor (per-tensor)" in message
    assert "FORMAT declares per-token" in message
    # Held-out figures describe the declared format only when the codes follow it.
    assert checks[COST].status == "skip" and checks[GREEDY].status == "skip"
    assert result.status == "fail"


def test_codes_truncated_instead_of_rounded_fail_the_format_agreement(graded) -> None:
    result = graded["truncated codes"]
    checks = by_name(result)
    assert checks[AGREES].status == "fail"
    assert checks[AGREES].measured == pytest.approx(1.0, abs=0.02)
    assert "your scales are the format's" in checks[AGREES].message
    assert "truncates toward zero" in checks[AGREES].message
    # One code off in half the values still costs almost nothing: only the codes tell.
    assert checks[BYTES].status == "pass"
    assert result.status == "fail"


def test_scales_reused_from_the_first_token_fail_as_clipping(graded) -> None:
    result = graded["first-token scales"]
    checks = by_name(result)
    assert checks[RETURNS].status == "pass"
    assert checks[AGREES].status == "fail"
    assert checks[AGREES].measured > 1.0
    assert "clipped" in checks[AGREES].message
    assert "never reused from another token" in checks[AGREES].message
    assert result.status == "fail"
