"""Checks for layer-sensitivity: per-layer SQNR at W4A4, then a few layers above 4 bits.

Two functions. `layer_sqnr(float_model, quantized_model, batches)` gets the fused FP32
network, the grader's W4A4 PTQ of it and the calibration batches, and returns each layer's
SQNR; it is compared with the grader's own figures (torch.ao.ns.fx.utils.compute_sqnr on
the layers' outputs, which torch's Numeric Suite reproduces). `quantize(model,
calibration_batches, qconfig)` gets the FP32 network and the W4A4 PTQ qconfig and returns a
converted network in which at most BUDGET layers are above 4 bits; graded on the layers
and the packed weight size a forward pass really shows, and on the share of PTQ's accuracy
loss it wins back (4-bit activations saturated, as in qat-resnet18).
"""

from __future__ import annotations

import copy
import math

from quizapp.grading import lowbit as lb
from quizapp.grading import resnet_checks as rc
from quizapp.grading.checks import (
    Context,
    LearnerError,
    Outcome,
    Suite,
    failed,
    is_a,
    passed,
    verdict,
)

BUDGET = 3  # layers above 4 bits
MAX_PACKED_RATIO = 0.25  # packed weight storage vs FP32 (all 4-bit: 0.125)
MIN_RECOVERED = 1 / 3  # of PTQ's accuracy loss
SQNR_TOLERANCE = 0.05  # dB

SQNR = "layer_sqnr matches torch"
BUDGET_CHECK = f"at most {BUDGET} layers above 4 bits"
PACKED = f"packed weights <= {MAX_PACKED_RATIO:.2f} of FP32"
RECOVERED = f"wins back >= {MIN_RECOVERED:.0%} of PTQ's loss"

suite = Suite()


@suite.setup
def setup(ctx: Context) -> None:
    rc.setup(ctx)
    reference, batches = ctx.store["reference"], ctx.store["batches"]
    ctx.note("Measuring the grader's own W4A4 PTQ of the network and its per-layer SQNR")
    fused = lb.fused_float(copy.deepcopy(reference))
    ptq = lb.reference_ptq(copy.deepcopy(reference), batches)
    x, y = ctx.store["held_out_x"], ctx.store["held_out_y"]
    ctx.store.update(
        fused=fused,
        ptq=ptq,
        sqnr=lb.layer_sqnr(fused, ptq, batches),
        ptq_accuracy=lb.accuracy(lb.measure(ctx, ptq, x).logits, y),
        fp32_percent=100 * ctx.store["fp32_accuracy"],
    )


@suite.submit
def submit(ctx: Context) -> object:
    batches = ctx.store["batches"]
    # layer_sqnr first, on copies; its failure is its own check's, not the whole grade's.
    measure = getattr(ctx.learner, "layer_sqnr", None)
    if not callable(measure):
        ctx.store["learner_sqnr"] = LearnerError(
            "Your file does not define layer_sqnr(): the grader calls "
            "layer_sqnr(float_model, quantized_model, batches)."
        )
    else:
        try:
            ctx.store["learner_sqnr"] = ctx.call(
                measure,
                copy.deepcopy(ctx.store["fused"]),
                copy.deepcopy(ctx.store["ptq"]),
                [b.clone() for b in batches],
                what="layer_sqnr()",
            )
        except LearnerError as exc:
            ctx.store["learner_sqnr"] = exc
    return ctx.call(
        ctx.entry,
        ctx.store.pop("learner_copy"),
        [b.clone() for b in batches],
        lb.ptq_qconfig(),
        what="quantize()",
    )


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number


@suite.check(SQNR)
def sqnr_matches(ctx: Context) -> Outcome:
    oracle: dict[str, float] = ctx.store["sqnr"]
    result = ctx.store["learner_sqnr"]
    threshold = f"{len(oracle)} layers, each within {SQNR_TOLERANCE:g} dB"
    if isinstance(result, LearnerError):
        return failed(result.message, measured="no result", threshold=threshold)
    if not is_a(result, dict):
        return failed(
            f"layer_sqnr() returned a {type(result).__name__}, not a dict of layer name to "
            "SQNR in dB.",
            measured=type(result).__name__,
            threshold=threshold,
        )
    missing = [name for name in oracle if name not in result]
    extra = [str(name) for name in result if name not in oracle]
    if missing:
        return failed(
            f"layer_sqnr() has no figure for {len(missing)} of the {len(oracle)} layers, e.g. "
            f"{', '.join(missing[:4])}. The layers are the quantized network's Quantize, "
            "conv, QFunctional and Linear modules, by name; a residual add's output goes "
            "through its activation_post_process (add_relu() is a method call, so hooks on "
            "the QFunctional itself never fire).",
            measured=f"{len(oracle) - len(missing)} of {len(oracle)} layers",
            threshold=threshold,
        )
    errors = {}
    for name, expected in oracle.items():
        got = _number(result[name])
        errors[name] = math.inf if got is None or math.isnan(got) else abs(got - expected)
    wrong = sorted((name for name in oracle if errors[name] > SQNR_TOLERANCE), key=errors.get)
    lowest = sorted(oracle, key=oracle.get)[:3]
    lowest_text = ", ".join(f"{name} {oracle[name]:.2f} dB" for name in lowest)
    if wrong:
        shown = ", ".join(
            f"{name}: {result[name]!r} vs {oracle[name]:.2f} dB" for name in wrong[-3:]
        )
        ratios = [_number(result[n]) / oracle[n] for n in wrong if _number(result[n]) and oracle[n]]
        hint = ""
        if ratios and all(abs(r - 0.5) < 0.02 for r in ratios):
            hint = " Your figures are half of torch's: SQNR is 20 log10 of the norm ratio."
        elif ratios and all(abs(r - 2) < 0.04 for r in ratios):
            hint = " Your figures are twice torch's: SQNR is 10 log10 of the power ratio."
        return failed(
            f"{len(wrong)} of {len(oracle)} layers differ from torch's SQNR by more than "
            f"{SQNR_TOLERANCE:g} dB ({shown}).{hint} SQNR is 10 log10(sum x^2 / sum (x - y)^2) "
            "over every element of every batch, x the FP32 layer's output and y the quantized "
            "one, dequantized.",
            measured=f"{len(oracle) - len(wrong)} of {len(oracle)} layers",
            threshold=threshold,
        )
    extra_text = f" ({len(extra)} other names ignored)" if extra else ""
    return passed(
        f"All {len(oracle)} layers within {SQNR_TOLERANCE:g} dB of torch's figures{extra_text}. "
        f"The lowest: {lowest_text}.",
        measured=f"{len(oracle)} of {len(oracle)} layers",
        threshold=threshold,
    )


