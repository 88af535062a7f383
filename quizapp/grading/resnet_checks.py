"""The structure checks every digits-ResNet-18 exercise shares (torch, the checker): what the
learner's network is and what one forward pass of it really runs.

An exercise's checks.py builds its suite from these pieces, in the order its learner should
meet them:

    from quizapp.grading import resnet_checks as rc
    from quizapp.grading import resnet_fidelity, resnet_job
    from quizapp.grading.checks import Suite

    suite = Suite()
    resnet_job.add_setup(suite, plain=True)  # checker: baseline, calibration batches, FP32
                                             # figures; learner's process: quantize(), saved
    rc.add_returns_module(suite)
    rc.add_structure_checks(suite, fuse_hint="...", convert_call="convert()")
    rc.add_size_check(suite)
    rc.add_input_range_check(suite)
    rc.add_kernel_checks(suite)              # INT8 kernels, ReLU after adds
    resnet_fidelity.add_fidelity_checks(suite, needs=rc.KERNELS)
    resnet_fidelity.add_speed_checks(suite, needs=resnet_fidelity.NEW_BATCHES)

The job (the baseline's weights, the calibration batches, `quantize(model,
calibration_batches)` in the learner's process) is `quizapp.grading.resnet_job`; the
predictions against FP32 and the speed are `quizapp.grading.resnet_fidelity`.

Every figure is measured by the checker on the learner's TorchScript archive: what a
forward pass really runs (`quizapp.grading.ops`: the INT8 kernels, the float ops, the input
quantizer's range, the negative inputs after a missing ReLU) and the archive's size against
the FP32 network's archive. Class names inside the archive are the learner's to choose;
they only decide which route an exercise allows (eager or FX) and the hints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from quizapp.grading.checker_context import Context, returned_module
from quizapp.grading.checks import LearnerError, Outcome, Suite, failed, passed, verdict
from quizapp.grading.measure import logits_of, mb
from quizapp.grading.ops import FLOAT_CONVS, OpTrace, trace_ops

MAX_SIZE_RATIO = 0.30
MAX_RANGE_MISFIT = 0.05  # of the data's range, at the input quantizer's lower end
MAX_CLIPPED = 0.001  # fraction of the real input values outside the input quantizer's range
TRACE_IMAGES = 8  # held-out images for the recorded forward pass

# Check names other exercises' `needs` refer to.
RETURNS_MODULE = "returns a module"
CONVS = "all convolutions quantized"
FUSED = "conv+bn+relu fused"
FC = "fc quantized"
SIZE = f"size <= {MAX_SIZE_RATIO:.2f} of FP32"
INPUT_RANGE = "input range fits the data"
KERNELS = "runs on INT8 kernels"
RELU_AFTER_ADD = "ReLU after every residual add"
GRAPH = "quantized ops in the graph"

QUANTIZABLE_RESNET = (
    "torchvision.models.quantization.resnet.QuantizableResNet",
    "torchvision.models.quantization.resnet.QuantizableBasicBlock",
    "torchvision.models.quantization.resnet.QuantizableBottleneck",
)


# --- helpers ----------------------------------------------------------------------------


def submission(ctx: Context) -> Any:
    """The learner's network, from its TorchScript archive."""
    return ctx.module("model")


def module_classes(ctx: Context) -> list[str]:
    """The classes of the returned network's modules, as the learner's process saw them."""
    modules = ctx.card("model").get("modules")
    if not isinstance(modules, list):
        return []
    return [str(entry[1]) for entry in modules if isinstance(entry, list) and len(entry) == 2]


def unconverted_hint(ctx: Context, convert_call: str = "convert()") -> str:
    classes = module_classes(ctx)
    if any("Observer" in c or "FakeQuantize" in c for c in classes):
        return f" Observers are attached but the model was never converted: call {convert_call}."
    return f" Did you prepare, calibrate and {convert_call} the model?"


def _shown(names: Sequence[str], limit: int = 4) -> str:
    text = ", ".join(names[:limit])
    return text + (f" and {len(names) - limit} more" if len(names) > limit else "")


