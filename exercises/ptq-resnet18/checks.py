"""Checks for ptq-resnet18: is the returned network really INT8, small, accurate and fast?

The learner's `quantize(model, calibration_batches)` gets a copy of the FP32 baseline (eval
mode) and 8 batches of 32 real training images. The held-out split is only used here.
"""

from __future__ import annotations

import re

import torch
import torch.ao.nn.intrinsic as nni
import torch.ao.nn.intrinsic.quantized as nniq
import torch.ao.nn.quantized as nnq
import torch.ao.nn.quantized.dynamic as nnqd
from torch.ao.quantization import FakeQuantizeBase, ObserverBase
from torch.nn.modules.batchnorm import _BatchNorm
from torchvision.models.quantization.resnet import QuantizableBasicBlock

from quizapp.grading.baseline import ensure_baseline
from quizapp.grading.checks import (
    Context,
    Suite,
    agreement,
    compare_latency,
    errored,
    failed,
    foreign_modules,
    is_a,
    mb,
    modules_of,
    named_modules,
    passed,
    patched_instances,
    predict,
    state_dict_bytes,
    verdict,
)

CALIBRATION_BATCHES = 8
CALIBRATION_BATCH_SIZE = 32
MAX_SIZE_RATIO = 0.30
MAX_ACCURACY_DROP = 1.0  # percentage points
MIN_AGREEMENT = 0.97
MAX_RANGE_MISFIT = 0.05  # of the data's range, at the input quantizer's lower end
MAX_CLIPPED = 0.001  # fraction of the real input values outside the input quantizer's range
NEW_BATCH_SIZES = (1, 7, 50)  # calibration used 32
MIN_SPEEDUP = 1.0  # soft: reported, never fails the exercise

suite = Suite()


@suite.setup
def setup(ctx: Context) -> None:
    baseline = ensure_baseline(progress=ctx.progress)
    digits = baseline.digits
    reference = baseline.model()
    # A fixed draw of real training images, the same for every learner and every run.
    order = torch.randperm(len(digits.train_x), generator=torch.Generator().manual_seed(6))
    take = order[: CALIBRATION_BATCHES * CALIBRATION_BATCH_SIZE]
    batches = [
        digits.train_x[take[i : i + CALIBRATION_BATCH_SIZE]].clone()
        for i in range(0, len(take), CALIBRATION_BATCH_SIZE)
    ]
    with torch.no_grad():
        fp32_logits = reference(digits.held_out_x)
    ctx.store.update(
        reference=reference,
        learner_copy=baseline.model(),
        batches=batches,
        held_out_x=digits.held_out_x,
        held_out_y=digits.held_out_y,
        fp32_logits=fp32_logits,
        fp32_accuracy=(fp32_logits.argmax(1) == digits.held_out_y).double().mean().item(),
        fp32_bytes=state_dict_bytes(reference),
        convs=len(modules_of(reference, torch.nn.Conv2d)),
        # The stem and the first conv of every block are followed by a ReLU.
        conv_bn_relu=1 + len(modules_of(reference, QuantizableBasicBlock)),
    )


@suite.submit
def submit(ctx: Context) -> object:
    batches = [b.clone() for b in ctx.store["batches"]]
    return ctx.call(ctx.entry, ctx.store.pop("learner_copy"), batches, what="quantize()")


def _model(ctx: Context) -> torch.nn.Module:
    return ctx.submission


def _kind(module: object) -> str:
    """torch.ao.nn.quantized.Linear, torch.nn.Linear: the public name of a module's class."""
    cls = type(module)
    package = re.sub(r"\.modules(\.\w+)?$", "", cls.__module__)
    return f"{package}.{cls.__qualname__}"


@suite.check("returns a module")
def returns_module(ctx: Context):
    model = ctx.submission
    if not is_a(model, torch.nn.Module):
        shown = "None" if model is None else f"a {type(model).__name__}"
        hint = " (did you forget `return model`?)" if model is None else ""
        return errored(
            f"quantize() returned {shown}, not a torch.nn.Module{hint}.",
            measured=type(model).__name__,
            threshold="a torch.nn.Module",
        )
    foreign = foreign_modules(model)
    if foreign:
        return failed(
            "The returned network contains modules that are not torch's or torchvision's: "
            f"{', '.join(foreign[:3])}. Quantize the network you were given; don't wrap it.",
            measured=type(model).__name__,
            threshold="torch/torchvision modules only",
        )
    patched = patched_instances(model)
    if patched:
        return failed(
            f"Methods were replaced on the returned modules ({', '.join(patched[:3])}); "
            "return the network as torch's convert() produces it.",
            measured=type(model).__name__,
            threshold="torch/torchvision modules only",
        )
    torch.nn.Module.eval(model)  # the grader evaluates, as anyone using the model would
    return passed(
        f"quantize() returned a {type(model).__name__}.",
        measured=type(model).__name__,
        threshold="a torch.nn.Module",
    )


