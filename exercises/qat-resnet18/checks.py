"""Checks for qat-resnet18: quantization-aware training at W4A4, where PTQ falls short.

The learner's `quantize(model, train_batches, qconfig)` gets a copy of the FP32 baseline
(built in the learner's process from the weights the checker wrote), the training split in
batches (images and labels) and the W4A4 QAT qconfig (quizapp.grading.lowbit). It must fuse
for QAT, prepare_qat, train, freeze BN statistics and observers, convert and return the INT8
network, which is saved as TorchScript. The held-out split never leaves the checker.

The verdict rests on what the checker measures on that archive: INT8 kernels, the bit widths
in what a forward pass really runs (the integer weights packed in every kernel, the integers
of every activation), and held-out accuracy, 4-bit activations saturated, against the
grader's own W4A4 PTQ of the same network, measured in this run, and against FP32.

How the model was made is the learner's run's own report: it watches every convert() call
(`convert_watch.watch_convert`) and claims what the call that returned the submitted model was
handed (fake quantizers, observers, BN). Two soft checks show that report, said to be
unverified: they score nothing and never fail the exercise.
"""

from __future__ import annotations

import copy

from quizapp.grading import convert_watch, lowbit_layers, resnet_job
from quizapp.grading import lowbit as lb
from quizapp.grading import resnet_checks as rc
from quizapp.grading.baseline import ensure_baseline
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import Outcome, Suite, failed, passed, verdict, warned
from quizapp.grading.learner_run import Run

MIN_GAIN_OVER_PTQ = 3.0  # points
MAX_DROP_FROM_FP32 = 2.5  # points

FAKE_QUANT = "trained with 4-bit fake quantization"
FROZEN = "BN and observers frozen before convert"
WEIGHTS = "weights are 4-bit"
ACTIVATIONS = "activations are 4-bit"
BEATS_PTQ = f"beats W4A4 PTQ by >= {MIN_GAIN_OVER_PTQ:g} points"
NEAR_FP32 = f"within {MAX_DROP_FROM_FP32:g} points of FP32"

REPORTED = "Reported by your run, not verified by the grader (informational, no points)"

suite = Suite()


@suite.setup
def setup(ctx: Context) -> None:
    resnet_job.setup(ctx)  # the weights and the calibration batches for the learner's run
    digits = ensure_baseline().digits  # cached: the train split's labels for the learner
    ctx.job.save("train_batches", lb.train_batches(digits.train_x, digits.train_y))
    ctx.note("Measuring the grader's own W4A4 PTQ of the network (the figure to beat)")
    ptq = lb.reference_ptq(copy.deepcopy(ctx.store["reference"]), ctx.store["batches"])
    x, y = ctx.store["held_out_x"], ctx.store["held_out_y"]
    ctx.store.update(
        ptq_percent=lowbit_layers.accuracy_percent(lowbit_layers.measure(ctx, ptq, x).logits, y),
        fp32_percent=100 * ctx.store["fp32_accuracy"],
        weighted_layers=ctx.store["convs"] + 1,  # the convolutions and fc
    )


@suite.produce
def produce(run: Run) -> None:
    """The learner's process: quantize(model, train_batches, qconfig) with every convert()
    call watched; the returned network saved, what its convert() call was handed claimed."""
    model = resnet_job.learner_model(run, plain=False)
    batches = run.input("train_batches")
    with convert_watch.watch_convert() as calls:
        result = run.call(run.entry, model, batches, lb.qat_qconfig(), what="quantize()")
    run.claim(convert_watch.CONVERT_CLAIM, convert_watch.convert_claim(calls, result))
    run.save_module("model", result, example=(run.input("batches")[0][:2],))


rc.add_returns_module(suite)
rc.add_structure_checks(
    suite,
    fuse_hint=(
        "Fuse for QAT, in training mode: model.train(), then model.fuse_model(is_qat=True) "
        "(conv+bn(+relu) become QAT modules that keep their BN until convert() folds it)."
    ),
)


def _claimed(ctx: Context) -> convert_watch.ClaimedConvert | str:
    return convert_watch.claimed_convert(ctx.claims)


def _soft(ok: bool, message: str, measured: str, threshold: str) -> Outcome:
    threshold = f"{threshold} (reported, soft)"
    if ok:
        return passed(f"{REPORTED}: {message}", measured, threshold)
    return warned(f"{REPORTED}: {message}", measured, threshold)