def forward(ctx: Context, x: torch.Tensor, *, details: bool = False) -> tuple[OpTrace, Any]:
    """One forward pass of the learner's network on `x`, its ops recorded."""
    model = submission(ctx)
    return ctx.run_model(lambda: trace_ops(lambda: model(x), details=details))


def first_trace(ctx: Context) -> OpTrace:
    """The recorded forward pass of TRACE_IMAGES held-out images (the structure checks')."""

    def compute() -> OpTrace:
        trace, out = forward(ctx, ctx.store["held_out_x"][:TRACE_IMAGES], details=True)
        logits_of(out, TRACE_IMAGES)
        return trace

    return ctx.memo("op_trace", compute)


# --- returns a module -------------------------------------------------------------------


FxPolicy = str  # "refuse" | "allow" | "require"


def returns_module(
    ctx: Context,
    *,
    fx: FxPolicy = "refuse",
    reject: Sequence[tuple[Sequence[str], str]] = (),
) -> Outcome:
    """The network came back and was saved as TorchScript; `fx`: whether an FX GraphModule
    (convert_fx's result) is refused, allowed or required; `reject`: classes (by their
    module path) an exercise refuses, each with the reason shown."""
    outcome = returned_module(ctx)
    if outcome.status != "pass":
        return outcome
    root = str(getattr(submission(ctx), "original_name", ""))
    is_graph = root == "GraphModule"
    wanted = "an FX GraphModule" if fx == "require" else "a torch.nn.Module"
    if fx == "require" and not is_graph:
        return failed(
            f"quantize() returned a {root}, not the GraphModule that convert_fx() returns.",
            measured=root,
            threshold=wanted,
        )
    if fx == "refuse" and is_graph:
        return failed(
            "quantize() returned an FX GraphModule; this exercise is eager mode: prepare() "
            "and convert() the network itself (FX graph mode is the fx-ptq-resnet18 exercise).",
            measured="GraphModule",
            threshold=wanted,
        )
    classes = module_classes(ctx)
    for refused, reason in reject:
        found = [c.rsplit(".", 1)[-1] for c in classes if c in refused]
        if found:
            return failed(
                f"{reason} Found: {_shown(sorted(set(found)), 3)}.", measured=root, threshold=wanted
            )
    return passed(outcome.message, measured=root, threshold=wanted)


def add_returns_module(
    suite: Suite,
    *,
    fx: FxPolicy = "refuse",
    reject: Sequence[tuple[Sequence[str], str]] = (),
) -> None:
    suite.check(RETURNS_MODULE)(lambda ctx: returns_module(ctx, fx=fx, reject=reject))


# --- structure: what one forward pass runs ------------------------------------------------


def crashed(ctx: Context, exc: LearnerError, threshold: str, check: str) -> Outcome:
    """A check that could not run the model: the first says why in full, the rest refer
    to it."""
    first = ctx.store.setdefault("crash_reported_by", check)
    if first != check:
        return failed(f"Not measured: your model crashed (see {first!r}).", "crashed", threshold)
    return failed(explain_crash(exc.message), measured="crashed", threshold=threshold)


def convolutions_quantized(ctx: Context, convert_call: str = "convert()") -> Outcome:
    expected = ctx.store["convs"]
    threshold = f"{expected} of {expected}"
    try:
        trace = first_trace(ctx)
    except LearnerError as exc:
        return crashed(ctx, exc, threshold, CONVS)
    quantized = [op for op in trace.quantized_convs if op.weight_dtype == torch.qint8]
    float_convs = trace.float_convs
    if not float_convs and len(quantized) == expected:
        fused = sum(1 for op in quantized if "relu" in op.name)
        return passed(
            f"All {expected} convolutions ran as INT8 kernels with qint8 weights ({fused} fused "
            "with their ReLU).",
            measured=len(quantized),
            threshold=threshold,
        )
    message = f"{len(quantized)} of {expected} convolutions ran as INT8 kernels."
    if float_convs:
        names = _float_conv_names(ctx, trace)
        message += f" Still float: {_shown(names)}." + unconverted_hint(ctx, convert_call)
    return failed(message, measured=len(quantized), threshold=threshold)


