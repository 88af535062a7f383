"""The LLM lab's exercises (int4-weight-only, smoothquant) through the real runner, on the session's GPT:
the starter fails saying what is missing, the solution passes, and the usual wrong answers
fail on the check written for them (INT4 stored one code per byte, nibbles swapped, the
FP32 weight kept beside the codes, a forward that forgets the zero point).

The GPT is trained anew on each machine and its floats differ with the CPU, so these tests
assert structure (17 Linear layers, the format's shapes) and bounds that hold for any sane
baseline, never one run's figures.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from grading.grading_support import by_name, grade_all, home_with_baseline

from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import GradeResult

pytestmark = pytest.mark.grading

INT4 = "int4-weight-only"
PACKING = "pack/unpack: two codes per byte, exact"
RETURNS = "every Linear quantized (packed, scale, zero_point)"
SIZE = "packed size <= 0.16 of FP32"
MATCHES = "each Linear computes from its packed weights"
COST = "bits/byte within 0.02 of FP32"
INT4_CHECKS = [PACKING, RETURNS, SIZE, MATCHES, COST]
LINEARS = 17  # 4 blocks x (qkv, proj, up, down) + head

# The solution with one function replaced: `{name}` is swapped in after the solution's text.
WRONG = {
    # INT4 codes kept one per byte: right values, twice the memory, no packing at all.
    "unpacked": """
        def pack_int4(codes):
            return codes.to(torch.uint8).clone()

        def unpack_int4(packed):
            return packed.clone()
    """,
    # Packed two per byte, but the odd code in the low nibble: self-consistent, wrong format.
    "swapped nibbles": """
        def pack_int4(codes):
            codes = codes.to(torch.uint8)
            return codes[..., 1::2] | (codes[..., 0::2] << 4)

        def unpack_int4(packed):
            return torch.stack((packed >> 4, packed & 0x0F), dim=-1).flatten(-2)
    """,
    # The FP32 weight kept beside the packed one, and used by the forward.
    "float forward": """
        _Packed = Int4Linear

        class Int4Linear(_Packed):
            def __init__(self, linear, group_size):
                super().__init__(linear, group_size)
                self.register_buffer("weight", linear.weight.detach().clone())

            def forward(self, x):
                return F.linear(x, self.weight, self.bias)
    """,
    # The forward dequantizes as if the codes were signed, without the zero point.
    "no zero point": """
        def dequantize_groupwise(codes, scale, zero_point):
            out_features, in_features = codes.shape
            groups = scale.shape[1]
            values = codes.float().reshape(out_features, groups, in_features // groups)
            return (values * scale[..., None]).reshape(out_features, in_features)
    """,
}


@pytest.fixture(scope="module")
def graded(
    gpt_baseline_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, GradeResult]:
    exercise = load_catalogue().get(INT4)
    folder = tmp_path_factory.mktemp("llm-learners")
    solution = exercise.solution.read_text()
    jobs = {"starter": (INT4, exercise.starter), "solution": (INT4, exercise.solution)}
    for name, change in WRONG.items():
        path = folder / f"int4_{name.replace(' ', '_')}.py"
        path.write_text(solution + "\n\n" + textwrap.dedent(change).lstrip())
        jobs[name] = (INT4, path)
    home = home_with_baseline(gpt_baseline_cache, tmp_path_factory, "llm-home")
    return grade_all(jobs, home, timeout=600)


def test_the_int4_solution_passes_with_every_figure_measured(graded) -> None:
    result = graded["solution"]
    assert result.status == "pass", (result.message, result.output)
    assert [c.name for c in result.checks] == INT4_CHECKS
    checks = by_name(result)
    assert all(c.measured is not None and c.threshold for c in result.checks)
    assert checks[RETURNS].measured == LINEARS
    # FP32 scale and zero point per 64 weights: 4 + 64 / 64 bits a weight, whatever the model.
    assert checks[SIZE].measured == pytest.approx(5 / 32, abs=1e-3)
    assert checks[MATCHES].measured <= 1e-4
    assert -0.01 <= checks[COST].measured <= 0.02  # rounding noise may even help a little
    assert "round-to-nearest" in checks[COST].message
    assert result.output == ""


def test_the_int4_starter_fails_saying_what_is_not_implemented(graded) -> None:
    result = graded["starter"]
    assert result.status == "fail", result.message
    assert [c.name for c in result.checks] == INT4_CHECKS
    checks = by_name(result)
    assert checks[PACKING].status == "fail"
    assert "NotImplementedError" in checks[PACKING].message
    assert checks[RETURNS].status == "fail"
    assert "quantize()" in checks[RETURNS].message
    assert all(checks[name].status == "skip" for name in (SIZE, MATCHES, COST))


def test_int4_stored_one_code_per_byte_fails_on_packing_and_size(graded) -> None:
    checks = by_name(graded["unpacked"])
    assert checks[PACKING].status == "fail"
    assert "one code per byte" in checks[PACKING].message
    assert checks[RETURNS].status == "fail"
    assert "INT4 stored in int8" in checks[RETURNS].message
    assert graded["unpacked"].status == "fail"


def test_swapped_nibbles_fail_on_the_format_not_the_round_trip(graded) -> None:
    checks = by_name(graded["swapped nibbles"])
    assert checks[PACKING].status == "fail"
    assert "low four bits" in checks[PACKING].message
    # The grader unpacks the learner's bytes its own way: every other weight is wrong.
    assert checks[MATCHES].status == "fail"
    assert checks[MATCHES].measured > 1e-2


def test_a_linear_that_keeps_its_float_weight_fails_saying_so(graded) -> None:
    result = graded["float forward"]
    checks = by_name(result)
    assert checks[PACKING].status == "pass"
    assert checks[RETURNS].status == "fail" and checks[RETURNS].measured == 0
    assert "keeps a float tensor as large as the weight (weight)" in checks[RETURNS].message
    assert result.status == "fail"


def test_a_forward_that_forgets_the_zero_point_fails_the_computes_from_packed_check(
    graded,
) -> None:
    result = graded["no zero point"]
    checks = by_name(result)
    assert checks[PACKING].status == "pass" and checks[RETURNS].status == "pass"
    assert checks[MATCHES].status == "fail" and checks[MATCHES].measured > 1e-2
    assert "does not compute from what you packed" in checks[MATCHES].message
    # The held-out figure comes from the grader's own dequantization of the bytes.
    assert checks[COST].status == "pass"
    assert result.status == "fail"


SQ = "smoothquant"
SQ_RETURNS = "returns the model (its state_dict fits the GPT)"
SQ_NAIVE = "plain W8A8 loses >= 0.02 bits/byte (the outliers)"
SQ_FUNCTION = "FP32 function kept"
SQ_COST = "smoothed W8A8 within 0.005 bits/byte of FP32"
SQ_CHECKS = [SQ_RETURNS, SQ_NAIVE, SQ_FUNCTION, SQ_COST]

SQ_WRONG = {
    # The Linear columns multiplied by s, the LayerNorms left alone: the function changes.
    "not folded": """
        @torch.no_grad()
        def smooth(model, calibration):
            names = [f"blocks.{i}.{n}" for i in range(len(model.blocks))
                     for n in ("attn.qkv", "mlp.up")]
            maxima = channel_maxima(model, names, calibration)
            for name in names:
                linear = model.get_submodule(name)
                s = maxima[name].clamp(min=1e-5).sqrt() / linear.weight.abs().amax(0).clamp(
                    min=1e-5).sqrt()
                linear.weight.mul_(s)
            return model
    """,
    # Nothing migrated: the grader's W8A8 meets the outliers as they are.
    "unsmoothed": """
        def smooth(model, calibration):
            return model
    """,
}


@pytest.fixture(scope="module")
def sq_graded(
    gpt_baseline_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, GradeResult]:
    exercise = load_catalogue().get(SQ)
    folder = tmp_path_factory.mktemp("sq-learners")
    solution = exercise.solution.read_text()
    jobs = {"starter": (SQ, exercise.starter), "solution": (SQ, exercise.solution)}
    for name, change in SQ_WRONG.items():
        body = textwrap.dedent(change).lstrip()
        path = folder / f"sq_{name.replace(' ', '_')}.py"
        path.write_text(solution + "\n\n" + body)
        jobs[name] = (SQ, path)
    home = home_with_baseline(gpt_baseline_cache, tmp_path_factory, "sq-home")
    return grade_all(jobs, home, timeout=600)


def test_the_smoothquant_solution_passes_on_a_model_where_plain_w8a8_fails(sq_graded) -> None:
    result = sq_graded["solution"]
    assert result.status == "pass", (result.message, result.output)
    assert [c.name for c in result.checks] == SQ_CHECKS
    checks = by_name(result)
    assert all(c.measured is not None and c.threshold for c in result.checks)
    assert checks[SQ_NAIVE].measured >= 0.02
    assert checks[SQ_FUNCTION].measured <= 1e-3
    assert checks[SQ_COST].measured <= 0.005
    assert result.output == ""


def test_the_smoothquant_starter_fails(sq_graded) -> None:
    result = sq_graded["starter"]
    assert result.status == "fail", result.message
    assert [c.name for c in result.checks] == SQ_CHECKS
    checks = by_name(result)
    assert "NotImplementedError" in checks[SQ_RETURNS].message
    assert checks[SQ_FUNCTION].status == "skip" and checks[SQ_COST].status == "skip"


def test_scales_not_folded_into_the_layernorm_change_the_function(sq_graded) -> None:
    checks = by_name(sq_graded["not folded"])
    assert checks[SQ_RETURNS].status == "pass"
    assert checks[SQ_FUNCTION].status == "fail"
    assert "is one side of the fold missing" in checks[SQ_FUNCTION].message
    assert checks[SQ_COST].status == "skip"


def test_no_smoothing_keeps_the_function_and_fails_on_the_w8a8_cost(sq_graded) -> None:
    checks = by_name(sq_graded["unsmoothed"])
    assert checks[SQ_FUNCTION].status == "pass"
    assert checks[SQ_COST].status == "fail"
    assert checks[SQ_COST].measured >= 0.02
    assert "outlier channels still set the activation scale" in checks[SQ_COST].message