@suite.check(FAKE_QUANT, soft=True, needs=(rc.RETURNS_MODULE,))
def trained_with_fake_quant(ctx: Context) -> Outcome:
    call = _claimed(ctx)
    expected = ctx.store["weighted_layers"]
    threshold = f"{expected} QAT layers, fake quantizers in 0..15 / -8..7, no PTQ observer"
    if isinstance(call, str):
        return _soft(False, call + ".", "no convert() of the model reported", threshold)
    measured = (
        f"{call.qat_layers} QAT layers, {call.fake_quantizers} fake quantizers, "
        f"{call.plain_observers} PTQ observers"
    )
    allowed = {(lb.ACTIVATION_MIN, lb.ACTIVATION_MAX), (lb.WEIGHT_MIN, lb.WEIGHT_MAX)}
    problems = []
    if call.plain_observers:
        problems.append(
            f"it carried {call.plain_observers} PTQ observers: prepare() calibrates, it does "
            "not train. prepare_qat() puts fake quantizers on the weights and activations"
        )
    if call.qat_layers < expected:
        problems.append(
            f"{call.qat_layers} of {expected} layers had a weight fake quantizer (prepare_qat "
            "swaps each conv and fc for a QAT module that fake-quantizes its weight)"
        )
    if call.fake_quant_off:
        problems.append(f"{call.fake_quant_off} fake quantizers were switched off")
    wrong = sorted(set(call.ranges) - allowed)
    if wrong:
        shown = ", ".join(f"{low}..{high}" for low, high in wrong[:4])
        problems.append(
            f"fake quantizers with integer ranges {shown}: train with the 4-bit qconfig you "
            "were given (0..15 activations, -8..7 weights)"
        )
    if problems:
        return _soft(
            False,
            "the model handed to convert(): " + "; ".join(problems) + ".",
            measured,
            threshold,
        )
    return _soft(
        True,
        f"convert() got the model with {call.fake_quantizers} 4-bit fake quantizers: "
        f"{call.qat_layers} QAT layers fake-quantizing their weights to -8..7, activations to "
        "0..15. The grade rests on the bit widths and accuracy measured below.",
        measured,
        threshold,
    )


@suite.check(FROZEN, soft=True, needs=(FAKE_QUANT,))
def frozen(ctx: Context) -> Outcome:
    call = _claimed(ctx)
    expected_bn = ctx.store["convs"]  # every convolution of ResNet-18 has its BatchNorm
    threshold = f"{expected_bn} of {expected_bn} conv+BN frozen, 0 observers running"
    if isinstance(call, str):
        return _soft(False, call + ".", "no convert() of the model reported", threshold)
    measured = (
        f"{call.bn_frozen} of {call.conv_bn} conv+BN frozen, "
        f"{call.observers_running} of {call.fake_quantizers} observers running"
    )
    problems = []
    if call.conv_bn < expected_bn:
        problems.append(
            f"{call.conv_bn} of {expected_bn} convolutions kept their BatchNorm as a QAT "
            "conv+BN module (fuse_model(is_qat=True) in training mode keeps BN for training)"
        )
    if call.bn_frozen < call.conv_bn:
        problems.append(
            f"{call.conv_bn - call.bn_frozen} conv+BN modules still updated their BN "
            "statistics: model.apply(torch.ao.nn.intrinsic.qat.freeze_bn_stats) for the last "
            "part of training, so the network trains with the statistics convert() folds in"
        )
    if call.observers_running:
        problems.append(
            f"{call.observers_running} observers were still moving their ranges: "
            "model.apply(torch.ao.quantization.disable_observer) for the last part of "
            "training, so the weights settle on the grid convert() bakes in"
        )
    if problems:
        return _soft(False, "; ".join(problems) + ".", measured, threshold)
    return _soft(
        True,
        f"at convert(), all {call.conv_bn} conv+BN modules used frozen BN statistics and all "
        f"{call.fake_quantizers} fake quantizers had their observers off.",
        measured,
        threshold,
    )


suite.check(rc.KERNELS, needs=(rc.CONVS,))(rc.int8_kernels)


def _measured(ctx: Context) -> lowbit_layers.Measurement:
    """The held-out images through the model: its layers, its saturated logits."""
    return ctx.memo(
        "lowbit", lambda: lowbit_layers.measure(ctx, rc.submission(ctx), ctx.store["held_out_x"])
    )


def _layers(ctx: Context) -> list[lowbit_layers.Layer]:
    return _measured(ctx).layers


def _listed(layers: list[lowbit_layers.Layer], limit: int = 4, **parts: bool) -> str:
    shown = ", ".join(layer.describe(**parts) for layer in layers[:limit])
    return shown + (f" and {len(layers) - limit} more" if len(layers) > limit else "")