def _float_conv_names(ctx: Context, trace: OpTrace) -> list[str]:
    """The float convolutions of a forward pass, named after the checker's own network (the
    i-th convolution run is the i-th convolution of ResNet-18; when float ones run beside
    INT8 ones, the i-th float one)."""
    names = ctx.store["layer_names"]
    convs = [
        op for op in trace.ops if op.name in FLOAT_CONVS or op.name.startswith("quantized.conv")
    ]
    floats = [i for i, op in enumerate(convs) if op.name in FLOAT_CONVS]
    if len(convs) != ctx.store["convs"]:
        floats = list(range(len(floats)))
    return [names[i] if i < len(names) else f"convolution {i + 1}" for i in floats]


def fused(ctx: Context, fuse_hint: str) -> Outcome:
    expected = ctx.store["conv_bn_relu"]
    threshold = f"0 BatchNorm, {expected} conv+ReLU"
    try:
        trace = first_trace(ctx)
    except LearnerError as exc:
        return crashed(ctx, exc, threshold, FUSED)
    batch_norms, conv_relu = trace.batch_norms, trace.conv_relus()
    measured = f"{batch_norms} BatchNorm, {conv_relu} conv+ReLU"
    if not batch_norms and conv_relu >= expected:
        return passed(
            f"No BatchNorm ran; {conv_relu} convolutions feed their ReLU directly (fused).",
            measured=measured,
            threshold=threshold,
        )
    problems = []
    if batch_norms:
        problems.append(f"{batch_norms} BatchNorm layers still ran")
    if conv_relu < expected:
        problems.append(f"{conv_relu} of {expected} conv+bn+relu groups are fused")
    return failed("; ".join(problems) + ". " + fuse_hint, measured=measured, threshold=threshold)


def fc_quantized(ctx: Context, convert_call: str = "convert()") -> Outcome:
    threshold = "an INT8 linear kernel, no float matmul"
    try:
        trace = first_trace(ctx)
    except LearnerError as exc:
        return crashed(ctx, exc, threshold, FC)
    linears = [op.name for op in trace.quantized_linears]
    matmuls = [name for name in trace.float_compute if name not in FLOAT_CONVS]
    static = [name for name in linears if "dynamic" not in name]
    if static and not matmuls:
        return passed(
            "The classifier (fc) ran as a static INT8 linear kernel.", "quantized.linear", threshold
        )
    if linears and not static:
        hint = " It is dynamically quantized: this exercise is static quantization."
        shown = linears[0]
    else:
        hint = unconverted_hint(ctx, convert_call)
        shown = matmuls[0] if matmuls else "missing"
    return failed(
        f"The classifier (fc) ran as {shown}, not an INT8 linear.{hint}", shown, threshold
    )


def add_structure_checks(suite: Suite, *, fuse_hint: str, convert_call: str = "convert()") -> None:
    """all convolutions quantized, conv+bn+relu fused, fc quantized."""
    needs = (RETURNS_MODULE,)
    suite.check(CONVS, needs=needs)(lambda ctx: convolutions_quantized(ctx, convert_call))
    suite.check(FUSED, needs=needs)(lambda ctx: fused(ctx, fuse_hint))
    suite.check(FC, needs=needs)(lambda ctx: fc_quantized(ctx, convert_call))


# --- size -------------------------------------------------------------------------------


def size_ratio(ctx: Context) -> Outcome:
    fp32 = ctx.store["fp32_bytes"]
    size = ctx.out.size("model")
    ratio = size / fp32
    smaller = f"{fp32 / size:.1f}x smaller" if size < fp32 else "no smaller than FP32"
    return verdict(
        ratio <= MAX_SIZE_RATIO,
        f"TorchScript archive: {mb(size)} vs {mb(fp32)} for the FP32 network, {ratio:.2f} of "
        f"the size ({smaller}).",
        measured=round(ratio, 4),
        threshold=f"<= {MAX_SIZE_RATIO:.2f}",
    )


def add_size_check(suite: Suite) -> None:
    suite.check(SIZE, needs=(RETURNS_MODULE,), direction="lower")(size_ratio)


# --- calibration: the input quantizer's range -------------------------------------------


@dataclass(frozen=True)
class InputQuantizer:
    scale: float
    zero_point: int
    dtype: torch.dtype


