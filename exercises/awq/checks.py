"""Checks for awq: find the salient input channels of the lab's GPT from its activations,
scale them up before quantization and fold the inverse into the LayerNorms, so that the
grader's own 4-bit round-to-nearest loses far less than it does on the model as given.

The checker plants salient channels in the GPT (an exact rescale; channels and factor drawn
from the install's secret seed; see quizapp.grading.salient), gives the learner's process
those weights and windows of calibration text, and gets back the state_dict of the model
`apply_awq()` returned (weights_only). It loads that into its own GPT and measures: the
function against the planted FP32 model, and its own W4 g64 round-to-nearest of it on
held-out text, against the same quantization of the model it gave.
"""

from __future__ import annotations

import torch
from torch import nn

from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Suite, failed, passed, verdict
from quizapp.grading.learner_run import Run
from quizapp.grading.returned_gpt import produce_returned_model, returned_model

CALIBRATION_WINDOWS = 8
MIN_PREMISE = 0.008  # how much more RTN loses on the salient model than on the plain one
MAX_RATIO = 0.6  # the learner's RTN cost over the grader's RTN cost of the given model
MAX_FUNCTION_ERROR = 1e-3  # relative, logits on calibration text

RETURNS = "returns the model (its state_dict fits the GPT)"
PREMISE = f"RTN loses >= {MIN_PREMISE:g} bits/byte more on the salient model"
FUNCTION = "FP32 function kept"
COST = f"W4 g64 cost <= {MAX_RATIO:g}x plain RTN's"

suite = Suite()


@suite.setup
def setup(ctx: Context) -> None:
    from quizapp.grading.gpt_baseline import ensure_gpt_baseline
    from quizapp.grading.salient import plant_salient_channels

    baseline = ensure_gpt_baseline(progress=ctx.progress)
    model = baseline.model()
    channels, factor = plant_salient_channels(model, baseline.recipe.seed)
    calibration = baseline.calibration_windows(CALIBRATION_WINDOWS)
    held_out = baseline.held_out_windows()
    with torch.no_grad():
        fp32_logits = model(calibration[:2, :-1])
    ctx.store.update(
        baseline=baseline,
        channels=channels,
        factor=factor,
        reference=model,
        calibration=calibration,
        held_out=held_out,
        # The planting keeps the function to float rounding (1e-7 relative), so the cached
        # FP32 figure stands for the salient model too: one evaluation fewer per grade.
        fp32=baseline.fp32_bits_per_byte,
        fp32_logits=fp32_logits,
    )
    ctx.job.save("weights", model.state_dict())
    ctx.job.save("calibration", calibration)
    recipe = baseline.recipe
    ctx.job.save_json(
        "recipe", {"width": recipe.width, "layers": recipe.layers, "context": recipe.context}
    )


@suite.produce
def produce(run: Run) -> None:
    produce_returned_model(run, "apply_awq()")


def candidate(ctx: Context) -> nn.Module:
    """The checker's own GPT holding the learner's returned weights."""
    return returned_model(ctx, "apply_awq()")


def rtn_cost(ctx: Context, model: nn.Module) -> float:
    """The grader's W4 g64 round-to-nearest of (a copy of) `model`: bits/byte over FP32."""
    from quizapp.grading.gpt_baseline import bits_per_byte
    from quizapp.grading.salient import rtn_w4

    copy = ctx.store["baseline"].model()
    copy.load_state_dict(model.state_dict())
    return bits_per_byte(rtn_w4(copy), ctx.store["held_out"]) - ctx.store["fp32"]


def given_cost(ctx: Context) -> float:
    """RTN's cost on the salient model the learner was given: the figure to beat."""
    return ctx.memo("given_cost", lambda: rtn_cost(ctx, ctx.store["reference"]))


@suite.check(RETURNS)
def returns_model(ctx: Context):
    threshold = "the GPT's keys and shapes"
    try:
        model = candidate(ctx)
    except LearnerError as exc:
        return failed(exc.message, threshold=threshold)
    return passed(
        f"apply_awq() returned the model; its {len(model.state_dict())} tensors load into the GPT.",
        measured="fits",
        threshold=threshold,
    )