rc.add_returns_module(suite)
# Not rc.add_structure_checks: float layers are allowed here (within the budget).
suite.check(rc.FUSED, needs=(rc.RETURNS_MODULE,))(
    lambda ctx: rc.fused(ctx, "Fuse before prepare(): model.eval(), then model.fuse_model().")
)


def _measured(ctx: Context) -> lb.Measurement:
    """The held-out images through the model: its layers, its saturated logits."""
    return ctx.memo("lowbit", lambda: lb.measure(ctx, rc.submission(ctx), ctx.store["held_out_x"]))


def _layers(ctx: Context) -> list[lb.Layer]:
    return _measured(ctx).layers


@suite.check(BUDGET_CHECK, needs=(rc.RETURNS_MODULE,))
def within_budget(ctx: Context) -> Outcome:
    try:
        layers = _layers(ctx)
    except LearnerError as exc:
        return failed(rc.explain_crash(exc.message), measured="crashed", threshold=f"<= {BUDGET}")
    above = [layer for layer in layers if not layer.four_bit]
    floats = sum(1 for layer in above if not layer.quantized)
    measured = f"{len(above)} of {len(layers)} ({floats} float)"
    threshold = f"<= {BUDGET}"
    n = len(ctx.store["held_out_x"])
    if len(above) > BUDGET:
        shown = ", ".join(layer.describe() for layer in above[:5])
        more = f" and {len(above) - 5} more" if len(above) > 5 else ""
        hint = ""
        if floats == len(layers):
            hint = rc.unconverted_hint(rc.submission(ctx))
        return failed(
            f"{len(above)} of the {len(layers)} layers a forward pass of {n} held-out images "
            f"ran are above 4 bits: {shown}{more}. Keep at most {BUDGET} of them at 8 bits "
            f"(or float); every other layer gets the W4A4 qconfig you were given.{hint}",
            measured,
            threshold,
        )
    kept = ", ".join(layer.describe() for layer in above) or "none"
    return passed(
        f"{len(layers) - len(above)} of the {len(layers)} layers run at 4 bits (per-tensor "
        f"weights in -8..7, outputs in 0..15); above 4 bits: {kept}.",
        measured,
        threshold,
    )


@suite.check(PACKED, needs=(BUDGET_CHECK,))
def packed_size(ctx: Context) -> Outcome:
    layers = _layers(ctx)
    ratio = lb.packed_weight_ratio(layers)
    return verdict(
        ratio <= MAX_PACKED_RATIO,
        f"Packed as a 4-bit deployment would store them (4-bit weights two to a byte, 8-bit "
        f"ones a byte each, float ones 4 bytes), the weights take {ratio:.3f} of their FP32 "
        "size (all at 4 bits: 0.125). Computed from the measured bit widths: the INT8 "
        "kernels themselves keep every 4-bit weight in a byte.",
        measured=round(ratio, 4),
        threshold=f"<= {MAX_PACKED_RATIO:.2f}",
    )


@suite.check(RECOVERED, needs=(BUDGET_CHECK,))
def recovered(ctx: Context) -> Outcome:
    y = ctx.store["held_out_y"]
    mine = lb.accuracy(_measured(ctx).logits, y)
    ptq, fp32 = ctx.store["ptq_accuracy"], ctx.store["fp32_percent"]
    loss = fp32 - ptq
    share = (mine - ptq) / loss if loss > 0 else math.nan
    return verdict(
        share >= MIN_RECOVERED,
        f"Held-out accuracy {mine:.2f}%, between the grader's W4A4 PTQ at {ptq:.2f}% and "
        f"FP32 at {fp32:.2f}%: {mine - ptq:+.2f} of the {loss:.2f} points PTQ lost "
        f"({share:.0%}). 4-bit activations saturated at 0..15; {len(y)} images, one image is "
        f"{100 / len(y):.2f} points.",
        measured=round(share, 3),
        threshold=f">= {MIN_RECOVERED:.3f}",
    )