@suite.check(WEIGHTS, needs=(rc.KERNELS,))
def four_bit_weights(ctx: Context) -> Outcome:
    weighted = [layer for layer in _layers(ctx) if layer.weight_numel]
    wider = [layer for layer in weighted if not layer.four_bit_weights]
    ranges = [layer.weight_range for layer in weighted if layer.weight_range]
    low = min((r[0] for r in ranges), default=0)
    high = max((r[1] for r in ranges), default=0)
    measured = f"{len(weighted) - len(wider)} of {len(weighted)} layers; integers in {low}..{high}"
    threshold = f"all layers: per-tensor integers in {lb.WEIGHT_MIN}..{lb.WEIGHT_MAX}"
    if wider:
        return failed(
            f"Weights wider than 4 bits: {_listed(wider, outputs=False)}. Train with the W4A4 "
            "qconfig you were given: its weight fake quantizers use -8..7, one scale per tensor.",
            measured,
            threshold,
        )
    return passed(
        f"The integer weights packed in all {len(weighted)} INT8 kernels lie in {low}..{high}, "
        "one scale per tensor: 4-bit weights.",
        measured,
        threshold,
    )


@suite.check(ACTIVATIONS, needs=(rc.KERNELS,))
def four_bit_activations(ctx: Context) -> Outcome:
    layers = [layer for layer in _layers(ctx) if layer.quantized]
    wider = [layer for layer in layers if not layer.four_bit_output]
    values = sum(layer.values for layer in layers)
    beyond = sum(layer.beyond * layer.values for layer in layers) / values if values else 0.0
    measured = f"{len(layers) - len(wider)} of {len(layers)}; {100 * beyond:.3f}% beyond 0..15"
    threshold = f"all: >= {100 * lb.FOUR_BIT_SHARE:g}% of integers in 0..15"
    n = len(ctx.store["held_out_x"])
    if wider:
        return failed(
            f"Activations wider than 4 bits on {n} held-out images: "
            f"{_listed(wider, weights=False)}. Use the W4A4 qconfig you were given: its "
            "activation fake quantizers use 0..15.",
            measured,
            threshold,
        )
    return passed(
        f"All {len(layers)} quantized activations of {n} held-out images are 4-bit: "
        f"{100 * beyond:.3f}% of their integers lie beyond 0..15 (values beyond the trained "
        "ranges; the accuracy checks saturate them at 15, as 4-bit storage would).",
        measured,
        threshold,
    )


def _accuracy_percent(ctx: Context) -> float:
    """Held-out accuracy in percent, every 4-bit activation saturated at 0..15."""
    return lowbit_layers.accuracy_percent(_measured(ctx).logits, ctx.store["held_out_y"])


ACCURACY_NEEDS = (WEIGHTS, ACTIVATIONS)


@suite.check(BEATS_PTQ, needs=ACCURACY_NEEDS, direction="higher")
def beats_ptq(ctx: Context) -> Outcome:
    mine, ptq = _accuracy_percent(ctx), ctx.store["ptq_percent"]
    gain = mine - ptq
    images = resnet_job.CALIBRATION_BATCHES * resnet_job.CALIBRATION_BATCH_SIZE
    return verdict(
        gain >= MIN_GAIN_OVER_PTQ,
        f"W4A4 held-out accuracy {mine:.2f}% vs {ptq:.2f}% for the grader's W4A4 PTQ of the "
        f"same network (calibrated on {images} training images, measured in this run): "
        f"{gain:+.2f} points. Activations saturated at 4 bits in both.",
        measured=round(gain, 2),
        threshold=f">= +{MIN_GAIN_OVER_PTQ:g} points",
    )


@suite.check(NEAR_FP32, needs=ACCURACY_NEEDS, direction="lower")
def near_fp32(ctx: Context) -> Outcome:
    mine, fp32 = _accuracy_percent(ctx), ctx.store["fp32_percent"]
    drop = fp32 - mine
    n = len(ctx.store["held_out_y"])
    return verdict(
        drop <= MAX_DROP_FROM_FP32,
        f"W4A4 held-out accuracy {mine:.2f}% vs {fp32:.2f}% in FP32 ({n} images): "
        f"{'a drop of ' if drop >= 0 else 'a gain of '}{abs(drop):.2f} points.",
        measured=round(drop, 2),
        threshold=f"<= {MAX_DROP_FROM_FP32:g} points",
    )
