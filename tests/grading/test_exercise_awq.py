"""The awq exercise through the real runner, on the session's GPT: the starter fails saying
what is missing, the solution passes, and the usual wrong answers fail on the check written
for them (scales not folded into the LayerNorm, the scale inverted, no search at all).

The GPT is trained anew on each machine and its floats differ with the CPU, so these tests
assert bounds that hold for any sane baseline, never one run's figures.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from grading.grading_support import by_name, grade_all, home_with_baseline

from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import GradeResult

pytestmark = [pytest.mark.grading, pytest.mark.slow]

AWQ = "awq"
RETURNS = "returns the model (its state_dict fits the GPT)"
PREMISE = "RTN loses >= 0.008 bits/byte more on the salient model"
FUNCTION = "FP32 function kept"
COST = "W4 g64 cost <= 0.6x plain RTN's"
CHECKS = [RETURNS, PREMISE, FUNCTION, COST]

# The solution with apply_awq (or a constant) replaced: appended after the solution's text.
WRONG = {
    # The Linear columns multiplied by the searched s, the LayerNorms left alone.
    "not folded": """
        @torch.no_grad()
        def apply_awq(model, calibration):
            pairs = ln_linear_pairs(model)
            inputs = linear_inputs(model, [linear for _, linear in pairs], calibration)
            for _norm_name, linear_name in pairs:
                linear = model.get_submodule(linear_name)
                s, _alpha = search_scale(inputs[linear_name], linear.weight)
                linear.weight.mul_(s)
            return model
    """,
    # Folded, but the wrong way round: the weights divided by s, the LayerNorm multiplied.
    "inverse": """
        @torch.no_grad()
        def apply_awq(model, calibration):
            pairs = ln_linear_pairs(model)
            inputs = linear_inputs(model, [linear for _, linear in pairs], calibration)
            for norm_name, linear_name in pairs:
                norm, linear = model.get_submodule(norm_name), model.get_submodule(linear_name)
                s, _alpha = search_scale(inputs[linear_name], linear.weight)
                norm.weight.mul_(s)
                norm.bias.mul_(s)
                linear.weight.div_(s)
            return model
    """,
    # No search: alpha = 0 only, so s = mean|x|^0 = 1 and nothing is protected.
    "no search": """
        GRID = 1
    """,
}


@pytest.fixture(scope="module")
def graded(
    gpt_baseline_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, GradeResult]:
    exercise = load_catalogue().get(AWQ)
    folder = tmp_path_factory.mktemp("awq-learners")
    solution = exercise.solution.read_text()
    jobs = {"starter": (AWQ, exercise.starter), "solution": (AWQ, exercise.solution)}
    for name, change in WRONG.items():
        path = folder / f"awq_{name.replace(' ', '_')}.py"
        path.write_text(solution + "\n\n" + textwrap.dedent(change).lstrip())
        jobs[name] = (AWQ, path)
    home = home_with_baseline(gpt_baseline_cache, tmp_path_factory, "awq-home")
    return grade_all(jobs, home, timeout=600)


def test_the_solution_passes_on_a_model_where_plain_rtn_loses_more(graded) -> None:
    result = graded["solution"]
    assert result.status == "pass", (result.message, result.output)
    assert [c.name for c in result.checks] == CHECKS
    assert all(c.measured is not None and c.threshold for c in result.checks)
    checks = by_name(result)
    assert checks[PREMISE].measured >= 0.008
    assert checks[FUNCTION].measured <= 1e-3
    assert 0 <= checks[COST].measured <= 0.6
    assert result.output == ""


def test_the_starter_fails_saying_what_is_missing(graded) -> None:
    result = graded["starter"]
    assert result.status == "fail", result.message
    assert [c.name for c in result.checks] == CHECKS
    checks = by_name(result)
    assert "NotImplementedError" in checks[RETURNS].message
    assert checks[FUNCTION].status == "skip" and checks[COST].status == "skip"


def test_scales_not_folded_into_the_layernorm_change_the_function(graded) -> None:
    checks = by_name(graded["not folded"])
    assert checks[RETURNS].status == "pass"
    assert checks[FUNCTION].status == "fail"
    assert checks[FUNCTION].measured > 1e-3
    assert "fold 1/s into the previous op" in checks[FUNCTION].message
    assert checks[COST].status == "skip"


def test_the_inverse_scale_keeps_the_function_and_is_named_on_the_cost(graded) -> None:
    checks = by_name(graded["inverse"])
    assert checks[FUNCTION].status == "pass"
    assert checks[COST].status == "fail"
    assert checks[COST].measured > 0.6
    assert "scaled down, not up" in checks[COST].message


def test_no_search_is_no_scaling_and_fails_on_the_cost(graded) -> None:
    checks = by_name(graded["no search"])
    assert checks[FUNCTION].status == "pass"
    assert checks[COST].status == "fail"
    assert checks[COST].measured > 0.9
    assert "stuck at alpha = 0" in checks[COST].message


def test_salient_channels_keep_the_function_and_are_drawn_per_seed() -> None:
    import torch

    from quizapp.grading import gpt_baseline as gb
    from quizapp.grading import salient, w8a8

    torch.manual_seed(0)
    model = gb.build_model().eval()

    def planted_copy(seed: int):
        copy = gb.build_model().eval()
        copy.load_state_dict(model.state_dict())
        return copy, *salient.plant_salient_channels(copy, seed)

    planted, channels, factor = planted_copy(5)
    assert salient.FACTOR_LOW <= factor < salient.FACTOR_HIGH
    assert len(channels) == 2 * len(model.blocks)
    assert all(len(set(c)) == salient.SALIENT_CHANNELS for c in channels.values())
    ids = torch.randint(0, 256, (2, 33))
    with torch.no_grad():
        before, after = model(ids[:, :-1]), planted(ids[:, :-1])
    assert ((after - before).norm() / before.norm()).item() < 1e-5
    assert planted_copy(6)[1] != channels
    # Not smoothquant's channels for the same install: one exercise says nothing of the other.
    outliers = gb.build_model().eval()
    assert w8a8.plant_outliers(outliers, 5, channels=salient.SALIENT_CHANNELS) != channels

    quantized = salient.rtn_w4(planted)
    for name in gb.linear_names(quantized):
        weight = quantized.get_submodule(name).weight
        groups = weight.reshape(weight.shape[0], -1, salient.GROUP_SIZE)
        levels = max(len(torch.unique(group)) for group in groups.reshape(-1, salient.GROUP_SIZE))
        assert levels <= 16, name