def input_quantizer(trace: OpTrace) -> InputQuantizer | None:
    """The first quantize_per_tensor a forward pass ran (a QuantStub's Quantize, FX's
    quantize node), with the scale and zero point it used."""
    op = trace.input_quantizer
    if op is None or op.scale is None or op.zero_point is None:
        return None
    return InputQuantizer(op.scale, op.zero_point, op.dtype or torch.quint8)


def input_range(ctx: Context) -> Outcome:
    """On these easy digits even a model calibrated on noise keeps its accuracy, so the
    calibration is judged directly: the input quantizer's range against the real images'."""
    threshold = f"<= {MAX_RANGE_MISFIT:.2f} misfit, <= {100 * MAX_CLIPPED:.1f}% clipped"
    try:
        quantizer = input_quantizer(first_trace(ctx))
    except LearnerError as exc:
        return crashed(ctx, exc, threshold, INPUT_RANGE)
    if quantizer is None:
        return failed(
            "No input quantizer ran (a QuantStub becomes a Quantize module on convert(); FX "
            "inserts a quantize_per_tensor).",
            threshold="a calibrated input quantizer",
        )
    scale, zero_point = quantizer.scale, quantizer.zero_point
    info = torch.iinfo(torch.uint8 if quantizer.dtype == torch.quint8 else torch.int8)
    low = (info.min - zero_point) * scale
    high = (info.max - zero_point) * scale
    data = torch.cat([b.flatten() for b in ctx.store["batches"]])
    data_low, data_high = data.min().item(), data.max().item()
    span = data_high - data_low
    misfit = abs(low - data_low) / span
    clipped = ((data < low - scale / 2) | (data > high + scale / 2)).double().mean().item()
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


def add_input_range_check(suite: Suite) -> None:
    suite.check(INPUT_RANGE, needs=(RETURNS_MODULE,), direction="lower")(input_range)


# --- what a forward pass really runs ----------------------------------------------------

_DISPATCH_HINTS = (
    (
        r"'quantized::\w+[.\w]*' with arguments from the 'CPU' backend",
        "A float tensor reached a quantized layer: the network needs a QuantStub in front of "
        "its first convolution (and a DeQuantStub after fc).",
    ),
    (
        r"'aten::add[_.\w]*' with arguments from the 'QuantizedCPU' backend",
        "The residual `out += identity` ran on quantized tensors: eager mode needs a "
        "FloatFunctional in every block (`self.skip_add.add_relu(out, identity)`).",
    ),
    (
        r"'aten::\w+[.\w]*' with arguments from the 'QuantizedCPU' backend",
        "A quantized tensor reached a float operation: every op between the QuantStub and "
        "the DeQuantStub must be a module that convert() can swap.",
    ),
)


def explain_crash(message: str) -> str:
    """A LearnerError from running the model, with the dispatcher's list of backends cut
    and the usual eager-mode cause named first."""
    import re

    message = re.sub(
        r" This could be because the operator doesn't exist.*?(?=\nTraceback \(your code|\Z)",
        "",
        message,
        flags=re.DOTALL,
    )
    for pattern, hint in _DISPATCH_HINTS:
        if re.search(pattern, message):
            return f"{hint}\n{message}"
    return message


def int8_kernels(ctx: Context) -> Outcome:
    convs, blocks = ctx.store["convs"], ctx.store["blocks"]
    threshold = f"{convs} conv, 1 linear, {blocks} add in INT8; no float compute"
    try:
        trace = first_trace(ctx)
    except LearnerError as exc:
        return crashed(ctx, exc, threshold, KERNELS)
    q_convs, q_linears = len(trace.quantized_convs), len(trace.quantized_linears)
    measured = (
        f"{q_convs} conv, {q_linears} linear, {trace.quantized_adds} add in INT8; "
        f"{len(trace.float_compute) + trace.float_adds} float"
    )
    problems = []
    if trace.float_compute:
        problems.append(f"float compute ran ({trace.counts()})")
    if trace.float_adds:
        problems.append(
            f"{trace.float_adds} residual adds ran in float (dequantize, add, quantize "
            "again): use a FloatFunctional, which convert() makes an INT8 add"
        )
    if q_convs != convs:
        problems.append(f"{q_convs} of {convs} convolutions ran in INT8")
    if q_linears < 1:
        problems.append("the classifier did not run in INT8")
    if trace.quantized_adds != blocks:
        problems.append(f"{trace.quantized_adds} of {blocks} residual adds ran in INT8")
    if problems:
        return failed(
            f"One forward pass of {TRACE_IMAGES} images: " + "; ".join(problems) + ".",
            measured,
            threshold,
        )
    return passed(
        f"One forward pass of {TRACE_IMAGES} images ran {q_convs} INT8 convolutions, "
        f"{q_linears} INT8 linear and {trace.quantized_adds} INT8 residual adds, and no float "
        "convolution, matmul or add.",
        measured,
        threshold,
    )