@suite.check(PREMISE, direction="higher")
def premise(ctx: Context):
    from quizapp.grading.salient import FACTOR_HIGH, FACTOR_LOW, SALIENT_CHANNELS

    plain = rtn_cost(ctx, ctx.store["baseline"].model())
    salient = given_cost(ctx)
    extra = salient - plain
    return verdict(
        extra >= MIN_PREMISE,
        f"The grader's W4 g64 round-to-nearest costs {salient:+.4f} bits/byte on the model you "
        f"were given and {plain:+.4f} on the same GPT before its salient channels were made "
        f"({extra:+.4f}). Those: {SALIENT_CHANNELS} input channels of every qkv and up, their "
        f"LayerNorm channel times a factor in [{FACTOR_LOW:g}, {FACTOR_HIGH:g}) and their weight "
        "column divided by as much, so rounding zeroes weights that meet large activations.",
        measured=round(extra, 4),
        threshold=f">= {MIN_PREMISE:g}",
    )


@suite.check(FUNCTION, needs=(RETURNS,), direction="lower")
def function_kept(ctx: Context):
    model = candidate(ctx)
    reference = ctx.store["fp32_logits"]
    with torch.no_grad():
        logits = model(ctx.store["calibration"][:2, :-1])
    error = ((logits - reference).norm() / reference.norm()).item()
    ok = error <= MAX_FUNCTION_ERROR
    message = (
        f"Logits of your scaled model in FP32 against the model you were given, on 2 windows "
        f"of calibration text: relative error {error:.2g}."
    )
    if not ok:
        message += (
            " Scaling must not change what the model computes before quantization: when you "
            "multiply a Linear's input columns by s, fold 1/s into the previous op (divide "
            "the LayerNorm's weight and bias by s). Is one side of the fold missing?"
        )
    return verdict(
        ok, message, measured=float(f"{error:.3g}"), threshold=f"<= {MAX_FUNCTION_ERROR:g}"
    )


@suite.check(COST, needs=(FUNCTION,), direction="lower")
def awq_cost(ctx: Context):
    given = given_cost(ctx)
    yours = rtn_cost(ctx, candidate(ctx))
    ratio = yours / given if given > 0 else float("inf")
    ok = ratio <= MAX_RATIO
    message = (
        f"The grader's W4 g64 round-to-nearest (every Linear, asymmetric groups of 64) of your "
        f"model costs {yours:+.4f} bits/byte on held-out text, against {given:+.4f} for the "
        f"model you were given: {ratio:.2f}x."
    )
    if not ok:
        message += " " + scaling_diagnosis(ctx, candidate(ctx))
    return verdict(ok, message, measured=round(ratio, 3), threshold=f"<= {MAX_RATIO:g}")


def column_scales(given: nn.Module, yours: nn.Module) -> dict[str, torch.Tensor]:
    """The s each qkv and up input column was multiplied by (norm of yours over given's)."""
    from quizapp.grading.w8a8 import smoothed_pairs

    scales = {}
    for _norm, linear in smoothed_pairs(given):
        before = given.get_submodule(linear).weight.norm(dim=0)
        after = yours.get_submodule(linear).weight.norm(dim=0)
        scales[linear] = after / before.clamp(min=1e-12)
    return scales


def scaling_diagnosis(ctx: Context, model: nn.Module) -> str:
    """What went wrong, from the scales the learner applied and the channels the checker
    planted (which it names to nobody)."""
    from quizapp.grading.w8a8 import smoothed_pairs

    scales = column_scales(ctx.store["reference"], model)
    spread = max((s.max() / s.min().clamp(min=1e-12)).item() for s in scales.values())
    if spread < 1.01:
        return (
            "Your model's weights are not scaled at all (s = 1 everywhere): is the search "
            "stuck at alpha = 0, where s = mean|x_j|^0 = 1? Try alpha on a grid in [0, 1) and "
            "keep the one whose quantized Linear (the grader's format, W4 g64 asymmetric) "
            "best reproduces x W^T on the calibration inputs."
        )
    wrong_way = 0
    for norm, linear in smoothed_pairs(ctx.store["reference"]):
        salient = torch.zeros_like(scales[linear], dtype=torch.bool)
        salient[ctx.store["channels"][norm]] = True
        if scales[linear][salient].median() < scales[linear][~salient].median():
            wrong_way += 1
    if wrong_way > len(scales) // 2:
        return (
            f"In {wrong_way} of {len(scales)} Linears the channels with the largest "
            "activations were scaled down, not up: multiply the Linear's columns by s = "
            "mean|x|^alpha (large where the activations are large) and divide the LayerNorm "
            "by s, not the other way round."
        )
    return (
        "The salient channels are still rounded away: is s = mean|x_j|^alpha computed from "
        "the Linear's own inputs on the calibration text, and is alpha the one whose "
        "quantized Linear (W4 g64 asymmetric, as the grader quantizes) best reproduces "
        "x W^T?"
    )
