"""Checks for layer-sensitivity: per-layer SQNR at W4A4, then a few layers above 4 bits.

Two functions. `layer_sqnr(float_model, quantized_model, batches)` gets the fused FP32
network, the grader's W4A4 PTQ of it and the calibration batches, and returns each layer's
SQNR; the learner's process builds both networks itself (the same deterministic code as the
checker: `lowbit.fused_float`, `lowbit.reference_ptq` on the calibration batches), calls it
and records the returned figures (out/layer_sqnr.json). The checker compares them with its
own (torch.ao.ns.fx.utils.compute_sqnr on the layers' outputs of its own networks, which
torch's Numeric Suite reproduces), computed before the learner's code starts.

`quantize(model, calibration_batches, qconfig)` gets the FP32 network and the W4A4 PTQ
qconfig and returns a converted network in which at most BUDGET layers are above 4 bits,
saved as TorchScript. It is graded on the layers and the packed weight size a forward pass
of the archive really shows, and on the share of PTQ's accuracy loss it wins back (4-bit
activations saturated, as in qat-resnet18), on held-out images that never leave the checker.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from quizapp.grading import layer_sqnr, lowbit_layers, resnet_job
from quizapp.grading import lowbit as lb
from quizapp.grading import resnet_checks as rc
from quizapp.grading.artifacts import ArtifactError
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Outcome, Suite, failed, passed, verdict
from quizapp.grading.learner_run import Run, describe_exception

BUDGET = 3  # layers above 4 bits
MAX_PACKED_RATIO = 0.25  # packed weight storage vs FP32 (all 4-bit: 0.125)
MIN_RECOVERED = 1 / 3  # of PTQ's accuracy loss
SQNR_TOLERANCE = 0.05  # dB
MAX_RECORDED = 1000  # entries of the returned dict the learner's process records

SQNR = "layer_sqnr matches torch"
BUDGET_CHECK = f"at most {BUDGET} layers above 4 bits"
PACKED = f"packed weights <= {MAX_PACKED_RATIO:.2f} of FP32"
RECOVERED = f"wins back >= {MIN_RECOVERED:.0%} of PTQ's loss"
SQNR_RECORD = "layer_sqnr"

suite = Suite()


@suite.setup
def setup(ctx: Context) -> None:
    resnet_job.setup(ctx)  # the weights and the calibration batches for the learner's run
    reference, batches = ctx.store["reference"], ctx.store["batches"]
    ctx.note("Measuring the grader's own W4A4 PTQ of the network and its per-layer SQNR")
    fused = lb.fused_float(copy.deepcopy(reference))
    ptq = lb.reference_ptq(copy.deepcopy(reference), batches)
    x, y = ctx.store["held_out_x"], ctx.store["held_out_y"]
    ctx.store.update(
        sqnr=layer_sqnr.layer_sqnr(fused, ptq, batches),
        ptq_percent=lowbit_layers.accuracy_percent(lowbit_layers.measure(ctx, ptq, x).logits, y),
        fp32_percent=100 * ctx.store["fp32_accuracy"],
    )


# --- the learner's process ----------------------------------------------------------------


def _figure(value: Any) -> Any:
    """One value of the learner's dict as JSON: a finite number as itself, NaN or infinity
    as {"float": "nan"}, anything else as {"other": its type}."""
    if isinstance(value, (bool, str)) or value is None:
        return {"other": type(value).__name__}
    try:
        number = float(value)  # floats, ints, numpy scalars, one-element tensors
    except BaseException:  # noqa: BLE001 - the learner's object, recorded as such
        return {"other": type(value).__name__}
    return number if math.isfinite(number) else {"float": repr(number)}


def record_layer_sqnr(run: Run, batches: list[Any]) -> None:
    """layer_sqnr(fused FP32, the grader's W4A4 PTQ, batches), both networks built here as
    the checker builds its own; what it returned (or why nothing) in out/layer_sqnr.json.
    Its failure is its own check's, never the whole grade's."""
    record: dict[str, Any] = {"defined": False}
    func = getattr(run.learner, "layer_sqnr", None)
    if callable(func):
        record["defined"] = True
        fused = lb.fused_float(resnet_job.learner_model(run, plain=False))
        ptq = lb.reference_ptq(resnet_job.learner_model(run, plain=False), batches)
        try:
            result = func(fused, ptq, [b.clone() for b in batches])
        except BaseException as exc:  # noqa: BLE001 - the learner's failure, recorded
            record["not_implemented"] = isinstance(exc, NotImplementedError)
            record["raised"] = describe_exception(exc, "layer_sqnr()", run.learner_path)
        else:
            record["type"] = type(result).__name__
            if isinstance(result, dict):
                items = list(result.items())
                record["entries"] = len(items)
                record["other_keys"] = sum(1 for key, _ in items if not isinstance(key, str))
                record["values"] = {
                    key[:200]: _figure(value)
                    for key, value in items[:MAX_RECORDED]
                    if isinstance(key, str)
                }
    run.out.save_json(SQNR_RECORD, record)


@suite.produce
def produce(run: Run) -> None:
    batches = run.input("batches")
    record_layer_sqnr(run, batches)
    model = resnet_job.learner_model(run, plain=False)
    result = run.call(run.entry, model, run.input("batches"), lb.ptq_qconfig(), what="quantize()")
    run.save_module("model", result, example=(run.input("batches")[0][:2],))


# --- the checker --------------------------------------------------------------------------


def _number(value: object) -> float | None:
    """A recorded figure (see `_figure`) as a float; None when it is not a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict) and isinstance(value.get("float"), str):
        try:
            return float(value["float"])
        except ValueError:
            return None
    return None