def _unconverted_hint(model: torch.nn.Module) -> str:
    if modules_of(model, (ObserverBase, FakeQuantizeBase)):
        return " Observers are attached but the model was never converted: call convert()."
    return " Did you prepare(), calibrate and convert() the model?"


@suite.check("all convolutions quantized", needs=("returns a module",))
def convolutions_quantized(ctx: Context):
    model = _model(ctx)
    expected = ctx.store["convs"]
    float_convs = modules_of(model, torch.nn.Conv2d)
    quantized = [
        name
        for name, module in named_modules(model)
        if is_a(module, nnq.Conv2d) and module.weight().dtype == torch.qint8
    ]
    threshold = f"{expected} of {expected}"
    if not float_convs and len(quantized) == expected:
        fused = len(modules_of(model, nniq.ConvReLU2d))
        return passed(
            f"All {expected} convolutions are INT8 ({fused} fused with their ReLU).",
            measured=len(quantized),
            threshold=threshold,
        )
    shown = ", ".join(float_convs[:4])
    if len(float_convs) > 4:
        shown += f" and {len(float_convs) - 4} more"
    message = f"{len(quantized)} of {expected} convolutions are INT8."
    if float_convs:
        message += f" Still float: {shown}." + _unconverted_hint(model)
    return failed(message, measured=len(quantized), threshold=threshold)


@suite.check("conv+bn+relu fused", needs=("returns a module",))
def fused(ctx: Context):
    model = _model(ctx)
    batch_norms = modules_of(model, _BatchNorm)
    conv_relu = modules_of(model, (nni.ConvReLU2d, nniq.ConvReLU2d))  # float or INT8
    expected = ctx.store["conv_bn_relu"]
    measured = f"{len(batch_norms)} BatchNorm, {len(conv_relu)} ConvReLU2d"
    threshold = f"0 BatchNorm, {expected} ConvReLU2d"
    if not batch_norms and len(conv_relu) >= expected:
        return passed(
            f"No BatchNorm left; {len(conv_relu)} conv+bn+relu groups are fused ConvReLU2d.",
            measured=measured,
            threshold=threshold,
        )
    problems = []
    if batch_norms:
        problems.append(f"{len(batch_norms)} BatchNorm layers are left (e.g. {batch_norms[0]})")
    if len(conv_relu) < expected:
        problems.append(f"{len(conv_relu)} of {expected} conv+bn+relu groups are fused")
    return failed(
        "; ".join(problems) + ". Fuse before prepare(): model.eval(), then model.fuse_model().",
        measured=measured,
        threshold=threshold,
    )


@suite.check("fc quantized", needs=("returns a module",))
def fc_quantized(ctx: Context):
    fc = dict(named_modules(_model(ctx))).get("fc")
    kind = _kind(fc) if fc is not None else "missing"
    ok = is_a(fc, nnq.Linear) and not is_a(fc, nnqd.Linear)
    if ok:
        return passed(
            "The classifier (fc) is a static INT8 Linear.",
            measured=kind,
            threshold="torch.ao.nn.quantized.Linear",
        )
    hint = (
        " It is dynamically quantized: this exercise is static quantization."
        if is_a(fc, nnqd.Linear)
        else _unconverted_hint(_model(ctx))
    )
    return failed(
        f"The classifier (fc) is a {kind}, not an INT8 Linear.{hint}",
        measured=kind,
        threshold="torch.ao.nn.quantized.Linear",
    )


@suite.check(f"size <= {MAX_SIZE_RATIO:.2f} of FP32", needs=("returns a module",))
def size_ratio(ctx: Context):
    fp32 = ctx.store["fp32_bytes"]
    size = state_dict_bytes(_model(ctx))
    ratio = size / fp32
    smaller = f"{fp32 / size:.1f}x smaller" if size < fp32 else "no smaller than FP32"
    return verdict(
        ratio <= MAX_SIZE_RATIO,
        f"state_dict: {mb(size)} vs {mb(fp32)} in FP32, {ratio:.2f} of the size ({smaller}).",
        measured=round(ratio, 4),
        threshold=f"<= {MAX_SIZE_RATIO:.2f}",
    )


