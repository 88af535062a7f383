"""Checks for smoothquant: migrate the activation outliers of the lab's GPT into the weights,
keep the FP32 function, and let the grader's own W8A8 (per-tensor activations) run at FP32's
bits per byte.

The checker plants outlier channels in the GPT (an exact rescale, channels drawn from the
install's secret seed; see quizapp.grading.w8a8), gives the learner's process those
weights and windows of calibration text, and gets back the state_dict of the model
`smooth()` returned (weights_only). It loads that into its own GPT and measures: the
function against the planted FP32 model, and its own W8A8 of it on held-out text.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Suite, failed, passed, verdict
from quizapp.grading.learner_run import Run
from quizapp.grading.returned_gpt import produce_returned_model, returned_model

CALIBRATION_WINDOWS = 8
MIN_NAIVE_COST = 0.02  # the premise: the grader's plain W8A8 of the planted model
MAX_COST = 0.005  # smoothed W8A8 over FP32, bits/byte
MAX_FUNCTION_ERROR = 1e-3  # relative, logits on calibration text

RETURNS = "returns the model (its state_dict fits the GPT)"
NAIVE = f"plain W8A8 loses >= {MIN_NAIVE_COST:g} bits/byte (the outliers)"
FUNCTION = "FP32 function kept"
COST = f"smoothed W8A8 within {MAX_COST:g} bits/byte of FP32"

suite = Suite()


@suite.setup
def setup(ctx: Context) -> None:
    from quizapp.grading.gpt_baseline import bits_per_byte, ensure_gpt_baseline
    from quizapp.grading.w8a8 import plant_outliers

    baseline = ensure_gpt_baseline(progress=ctx.progress)
    model = baseline.model()
    planted = plant_outliers(model, baseline.recipe.seed)
    calibration = baseline.calibration_windows(CALIBRATION_WINDOWS)
    held_out = baseline.held_out_windows()
    with torch.no_grad():
        fp32_logits = model(calibration[:2, :-1])
    ctx.store.update(
        baseline=baseline,
        planted=planted,
        reference=model,
        calibration=calibration,
        held_out=held_out,
        fp32=bits_per_byte(model, held_out),
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
    produce_returned_model(run, "smooth()")


def candidate(ctx: Context) -> nn.Module:
    """The checker's own GPT holding the learner's returned weights."""
    return returned_model(ctx, "smooth()")


@suite.check(RETURNS)
def returns_model(ctx: Context):
    threshold = "the GPT's keys and shapes"
    try:
        model = candidate(ctx)
    except LearnerError as exc:
        return failed(exc.message, threshold=threshold)
    return passed(
        f"smooth() returned the model; its {len(model.state_dict())} tensors load into the GPT.",
        measured="fits",
        threshold=threshold,
    )


@suite.check(NAIVE, direction="higher")
def naive_cost(ctx: Context):
    from quizapp.grading.gpt_baseline import bits_per_byte
    from quizapp.grading.w8a8 import OUTLIER_CHANNELS, OUTLIER_FACTOR, w8a8

    model = ctx.store["baseline"].model()
    model.load_state_dict(ctx.store["reference"].state_dict())
    with w8a8(model, ctx.store["calibration"]) as quantized:
        naive = bits_per_byte(quantized, ctx.store["held_out"])
    cost = naive - ctx.store["fp32"]
    ctx.store["naive_cost"] = cost
    return verdict(
        cost >= MIN_NAIVE_COST,
        f"The grader's own W8A8 of the model you were given, without smoothing: {naive:.4f} "
        f"bits/byte vs {ctx.store['fp32']:.4f} in FP32 ({cost:+.4f}). The outliers: "
        f"{OUTLIER_CHANNELS} channels of each LayerNorm scaled by {OUTLIER_FACTOR:g} (the next "
        "Linear's columns divided by as much), so one per-tensor INT8 scale must cover them.",
        measured=round(cost, 4),
        threshold=f">= {MIN_NAIVE_COST:g}",
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
        f"Logits of your smoothed model in FP32 against the model you were given, on 2 windows "
        f"of calibration text: relative error {error:.2g}."
    )
    if not ok:
        message += (
            " Smoothing must not change what the model computes: divide each LayerNorm's "
            "weight and bias by s exactly where you multiply the next Linear's input columns "
            "by s (is one side of the fold missing?)."
        )
    return verdict(
        ok, message, measured=float(f"{error:.3g}"), threshold=f"<= {MAX_FUNCTION_ERROR:g}"
    )


@suite.check(COST, needs=(FUNCTION,), direction="lower")
def smoothed_cost(ctx: Context):
    from quizapp.grading.gpt_baseline import bits_per_byte
    from quizapp.grading.w8a8 import w8a8

    with w8a8(copy.deepcopy(candidate(ctx)), ctx.store["calibration"]) as quantized:
        smoothed = bits_per_byte(quantized, ctx.store["held_out"])
    fp32 = ctx.store["fp32"]
    cost = smoothed - fp32
    naive = ctx.store.get("naive_cost")
    shown = f"; without smoothing {naive:+.4f}" if naive is not None else ""
    message = (
        f"The grader's W8A8 (INT8 weights per output channel, INT8 inputs with one static "
        f"scale per tensor) of your smoothed model on held-out text: {smoothed:.4f} bits/byte "
        f"vs {fp32:.4f} in FP32 ({cost:+.4f}{shown})."
    )
    if cost > MAX_COST:
        message += (
            " The outlier channels still set the activation scale: did you compute the "
            "per-channel max |x| on the calibration text, and use s = max|x|^alpha / "
            "max|w|^(1 - alpha) for every LayerNorm -> Linear pair?"
        )
    return verdict(cost <= MAX_COST, message, measured=round(cost, 4), threshold=f"<= {MAX_COST:g}")
