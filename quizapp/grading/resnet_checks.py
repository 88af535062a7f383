"""The checks every digits-ResNet-18 exercise shares (worker side: torch).

An exercise's checks.py builds its suite from these pieces, in the order its learner should
meet them:

    from quizapp.grading import resnet_checks as rc
    from quizapp.grading.checks import Suite

    suite = Suite()
    rc.add_setup(suite, plain=True)      # baseline, calibration batches, FP32 figures;
                                         # submit: quantize(model, calibration_batches)
    rc.add_returns_module(suite, own_classes=True)
    rc.add_structure_checks(suite, fuse_hint="...", convert_call="convert()")
    rc.add_size_check(suite)
    rc.add_input_range_check(suite)
    rc.add_kernel_checks(suite)          # what really runs: INT8 kernels, ReLU after adds
    rc.add_fidelity_checks(suite, needs=rc.KERNELS)
    rc.add_speed_checks(suite, needs=rc.NEW_BATCHES)

The learner gets a copy of the FP32 baseline (`quizapp.grading.baseline`: torchvision's
quantizable ResNet-18, or with `plain=True` the same weights in plain
`torchvision.models.resnet18`) in eval mode, and 8 batches of 32 real training images. The
held-out split is only ever used here. The pieces read and write `ctx.store` under the
keys `add_setup` documents, so an exercise can add checks of its own between them.

Models are measured without trusting them (see quizapp.grading.checks): types by
`is_a`, modules through torch's own unbound methods, and what a forward pass really
computes by recording the ATen and quantized ops it dispatches (`trace_ops`), so a
learner-written module cannot pass with a float computation hidden behind INT8 modules.
"""

from __future__ import annotations

import builtins
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.ao.nn.intrinsic as nni
import torch.ao.nn.intrinsic.quantized as nniq
import torch.ao.nn.quantized as nnq
import torch.ao.nn.quantized.dynamic as nnqd
import torch.fx
from torch.ao.quantization import FakeQuantizeBase, ObserverBase
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils._python_dispatch import TorchDispatchMode
from torchvision.models.resnet import BasicBlock