@suite.check("input range fits the data", needs=("returns a module",))
def input_range(ctx: Context):
    """On these easy digits even a model calibrated on noise keeps its accuracy, so the
    calibration is judged directly: the input quantizer's range against the real images'."""
    model = _model(ctx)
    quantizers = [m for _, m in named_modules(model) if is_a(m, nnq.Quantize)]
    if not quantizers:
        return failed(
            "No input quantizer (the QuantStub becomes a Quantize module on convert()).",
            threshold="a calibrated Quantize module",
        )
    quantizer = quantizers[0]
    scale, zero_point = float(quantizer.scale), int(quantizer.zero_point)
    info = torch.iinfo(torch.uint8 if quantizer.dtype == torch.quint8 else torch.int8)
    low = (info.min - zero_point) * scale
    high = (info.max - zero_point) * scale
    data = torch.cat([b.flatten() for b in ctx.store["batches"]])
    data_low, data_high = data.min().item(), data.max().item()
    span = data_high - data_low
    misfit = abs(low - data_low) / span
    clipped = ((data < low - scale / 2) | (data > high + scale / 2)).double().mean().item()
    threshold = f"<= {MAX_RANGE_MISFIT:.2f} misfit, <= {100 * MAX_CLIPPED:.1f}% clipped"
    figures = (
        f"the input quantizer starts at {low:.2f} (step {scale:.4f}); the calibration "
        f"images span [{data_low:.2f}, {data_high:.2f}]"
    )
    if misfit <= MAX_RANGE_MISFIT and clipped <= MAX_CLIPPED:
        return passed(f"Calibrated on the real data: {figures}.", round(misfit, 4), threshold)
    return failed(
        f"The activation ranges do not fit the real inputs: {figures}"
        + (
            f", and {100 * clipped:.1f}% of their values are clipped"
            if clipped > MAX_CLIPPED
            else ""
        )
        + ". Calibrate by running `calibration_batches` through the prepared model, not random "
        "data.",
        round(misfit, 4),
        threshold,
    )


# Accuracy and speed are figures of the INT8 model: a float one is not measured.
@suite.check("runs on new batch sizes", needs=("all convolutions quantized",))
def new_batch_sizes(ctx: Context):
    model = _model(ctx)
    x = ctx.store["held_out_x"][: max(NEW_BATCH_SIZES)]
    whole = predict(ctx, model, x, batch=len(x))
    worst = 0.0
    for size in NEW_BATCH_SIZES:
        pieces = predict(ctx, model, x, batch=size)
        if not torch.equal(pieces.argmax(1), whole.argmax(1)):
            return failed(
                f"Predictions change with the batch size ({size} vs {len(x)}).",
                measured=round((pieces - whole).abs().max().item(), 4),
                threshold="same predictions",
            )
        worst = max(worst, (pieces - whole).abs().max().item())
    sizes = ", ".join(str(s) for s in NEW_BATCH_SIZES)
    return passed(
        f"Same predictions at batch sizes {sizes} (calibrated with {CALIBRATION_BATCH_SIZE}); "
        f"largest logit difference {worst:.4f}.",
        measured=round(worst, 4),
        threshold="same predictions",
    )


def _logits(ctx: Context) -> torch.Tensor:
    return ctx.memo("logits", lambda: predict(ctx, _model(ctx), ctx.store["held_out_x"]))


@suite.check(f"accuracy drop <= {MAX_ACCURACY_DROP:g} point", needs=("runs on new batch sizes",))
def accuracy_drop(ctx: Context):
    logits = _logits(ctx)
    labels = ctx.store["held_out_y"]
    fp32 = 100 * ctx.store["fp32_accuracy"]
    mine = 100 * (logits.argmax(1) == labels).double().mean().item()
    drop = fp32 - mine
    return verdict(
        drop <= MAX_ACCURACY_DROP,
        f"Held-out accuracy {mine:.2f}% vs {fp32:.2f}% in FP32 ({len(labels)} images): "
        f"{'a drop of ' if drop >= 0 else 'a gain of '}{abs(drop):.2f} points.",
        measured=round(drop, 2),
        threshold=f"<= {MAX_ACCURACY_DROP:g} point",
    )


@suite.check(f"top-1 agreement >= {100 * MIN_AGREEMENT:g}%", needs=("runs on new batch sizes",))
def top1_agreement(ctx: Context):
    share = agreement(_logits(ctx), ctx.store["fp32_logits"])
    n = len(ctx.store["fp32_logits"])
    return verdict(
        share >= MIN_AGREEMENT,
        f"Same top-1 class as FP32 on {round(share * n)} of {n} held-out images "
        f"({100 * share:.2f}%).",
        measured=round(100 * share, 2),
        threshold=f">= {100 * MIN_AGREEMENT:g}%",
    )


def _speed(ctx: Context, batch: int, repeats: int):
    x = ctx.store["held_out_x"][:batch]
    timing = compare_latency(ctx, ctx.store["reference"], _model(ctx), x, repeats=repeats)
    return verdict(
        timing.speedup >= MIN_SPEEDUP,
        f"{1000 * timing.candidate_s:.1f} ms vs {1000 * timing.reference_s:.1f} ms in FP32 "
        f"per batch of {batch} (median of {repeats}, {ctx.threads} threads): "
        f"{timing.speedup:.2f}x. Informational: timings vary with the machine and its load.",
        measured=round(timing.speedup, 2),
        threshold=f">= {MIN_SPEEDUP:g}x (soft)",
        soft=True,
    )


@suite.check("speedup at batch 1", soft=True, needs=("runs on new batch sizes",))
def speedup_batch_1(ctx: Context):
    return _speed(ctx, 1, repeats=21)


@suite.check("speedup at batch 64", soft=True, needs=("runs on new batch sizes",))
def speedup_batch_64(ctx: Context):
    return _speed(ctx, 64, repeats=7)