def relu_after_adds(ctx: Context) -> Outcome:
    """Every layer after the stem reads a ReLU's output, so its input is never negative;
    a negative input means a residual add lost its ReLU (BasicBlock's `self.relu` is called
    twice, and fusing it into conv1 turns the second call into Identity)."""
    trace = first_trace(ctx)
    layers = [op for op in trace.ops if op.negative_input is not None]
    after_stem = layers[1:]
    negative = sum(1 for op in after_stem if op.negative_input)
    threshold = "0 layers with negative inputs"
    if not negative:
        return passed(
            f"All {len(after_stem)} layers after the stem get non-negative inputs: every "
            "residual add is followed by its ReLU.",
            measured=0,
            threshold=threshold,
        )
    return failed(
        f"{negative} of {len(after_stem)} layers after the stem get negative inputs: a "
        "residual add is not followed by its ReLU. torchvision's BasicBlock calls `self.relu` "
        "twice; fusing it into conv1 makes it an Identity, so the ReLU after the add silently "
        "disappears. Give the add its own ReLU (or use FloatFunctional.add_relu).",
        measured=negative,
        threshold=threshold,
    )


def add_kernel_checks(suite: Suite, *, needs: Sequence[str] = (CONVS,)) -> None:
    """runs on INT8 kernels; ReLU after every residual add."""
    suite.check(KERNELS, needs=needs)(int8_kernels)
    suite.check(RELU_AFTER_ADD, needs=(KERNELS,))(relu_after_adds)


# --- FX graphs ----------------------------------------------------------------------------


def graph_quantized(ctx: Context) -> Outcome:
    """What the converted graph runs: the input quantized, every residual add an INT8 op,
    the output dequantized, no float add left."""
    blocks = ctx.store["blocks"]
    threshold = f">= 1 quantize_per_tensor, {blocks} quantized add, 0 float add"
    try:
        trace = first_trace(ctx)
    except LearnerError as exc:
        return crashed(ctx, exc, threshold, GRAPH)
    quantize = trace.count(lambda op: op.name == "aten.quantize_per_tensor")
    q_adds, float_adds, dequantize = trace.quantized_adds, trace.float_adds, trace.dequantizes
    measured = (
        f"{quantize} quantize_per_tensor, {q_adds} quantized add, {dequantize} dequantize, "
        f"{float_adds} float add"
    )
    if quantize and q_adds == blocks and dequantize and not float_adds:
        return passed(
            f"The graph quantizes its input ({quantize} quantize_per_tensor), runs all "
            f"{blocks} residual adds as INT8 ops (quantized.add_relu) and dequantizes the "
            "logits.",
            measured,
            threshold,
        )
    problems = []
    if not quantize:
        problems.append("no quantize_per_tensor quantizes the input")
    if q_adds != blocks:
        problems.append(f"{q_adds} of {blocks} residual adds are quantized ops")
    if float_adds:
        problems.append(f"{float_adds} float adds are left")
    if not dequantize:
        problems.append("nothing dequantizes the output")
    return failed(
        "In the graph: " + "; ".join(problems) + "." + unconverted_hint(ctx, "convert_fx()"),
        measured,
        threshold,
    )


def add_graph_check(suite: Suite, *, needs: Sequence[str] = (RETURNS_MODULE,)) -> None:
    """quantized ops in the graph (FX): the model must be a GraphModule (see returns_module)."""
    suite.check(GRAPH, needs=needs)(graph_quantized)