from quizapp.grading.baseline import ensure_baseline
from quizapp.grading.checks import (
    Context,
    LearnerError,
    Outcome,
    Suite,
    agreement,
    compare_latency,
    errored,
    failed,
    foreign_modules,
    is_a,
    kind,
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
CALIBRATION_SEED = 6
MAX_SIZE_RATIO = 0.30
MAX_ACCURACY_DROP = 1.0  # percentage points
MIN_AGREEMENT = 0.97
MAX_RANGE_MISFIT = 0.05  # of the data's range, at the input quantizer's lower end
MAX_CLIPPED = 0.001  # fraction of the real input values outside the input quantizer's range
NEW_BATCH_SIZES = (1, 7, 50)  # calibration used 32
MIN_SPEEDUP = 1.0  # soft: reported, never fails the exercise
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
NEW_BATCHES = "runs on new batch sizes"
ACCURACY = f"accuracy drop <= {MAX_ACCURACY_DROP:g} point"
AGREEMENT = f"top-1 agreement >= {100 * MIN_AGREEMENT:g}%"
GRAPH = "quantized ops in the graph"

# Captured before any learner code runs (see quizapp.grading.checks).
_getattr = builtins.getattr
_call_module = torch.nn.Module.__call__
_quantize_per_tensor = torch.quantize_per_tensor
_GraphModule = torch.fx.GraphModule
_Tensor = torch.Tensor


# --- setup ------------------------------------------------------------------------------


def calibration_batches(train_x: torch.Tensor) -> list[torch.Tensor]:
    """A fixed draw of real training images, the same for every learner and every run."""
    generator = torch.Generator().manual_seed(CALIBRATION_SEED)
    take = torch.randperm(len(train_x), generator=generator)
    take = take[: CALIBRATION_BATCHES * CALIBRATION_BATCH_SIZE]
    return [
        train_x[take[i : i + CALIBRATION_BATCH_SIZE]].clone()
        for i in range(0, len(take), CALIBRATION_BATCH_SIZE)
    ]


def setup(ctx: Context, *, plain: bool = False) -> None:
    """Fill `ctx.store`: reference (the FP32 model), learner_copy (the learner's), batches,
    held_out_x/y, fp32_logits, fp32_accuracy, fp32_bytes, convs (20), conv_bn_relu (9:
    the stem and the first conv of every block), blocks (8)."""
    baseline = ensure_baseline(progress=ctx.progress)
    digits = baseline.digits
    build = baseline.plain_model if plain else baseline.model
    reference = build()
    with torch.no_grad():
        fp32_logits = reference(digits.held_out_x)
    blocks = len(modules_of(reference, BasicBlock))
    ctx.store.update(
        reference=reference,
        learner_copy=build(),
        batches=calibration_batches(digits.train_x),
        held_out_x=digits.held_out_x,
        held_out_y=digits.held_out_y,
        fp32_logits=fp32_logits,
        fp32_accuracy=(fp32_logits.argmax(1) == digits.held_out_y).double().mean().item(),
        fp32_bytes=state_dict_bytes(reference),
        convs=len(modules_of(reference, torch.nn.Conv2d)),
        conv_bn_relu=1 + blocks,
        blocks=blocks,
    )


def submit(ctx: Context) -> object:
    """quantize(model, calibration_batches), on the learner's copies."""
    batches = [b.clone() for b in ctx.store["batches"]]
    return ctx.call(ctx.entry, ctx.store.pop("learner_copy"), batches, what="quantize()")


def add_setup(suite: Suite, *, plain: bool = False) -> None:
    suite.setup(lambda ctx: setup(ctx, plain=plain))
    suite.submit(submit)


# --- helpers ----------------------------------------------------------------------------


def submission(ctx: Context) -> torch.nn.Module:
    return ctx.submission


def classifier(model: torch.nn.Module) -> tuple[str, torch.nn.Module] | None:
    """The last submodule called `fc` (`fc`, or `1.fc` inside a wrapper), if any."""
    found = [(name, m) for name, m in named_modules(model) if name.rsplit(".", 1)[-1] == "fc"]
    return found[-1] if found else None


def unconverted_hint(model: torch.nn.Module, convert_call: str = "convert()") -> str:
    if modules_of(model, (ObserverBase, FakeQuantizeBase)):
        return f" Observers are attached but the model was never converted: call {convert_call}."
    return f" Did you prepare, calibrate and {convert_call} the model?"


def _shown(names: Sequence[str], limit: int = 4) -> str:
    text = ", ".join(names[:limit])
    return text + (f" and {len(names) - limit} more" if len(names) > limit else "")


# --- returns a module -------------------------------------------------------------------


def _is_fx_graph_module(module: object) -> bool:
    """An FX GraphModule as torch makes it (its class is generated per instance)."""
    cls = type(module)
    return (
        cls.__module__ == "torch.fx.graph_module"
        and cls.__bases__ == (_GraphModule,)
        and cls.__qualname__ == "GraphModule.__new__.<locals>.GraphModuleImpl"
    )


FxPolicy = Literal["refuse", "allow", "require"]


def returns_module(
    ctx: Context,
    *,
    own_classes: bool = False,
    fx: FxPolicy = "refuse",
    reject: Sequence[tuple[type | tuple[type, ...], str]] = (),
) -> Outcome:
    """`own_classes`: modules whose class the learner's file defines (at its top level) are
    allowed; `fx`: whether an FX GraphModule (convert_fx's result) is refused, allowed or
    required; `reject`: module classes that are refused, each with the reason shown."""
    model = ctx.submission
    if not is_a(model, torch.nn.Module):
        shown = "None" if model is None else f"a {type(model).__name__}"
        hint = " (did you forget `return model`?)" if model is None else ""
        return errored(
            f"quantize() returned {shown}, not a torch.nn.Module{hint}.",
            measured=type(model).__name__,
            threshold="a torch.nn.Module",
        )
    wanted = "an FX GraphModule" if fx == "require" else "a torch.nn.Module"
    is_graph = _is_fx_graph_module(model)
    if fx == "require" and not is_graph:
        return failed(
            f"quantize() returned a {type(model).__name__}, not the GraphModule that "
            "convert_fx() returns.",
            measured=type(model).__name__,
            threshold=wanted,
        )
    if fx == "refuse" and is_graph:
        return failed(
            "quantize() returned an FX GraphModule; this exercise is eager mode: prepare() "
            "and convert() the network itself (FX graph mode is the fx-ptq-resnet18 exercise).",
            measured="GraphModule",
            threshold=wanted,
        )
    packages = ("torch", "torchvision", "learner") if own_classes else ("torch", "torchvision")
    foreign = foreign_modules(model, packages)
    if is_graph:  # its class is generated for each instance
        foreign = [entry for entry in foreign if not entry.startswith("the model (")]
    if foreign:
        if own_classes:
            message = (
                f"The returned network contains modules whose classes are neither torch's, "
                f"torchvision's nor defined at the top level of your file: "
                f"{', '.join(foreign[:3])}."
            )
        else:
            message = (
                "The returned network contains modules that are not torch's or torchvision's: "
                f"{', '.join(foreign[:3])}. Quantize the network you were given; don't wrap it."
            )
        return failed(message, measured=type(model).__name__, threshold=wanted)
    for classes, reason in reject:
        refused = [
            f"{name or 'the model'} ({type(m).__name__})"
            for name, m in named_modules(model)
            if is_a(m, classes)
        ]
        if refused:
            return failed(
                f"{reason} Found: {_shown(refused, 3)}.",
                measured=type(model).__name__,
                threshold=wanted,
            )
    patched = patched_instances(model)
    if patched:
        instead = (
            "define them in a class instead"
            if own_classes
            else "return the network as torch's convert() produces it"
        )
        return failed(
            f"Methods were replaced on the returned modules ({', '.join(patched[:3])}); {instead}.",
            measured=type(model).__name__,
            threshold=wanted,
        )
    torch.nn.Module.eval(model)  # the grader evaluates, as anyone using the model would
    shown = "GraphModule" if is_graph else type(model).__name__
    return passed(f"quantize() returned a {shown}.", measured=shown, threshold=wanted)


def add_returns_module(
    suite: Suite,
    *,
    own_classes: bool = False,
    fx: FxPolicy = "refuse",
    reject: Sequence[tuple[type | tuple[type, ...], str]] = (),
) -> None:
    suite.check(RETURNS_MODULE)(
        lambda ctx: returns_module(ctx, own_classes=own_classes, fx=fx, reject=reject)
    )


# --- structure: the modules convert() produced ------------------------------------------


def convolutions_quantized(ctx: Context, convert_call: str = "convert()") -> Outcome:
    model = submission(ctx)
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
    message = f"{len(quantized)} of {expected} convolutions are INT8."
    if float_convs:
        message += f" Still float: {_shown(float_convs)}." + unconverted_hint(model, convert_call)
    return failed(message, measured=len(quantized), threshold=threshold)


def fused(ctx: Context, fuse_hint: str) -> Outcome:
    model = submission(ctx)
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
    return failed("; ".join(problems) + ". " + fuse_hint, measured=measured, threshold=threshold)


def fc_quantized(ctx: Context, convert_call: str = "convert()") -> Outcome:
    found = classifier(submission(ctx))
    fc = found[1] if found else None
    shown = kind(fc) if found else "missing"
    threshold = "torch.ao.nn.quantized.Linear"
    if is_a(fc, nnq.Linear) and not is_a(fc, nnqd.Linear):
        return passed("The classifier (fc) is a static INT8 Linear.", shown, threshold)
    if not found:
        return failed("The network has no classifier called fc.", shown, threshold)
    hint = (
        " It is dynamically quantized: this exercise is static quantization."
        if is_a(fc, nnqd.Linear)
        else unconverted_hint(submission(ctx), convert_call)
    )
    return failed(f"The classifier (fc) is a {shown}, not an INT8 Linear.{hint}", shown, threshold)


def add_structure_checks(suite: Suite, *, fuse_hint: str, convert_call: str = "convert()") -> None:
    """all convolutions quantized, conv+bn+relu fused, fc quantized."""
    needs = (RETURNS_MODULE,)
    suite.check(CONVS, needs=needs)(lambda ctx: convolutions_quantized(ctx, convert_call))
    suite.check(FUSED, needs=needs)(lambda ctx: fused(ctx, fuse_hint))
    suite.check(FC, needs=needs)(lambda ctx: fc_quantized(ctx, convert_call))


# --- size -------------------------------------------------------------------------------


def size_ratio(ctx: Context) -> Outcome:
    fp32 = ctx.store["fp32_bytes"]
    size = state_dict_bytes(submission(ctx))
    ratio = size / fp32
    smaller = f"{fp32 / size:.1f}x smaller" if size < fp32 else "no smaller than FP32"
    return verdict(
        ratio <= MAX_SIZE_RATIO,
        f"state_dict: {mb(size)} vs {mb(fp32)} in FP32, {ratio:.2f} of the size ({smaller}).",
        measured=round(ratio, 4),
        threshold=f"<= {MAX_SIZE_RATIO:.2f}",
    )


def add_size_check(suite: Suite) -> None:
    suite.check(SIZE, needs=(RETURNS_MODULE,))(size_ratio)


# --- calibration: the input quantizer's range -------------------------------------------


@dataclass(frozen=True)
class InputQuantizer:
    scale: float
    zero_point: int
    dtype: torch.dtype
    where: str  # "the QuantStub" / "the graph's quantize_per_tensor"


def _graph_value(model: torch.nn.Module, arg: object) -> object:
    """A quantize_per_tensor argument: a constant, or a get_attr node read from the model."""
    if isinstance(arg, torch.fx.Node):
        if arg.op != "get_attr":
            return None
        value: object = model
        for part in str(arg.target).split("."):
            value = _getattr(value, part, None)
        return value
    return arg


def input_quantizer(model: torch.nn.Module) -> InputQuantizer | None:
    """The first quantizer of the input: the Quantize module a QuantStub becomes (eager), or
    the graph's first `torch.quantize_per_tensor` (FX)."""
    for _, module in named_modules(model):
        if is_a(module, nnq.Quantize):
            return InputQuantizer(
                float(module.scale), int(module.zero_point), module.dtype, "the QuantStub"
            )
    if is_a(model, _GraphModule):
        for node in model.graph.nodes:
            if node.op == "call_function" and node.target is _quantize_per_tensor:
                scale, zero_point = (_graph_value(model, a) for a in node.args[1:3])
                dtype = node.args[3] if len(node.args) > 3 else node.kwargs.get("dtype")
                if isinstance(scale, (int, float, _Tensor)) and isinstance(
                    zero_point, (int, float, _Tensor)
                ):
                    return InputQuantizer(
                        float(scale), int(zero_point), dtype, "the graph's quantize_per_tensor"
                    )
    return None


def input_range(ctx: Context) -> Outcome:
    """On these easy digits even a model calibrated on noise keeps its accuracy, so the
    calibration is judged directly: the input quantizer's range against the real images'."""
    quantizer = input_quantizer(submission(ctx))
    if quantizer is None:
        return failed(
            "No input quantizer (a QuantStub becomes a Quantize module on convert(); FX "
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


def add_input_range_check(suite: Suite) -> None:
    suite.check(INPUT_RANGE, needs=(RETURNS_MODULE,))(input_range)


# --- what a forward pass really runs ----------------------------------------------------

# Float compute that an INT8 ResNet must not run (ATen op packets, as dispatched).
_FLOAT_COMPUTE = frozenset(
    "aten." + name
    for name in [
        "convolution",
        "_convolution",
        "conv1d",
        "conv2d",
        "conv3d",
        "mkldnn_convolution",
        "_slow_conv2d_forward",
        "thnn_conv2d",
        "conv_transpose2d",
        "linear",
        "mm",
        "addmm",
        "bmm",
        "baddbmm",
        "matmul",
        "mv",
        "addmv",
        "dot",
        "einsum",
        "_mkldnn_linear",
    ]
)
_FLOAT_ADDS = frozenset({"aten.add", "aten.add_"})


@dataclass
class OpTrace:
    """What one forward pass dispatched."""

    quantized_convs: int = 0
    quantized_linears: int = 0
    quantized_adds: int = 0
    float_compute: list[str] = field(default_factory=list)  # op names, in order
    float_adds: int = 0  # adds of float activations (a float island around a residual)
    # per quantized conv/linear, in call order: did its input hold negative values?
    negative_inputs: list[tuple[str, bool]] = field(default_factory=list)


class _Recorder(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.trace = OpTrace()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        name = str(func.overloadpacket)
        trace = self.trace
        if name.startswith("quantized.conv"):
            trace.quantized_convs += 1
            trace.negative_inputs.append(("conv", _has_negative(args[0])))
        elif name.startswith("quantized.linear"):
            trace.quantized_linears += 1
            trace.negative_inputs.append(("linear", _has_negative(args[0])))
        elif name.startswith("quantized.add"):
            trace.quantized_adds += 1
        elif name in _FLOAT_COMPUTE:
            trace.float_compute.append(name)
        elif name in _FLOAT_ADDS and all(
            isinstance(a, _Tensor) and not a.is_quantized and a.dim() >= 2 for a in args[:2]
        ):
            trace.float_adds += 1
        return func(*args, **(kwargs or {}))


def _has_negative(x: object) -> bool:
    if not isinstance(x, _Tensor):
        return False
    values = x.dequantize() if x.is_quantized else x
    return bool((values < 0).any())


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


def trace_ops(ctx: Context, model: torch.nn.Module, x: torch.Tensor) -> OpTrace:
    """Run one forward pass and record the ops it dispatches (learner errors propagate)."""
    recorder = _Recorder()
    with torch.no_grad(), recorder:
        ctx.call(_call_module, model, x, what="your model")
    return recorder.trace


def _trace(ctx: Context) -> OpTrace:
    x = ctx.store["held_out_x"][:TRACE_IMAGES]
    return ctx.memo("op_trace", lambda: trace_ops(ctx, submission(ctx), x))


def int8_kernels(ctx: Context) -> Outcome:
    convs, blocks = ctx.store["convs"], ctx.store["blocks"]
    threshold = f"{convs} conv, 1 linear, {blocks} add in INT8; no float compute"
    try:
        trace = _trace(ctx)
    except LearnerError as exc:
        return failed(explain_crash(exc.message), measured="crashed", threshold=threshold)
    measured = (
        f"{trace.quantized_convs} conv, {trace.quantized_linears} linear, "
        f"{trace.quantized_adds} add in INT8; "
        f"{len(trace.float_compute) + trace.float_adds} float"
    )
    problems = []
    if trace.float_compute:
        counts: dict[str, int] = {}
        for name in trace.float_compute:
            counts[name] = counts.get(name, 0) + 1
        shown = ", ".join(f"{n} x{c}" for n, c in counts.items())
        problems.append(f"float compute ran ({shown})")
    if trace.float_adds:
        problems.append(
            f"{trace.float_adds} residual adds ran in float (dequantize, add, quantize "
            "again): use a FloatFunctional, which convert() makes an INT8 add"
        )
    if trace.quantized_convs != convs:
        problems.append(f"{trace.quantized_convs} of {convs} convolutions ran in INT8")
    if trace.quantized_linears < 1:
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
        f"One forward pass of {TRACE_IMAGES} images ran {trace.quantized_convs} INT8 "
        f"convolutions, {trace.quantized_linears} INT8 linear and {trace.quantized_adds} INT8 "
        "residual adds, and no float convolution, matmul or add.",
        measured,
        threshold,
    )


def relu_after_adds(ctx: Context) -> Outcome:
    """Every layer after the stem reads a ReLU's output, so its input is never negative;
    a negative input means a residual add lost its ReLU (BasicBlock's `self.relu` is called
    twice, and fusing it into conv1 turns the second call into Identity)."""
    trace = _trace(ctx)
    after_stem = trace.negative_inputs[1:]
    negative = sum(1 for _, neg in after_stem if neg)
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


# --- fidelity: predictions against FP32 -------------------------------------------------


def new_batch_sizes(ctx: Context) -> Outcome:
    model = submission(ctx)
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


def held_out_logits(ctx: Context) -> torch.Tensor:
    return ctx.memo("logits", lambda: predict(ctx, submission(ctx), ctx.store["held_out_x"]))


def accuracy_drop(ctx: Context) -> Outcome:
    logits = held_out_logits(ctx)
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


def top1_agreement(ctx: Context) -> Outcome:
    share = agreement(held_out_logits(ctx), ctx.store["fp32_logits"])
    n = len(ctx.store["fp32_logits"])
    return verdict(
        share >= MIN_AGREEMENT,
        f"Same top-1 class as FP32 on {round(share * n)} of {n} held-out images "
        f"({100 * share:.2f}%).",
        measured=round(100 * share, 2),
        threshold=f">= {100 * MIN_AGREEMENT:g}%",
    )


def add_fidelity_checks(suite: Suite, *, needs: Sequence[str] = (CONVS,)) -> None:
    """runs on new batch sizes, accuracy drop, top-1 agreement: figures of the INT8 model,
    so they run once `needs` passed (a float model is not measured)."""
    suite.check(NEW_BATCHES, needs=needs)(new_batch_sizes)
    suite.check(ACCURACY, needs=(NEW_BATCHES,))(accuracy_drop)
    suite.check(AGREEMENT, needs=(NEW_BATCHES,))(top1_agreement)


# --- speed (soft) -----------------------------------------------------------------------


def speedup(ctx: Context, batch: int, repeats: int) -> Outcome:
    x = ctx.store["held_out_x"][:batch]
    timing = compare_latency(ctx, ctx.store["reference"], submission(ctx), x, repeats=repeats)
    return verdict(
        timing.speedup >= MIN_SPEEDUP,
        f"{1000 * timing.candidate_s:.1f} ms vs {1000 * timing.reference_s:.1f} ms in FP32 "
        f"per batch of {batch} (median of {repeats}, {ctx.threads} threads): "
        f"{timing.speedup:.2f}x. Informational: timings vary with the machine and its load.",
        measured=round(timing.speedup, 2),
        threshold=f">= {MIN_SPEEDUP:g}x (soft)",
        soft=True,
    )


SPEED_RUNS = {1: 21, 64: 7}  # batch size: timed repeats (a median of each)


def _speed_check(batch: int) -> Callable[[Context], Outcome]:
    def check(ctx: Context) -> Outcome:
        return speedup(ctx, batch, SPEED_RUNS.get(batch, 7))

    return check


def add_speed_checks(
    suite: Suite, *, needs: Sequence[str] = (NEW_BATCHES,), batches: Sequence[int] = (1, 64)
) -> None:
    """speedup at batch 1 / 64: soft, informational."""
    for batch in batches:
        suite.check(f"speedup at batch {batch}", soft=True, needs=needs)(_speed_check(batch))


# --- FX graphs ----------------------------------------------------------------------------

_FLOAT_ADD_TARGETS = (operator.add, operator.iadd, torch.add)


def graph_quantized(ctx: Context) -> Outcome:
    """The converted graph: the input quantized, every residual add an INT8 op, the output
    dequantized, no float add left."""
    model = submission(ctx)
    blocks = ctx.store["blocks"]
    quantize = q_adds = float_adds = dequantize = 0
    for node in model.graph.nodes:
        target = node.target
        if node.op == "call_function":
            if target is _quantize_per_tensor:
                quantize += 1
            elif str(target).startswith("quantized.add"):
                q_adds += 1
            elif target in _FLOAT_ADD_TARGETS:
                float_adds += 1
            elif target is torch.dequantize:
                dequantize += 1
        elif node.op == "call_method":
            if target == "dequantize":
                dequantize += 1
            elif target in ("add", "add_"):
                float_adds += 1
    measured = (
        f"{quantize} quantize_per_tensor, {q_adds} quantized add, {dequantize} dequantize, "
        f"{float_adds} float add"
    )
    threshold = f">= 1 quantize_per_tensor, {blocks} quantized add, 0 float add"
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
        "In the graph: " + "; ".join(problems) + "." + unconverted_hint(model, "convert_fx()"),
        measured,
        threshold,
    )


def add_graph_check(suite: Suite, *, needs: Sequence[str] = (RETURNS_MODULE,)) -> None:
    """quantized ops in the graph (FX): the model must be a GraphModule (see returns_module)."""
    suite.check(GRAPH, needs=needs)(graph_quantized)