def _shown(value: object) -> str:
    number = _number(value)
    if number is not None:
        return f"{number:.2f}"
    if isinstance(value, dict) and "other" in value:
        return f"a {str(value['other'])[:40]}"
    return "?"


def _lowest(oracle: dict[str, float], count: int = 3) -> str:
    lowest = sorted(oracle, key=oracle.get)[:count]
    return ", ".join(f"{name} {oracle[name]:.2f} dB" for name in lowest)


@suite.check(SQNR)
def sqnr_matches(ctx: Context) -> Outcome:
    oracle: dict[str, float] = ctx.store["sqnr"]
    threshold = f"{len(oracle)} layers, each within {SQNR_TOLERANCE:g} dB"
    try:
        record = ctx.out.load_json(SQNR_RECORD)
    except ArtifactError as exc:
        raise LearnerError(f"The grader found no result of your layer_sqnr(): {exc}") from None
    if not isinstance(record, dict):
        raise LearnerError("The recorded result of layer_sqnr() is not readable.")
    if not record.get("defined"):
        return failed(
            "Your file does not define layer_sqnr(): the grader calls "
            "layer_sqnr(float_model, quantized_model, batches).",
            measured="no result",
            threshold=threshold,
        )
    if record.get("raised"):
        message = str(record["raised"])
        if record.get("not_implemented"):
            message = "layer_sqnr() is not implemented yet (it raised NotImplementedError)."
        return failed(message, measured="no result", threshold=threshold)
    values = record.get("values")
    if not isinstance(values, dict):
        kind = str(record.get("type") or "nothing")[:40]
        return failed(
            f"layer_sqnr() returned a {kind}, not a dict of layer name to SQNR in dB.",
            measured=kind,
            threshold=threshold,
        )
    missing = [name for name in oracle if name not in values]
    extra = [name for name in values if name not in oracle]
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
        got = _number(values[name])
        errors[name] = math.inf if got is None or math.isnan(got) else abs(got - expected)
    wrong = sorted((name for name in oracle if errors[name] > SQNR_TOLERANCE), key=errors.get)
    if wrong:
        shown = ", ".join(
            f"{name}: {_shown(values[name])} vs {oracle[name]:.2f} dB" for name in wrong[-3:]
        )
        ratios = []
        for name in wrong:
            got = _number(values[name])
            if got is not None and math.isfinite(got) and oracle[name]:
                ratios.append(got / oracle[name])
        hint = ""
        if len(ratios) == len(wrong) and all(abs(r - 0.5) < 0.02 for r in ratios):
            hint = " Your figures are half of torch's: SQNR is 20 log10 of the norm ratio."
        elif len(ratios) == len(wrong) and all(abs(r - 2) < 0.04 for r in ratios):
            hint = " Your figures are twice torch's: SQNR is 10 log10 of the power ratio."
        return failed(
            f"{len(wrong)} of {len(oracle)} layers differ from torch's SQNR by more than "
            f"{SQNR_TOLERANCE:g} dB ({shown}).{hint} SQNR is 10 log10(sum x^2 / sum (x - y)^2) "
            "over every element of every batch, x the FP32 layer's output and y the quantized "
            "one, dequantized.",
            measured=f"{len(oracle) - len(wrong)} of {len(oracle)} layers",
            threshold=threshold,
        )
    ignored = len(extra) + int(record.get("other_keys") or 0)
    extra_text = f" ({ignored} other names ignored)" if ignored else ""
    return passed(
        f"All {len(oracle)} layers within {SQNR_TOLERANCE:g} dB of torch's figures{extra_text}. "
        f"The lowest: {_lowest(oracle)}.",
        measured=f"{len(oracle)} of {len(oracle)} layers",
        threshold=threshold,
    )


rc.add_returns_module(suite)
# Not rc.add_structure_checks: float layers are allowed here (within the budget).
suite.check(rc.FUSED, needs=(rc.RETURNS_MODULE,))(
    lambda ctx: rc.fused(ctx, "Fuse before prepare(): model.eval(), then model.fuse_model().")
)


def _measured(ctx: Context) -> lowbit_layers.Measurement:
    """The held-out images through the model: its layers, its saturated logits."""
    return ctx.memo(
        "lowbit", lambda: lowbit_layers.measure(ctx, rc.submission(ctx), ctx.store["held_out_x"])
    )


def _layers(ctx: Context) -> list[lowbit_layers.Layer]:
    return _measured(ctx).layers


@suite.check(BUDGET_CHECK, needs=(rc.RETURNS_MODULE,))
def within_budget(ctx: Context) -> Outcome:
    threshold = f"<= {BUDGET}"
    try:
        layers = _layers(ctx)
    except LearnerError as exc:
        return failed(rc.explain_crash(exc.message), measured="crashed", threshold=threshold)
    above = [layer for layer in layers if not layer.four_bit]
    floats = sum(1 for layer in above if not layer.quantized)
    measured = f"{len(above)} of {len(layers)} ({floats} float)"
    n = len(ctx.store["held_out_x"])
    if len(above) > BUDGET:
        shown = ", ".join(layer.describe() for layer in above[:5])
        more = f" and {len(above) - 5} more" if len(above) > 5 else ""
        hint = ""
        if floats == len(layers):
            hint = rc.unconverted_hint(ctx)
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


@suite.check(PACKED, needs=(BUDGET_CHECK,), direction="lower")
def packed_size(ctx: Context) -> Outcome:
    ratio = lowbit_layers.packed_weight_ratio(_layers(ctx))
    return verdict(
        ratio <= MAX_PACKED_RATIO,
        f"Packed as a 4-bit deployment would store them (4-bit weights two to a byte, 8-bit "
        f"ones a byte each, float ones 4 bytes), the weights take {ratio:.3f} of their FP32 "
        "size (all at 4 bits: 0.125). Computed from the measured bit widths: the INT8 "
        "kernels themselves keep every 4-bit weight in a byte.",
        measured=round(ratio, 4),
        threshold=f"<= {MAX_PACKED_RATIO:.2f}",
    )


@suite.check(RECOVERED, needs=(BUDGET_CHECK,), direction="higher")
def recovered(ctx: Context) -> Outcome:
    y = ctx.store["held_out_y"]
    mine = lowbit_layers.accuracy_percent(_measured(ctx).logits, y)
    ptq, fp32 = ctx.store["ptq_percent"], ctx.store["fp32_percent"]
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
