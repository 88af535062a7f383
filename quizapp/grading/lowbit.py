"""The low-bit setting of qat-resnet18 and layer-sensitivity: W4A4 on INT8 kernels (torch, both
sides of the judge).

4-bit here is torch.ao's INT8 machinery with narrowed integer ranges, as a 4-bit integer
accelerator with one scale per tensor would have it:

- activations: quint8 restricted to 0..15, per tensor, affine;
- weights: qint8 restricted to -8..7, per tensor, symmetric.

The observers (PTQ) and fake quantizers (QAT) compute scales for those 16 levels, and
`convert()` clamps every weight to -8..7, so the converted network is an ordinary INT8 model
(fbgemm/x86 kernels) whose integers are those of a 4-bit one. The kernels saturate their
outputs at 0..255, though, not at 0..15: a value beyond the calibrated range keeps a fifth
bit. When it measures accuracy the grader therefore saturates every 4-bit activation at
0..15, as 4-bit storage would (`measure`).

Measured on the digits baseline (98.9% FP32, PTQ with MinMax observers on 256 training
images, 450 held-out images): 4-bit weights alone or 4-bit activations alone lose 1.6
points, both together 6.7 (92.2%). With per-channel weights W4A4 loses only 2.7 points:
too little for QAT to show what it is for, hence one scale per tensor.

The checker reads what a forward pass of the learner's TorchScript archive really
quantizes from the ops it dispatches (`trace_layers`), never from module attributes: the
integer weights packed into each quantized convolution and linear layer, the integers of
every quantized activation, and every float op that computes a layer (`ops.FLOAT_COMPUTE`:
a float layer reached through any op counts as float). A layer is "at 4 bits" when its
weights are per-tensor integers in -8..7 and at least 90% of its output integers lie in
0..15. The rest are values beyond the range the observers saw (QAT's logits put 2% there;
an 8-bit activation puts most of its values there), and they are saturated when accuracy is
measured, so a wider range gains nothing.

An archive has no forward hooks, so the layers are named after the checker's own network
(`layer_names`): the i-th weighted layer op a forward pass runs (a quantized conv/linear, or
a float conv/matmul) after the i-th convolution or linear layer of the FP32 reference in
call order, the first quantize op "quant", the i-th quantized add after the i-th residual
functional of the quantizable reference ("layer1.0.add_relu").

What else the exercises share: the grader's own W4A4 PTQ of the baseline (the figure QAT
has to beat, measured in the same run, never a stored number), the per-layer SQNR oracle of
layer-sensitivity (run by the checker on its own eager models), and, in the learner's
process, `watch_convert`, which reports what convert() was handed (a claim: shown, never
worth a point).
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import math
import sys
import threading
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.ao.nn.intrinsic.qat as nniqat
import torch.ao.nn.quantized as nnq
from torch.ao.quantization import (
    FakeQuantize,
    FakeQuantizeBase,
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    ObserverBase,
    QConfig,
    QuantStub,
    convert,
    prepare,
    prepare_qat,
)
from torch.utils._python_dispatch import TorchDispatchMode

from quizapp.grading import resnet_checks as rc
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError
from quizapp.grading.measure import is_a, logits_of, named_modules
from quizapp.grading.ops import FLOAT_COMPUTE, FLOAT_CONVS, is_quantized_conv, is_quantized_linear

ACTIVATION_MIN, ACTIVATION_MAX = 0, 15  # quint8 restricted to 4 bits
WEIGHT_MIN, WEIGHT_MAX = -8, 7  # qint8 restricted to 4 bits
FOUR_BIT_SHARE = 0.90  # an activation is 4-bit when this share of its integers is in range
TRAIN_BATCH_SIZE = 32
TRAIN_SEED = 7
EVAL_BATCH = 150  # held-out images per forward pass when measuring

# Captured before any learner code runs (watch_convert runs in the learner's process).
_make_quantized = torch._make_per_tensor_quantized_tensor
_Tensor = torch.Tensor
_ScriptObject = torch.ScriptObject
_setprofile, _getprofile = sys.setprofile, sys.getprofile
_thread_setprofile, _thread_getprofile = threading.setprofile, threading.getprofile
_id = builtins.id
# torch's convert() under its deprecation wrapper (whose code all deprecated functions share),
# and prepare_qat(), which calls convert() itself to swap in the QAT modules.
_CONVERT_CODE = inspect.unwrap(convert).__code__
_PREPARE_QAT_CODE = inspect.unwrap(prepare_qat).__code__


# --- the setting ------------------------------------------------------------------------


def ptq_qconfig() -> QConfig:
    """W4A4 for PTQ: MinMax observers over 16 levels."""
    return QConfig(
        activation=MinMaxObserver.with_args(
            dtype=torch.quint8,
            qscheme=torch.per_tensor_affine,
            quant_min=ACTIVATION_MIN,
            quant_max=ACTIVATION_MAX,
        ),
        weight=MinMaxObserver.with_args(
            dtype=torch.qint8,
            qscheme=torch.per_tensor_symmetric,
            quant_min=WEIGHT_MIN,
            quant_max=WEIGHT_MAX,
        ),
    )


def qat_qconfig() -> QConfig:
    """W4A4 for QAT: fake quantizers over 16 levels, their ranges a moving average (as in
    torch's default QAT qconfig) so they follow the weights and activations as they train."""
    return QConfig(
        activation=FakeQuantize.with_args(
            observer=MovingAverageMinMaxObserver,
            dtype=torch.quint8,
            qscheme=torch.per_tensor_affine,
            quant_min=ACTIVATION_MIN,
            quant_max=ACTIVATION_MAX,
        ),
        weight=FakeQuantize.with_args(
            observer=MovingAverageMinMaxObserver,
            dtype=torch.qint8,
            qscheme=torch.per_tensor_symmetric,
            quant_min=WEIGHT_MIN,
            quant_max=WEIGHT_MAX,
        ),
    )


def fused_float(model: torch.nn.Module) -> torch.nn.Module:
    """The FP32 network fused in eval mode (BN folded, ReLU merged): what PTQ quantizes, and
    the float side of a per-layer comparison (its module names are the quantized model's)."""
    model.eval()
    model.fuse_model()
    return model


def reference_ptq(model: torch.nn.Module, batches: Sequence[torch.Tensor]) -> torch.nn.Module:
    """The grader's W4A4 post-training quantization of the quantizable ResNet `model` (changed
    in place): fuse, the W4A4 qconfig, prepare, calibrate on `batches`, convert."""
    fused_float(model)
    model.qconfig = ptq_qconfig()
    prepare(model, inplace=True)
    with torch.no_grad():
        for batch in batches:
            model(batch)
    return convert(model, inplace=True)


def train_batches(
    x: torch.Tensor, y: torch.Tensor, batch_size: int = TRAIN_BATCH_SIZE, seed: int = TRAIN_SEED
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The training split as (images, labels) batches, shuffled once with a fixed seed."""
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return [
        (x[order[i : i + batch_size]].clone(), y[order[i : i + batch_size]].clone())
        for i in range(0, len(x), batch_size)
    ]


# --- what a forward pass quantizes (the checker) ----------------------------------------

_INT_RANGES = {
    torch.quint8: (ACTIVATION_MIN, ACTIVATION_MAX),
    torch.qint8: (WEIGHT_MIN, WEIGHT_MAX),
}


@dataclass
class Layer:
    """One op of a forward pass that computes a layer or quantizes an activation."""

    index: int
    op: str  # the dispatched op, e.g. "quantized.conv2d_relu", "aten.convolution"
    quantized: bool  # an INT8-kernel op or a quantized output (else float compute)
    name: str = "?"  # the layer it is, after the checker's network: "layer4.0.downsample.0"
    weighted: bool = False  # a convolution or linear layer (quantized or float)
    weight_numel: int = 0
    weight_range: tuple[int, int] | None = None  # integer weights' min and max
    weight_per_tensor: bool = True
    output_dtype: torch.dtype | None = None  # None: a float output
    output_max: int = 0  # largest output integer
    beyond: float = 0.0  # share of output integers outside the 4-bit range
    values: int = 0

    @property
    def four_bit_weights(self) -> bool:
        if not self.weight_numel:
            return True
        if self.weight_range is None:  # float weights
            return False
        low, high = self.weight_range
        return self.weight_per_tensor and low >= WEIGHT_MIN and high <= WEIGHT_MAX

    @property
    def four_bit_output(self) -> bool:
        return (
            self.quantized
            and self.output_dtype in _INT_RANGES
            and self.beyond <= 1 - FOUR_BIT_SHARE
        )

    @property
    def four_bit(self) -> bool:
        return self.quantized and self.four_bit_weights and self.four_bit_output

    @property
    def weight_bits(self) -> int:
        if not self.quantized or self.weight_range is None:
            return 32
        return 4 if self.four_bit_weights else 8

    def describe(self, *, weights: bool = True, outputs: bool = True) -> str:
        """'layer4.0.downsample.0 (weights -99..127; 100% of outputs beyond 0..15)',
        'fc (float)': what keeps it above 4 bits (its weights, its outputs or both)."""
        if not self.quantized:
            return f"{self.name} (float)"
        parts = []
        if weights and not self.four_bit_weights:
            if self.weight_range is None:
                parts.append("float weights")
            else:
                low, high = self.weight_range
                scheme = "per-channel " if not self.weight_per_tensor else ""
                parts.append(f"{scheme}weights {low}..{high}")
        if outputs and not self.four_bit_output:
            if self.output_dtype is None:
                parts.append("float outputs")
            else:
                parts.append(f"{100 * self.beyond:.0f}% of outputs beyond 0..15")
        return f"{self.name} ({'; '.join(parts)})" if parts else self.name


def _is_weighted(op: str) -> bool:
    """A layer op that carries weights: a quantized conv/linear kernel or float compute."""
    return is_quantized_conv(op) or is_quantized_linear(op) or op in FLOAT_COMPUTE


def _produces_activation(op: str) -> bool:
    return (
        op.startswith("quantized.")
        and not op.endswith(("prepack", "unpack"))
        or op == "aten.quantize_per_tensor"
    )


def _float_weight_numel(op: str, args: Sequence[Any]) -> int:
    """A float layer op's weight size, read from its arguments: a convolution's second one,
    else the smallest matrix it multiplies (a classifier's weight is smaller than a batch of
    features). Only used where the checker's network has no layer at that position."""
    if op in FLOAT_CONVS and len(args) > 1 and isinstance(args[1], _Tensor):
        return args[1].numel()
    sizes = [a.numel() for a in args if isinstance(a, _Tensor) and a.dim() >= 2]
    return min(sizes) if sizes else 0


class _LayerRecorder(TorchDispatchMode):
    """Records every layer op; with `saturate`, clamps every 4-bit output (at least
    FOUR_BIT_SHARE of its integers in range) to the 4-bit range, as 4-bit storage would."""

    def __init__(self, saturate: bool = False) -> None:
        super().__init__()
        self.saturate = saturate
        self.layers: list[Layer] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        out = func(*args, **(kwargs or {}))
        op = str(func.overloadpacket)
        weighted = _is_weighted(op)
        quantized_out = isinstance(out, _Tensor) and out.is_quantized and _produces_activation(op)
        if not (weighted or quantized_out):
            return out
        quantized = quantized_out or op.startswith("quantized.")
        layer = Layer(index=len(self.layers), op=op, quantized=quantized, weighted=weighted)
        if quantized and weighted and len(args) > 1 and isinstance(args[1], _ScriptObject):
            weight = args[1].unpack()[0]  # the packed weight of a quantized conv/linear
            layer.weight_numel = weight.numel()
            if weight.is_quantized:
                ints = weight.int_repr()
                layer.weight_range = (int(ints.min()), int(ints.max()))
                layer.weight_per_tensor = weight.qscheme() in (
                    torch.per_tensor_affine,
                    torch.per_tensor_symmetric,
                )
        elif weighted:
            layer.weight_numel = _float_weight_numel(op, args)
        if quantized_out:
            ints = out.int_repr()
            layer.output_dtype = out.dtype
            layer.output_max = int(ints.max()) if ints.numel() else 0
            low, high = _INT_RANGES.get(out.dtype, (0, -1))
            outside = (ints < low) | (ints > high)
            layer.beyond = float(outside.double().mean()) if ints.numel() else 0.0
            layer.values = ints.numel()
            if self.saturate and layer.four_bit_output:
                out = _make_quantized(ints.clamp(low, high), out.q_scale(), out.q_zero_point())
        self.layers.append(layer)
        return out


def residual_names(model: torch.nn.Module, x: torch.Tensor) -> list[str]:
    """The residual functionals (FloatFunctional, QFunctional) of the checker's own
    quantizable network, in the order a forward pass calls them: the names the i-th
    quantized add of any ResNet-18 gets. A functional's add_relu() is a method call, so
    the call is seen where its output goes through its activation_post_process."""
    functionals = (nnq.QFunctional, nnq.FloatFunctional)
    return rc.call_order(
        model,
        x,
        lambda name, m: m.activation_post_process if is_a(m, functionals) else None,
    )


def _reference_layers(ctx: Context) -> tuple[list[str], list[int], list[str]]:
    """The checker's network: its conv/linear layers in call order (ctx.store["layer_names"],
    from resnet_checks.setup), their weight sizes, its residual functionals in call order."""

    def compute() -> tuple[list[str], list[int], list[str]]:
        reference = ctx.store["reference"]
        names = list(ctx.store["layer_names"])
        modules = dict(named_modules(reference))
        sizes = [int(modules[name].weight.numel()) for name in names]
        adds = residual_names(reference, ctx.store["batches"][0])
        return names, sizes, adds

    return ctx.memo("lowbit_reference_layers", compute)


def name_layers(ctx: Context, layers: Sequence[Layer]) -> None:
    """Name the recorded ops after the checker's network (the module docstring says how); a
    float layer's weight size is the one its layer has in the checker's network."""
    names, sizes, adds = _reference_layers(ctx)
    weighted = added = quantizes = 0
    previous = "the input"
    for layer in layers:
        if layer.weighted:
            if weighted < len(names):
                layer.name = names[weighted]
                if not layer.quantized:
                    layer.weight_numel = sizes[weighted]
            else:
                layer.name = f"layer op {weighted + 1}"
            weighted += 1
        elif layer.op.startswith("quantized.add"):
            layer.name = adds[added] if added < len(adds) else f"add {added + 1}"
            added += 1
        elif layer.op == "aten.quantize_per_tensor":
            layer.name = "quant" if not quantizes else f"a quantize after {previous}"
            quantizes += 1
        else:
            layer.name = f"{layer.op} after {previous}"
        previous = layer.name


def trace_layers(
    ctx: Context, model: Any, x: torch.Tensor, *, saturate: bool = False
) -> tuple[list[Layer], torch.Tensor]:
    """One forward pass of `x` through `model` (the learner's TorchScript archive, or one of
    the checker's own networks; its errors become LearnerErrors): its layers, named after
    the checker's network, and its logits; with `saturate` every 4-bit activation saturated
    at the 4-bit range."""
    recorder = _LayerRecorder(saturate)
    with torch.no_grad(), recorder:
        out = ctx.run_model(model, x, what="your model")
    logits = logits_of(out, len(x))
    name_layers(ctx, recorder.layers)
    return recorder.layers, logits


def merge_traces(traces: Sequence[list[Layer]]) -> list[Layer]:
    """Per-op figures over several forward passes of the same model: the share of integers
    beyond the 4-bit range over all of them, the largest integer, the widest weights. Every
    pass must run the same layer ops (a model may not switch kernels with its input)."""
    merged = [Layer(**layer.__dict__) for layer in traces[0]]
    for trace in traces[1:]:
        if [layer.op for layer in trace] != [layer.op for layer in merged]:
            raise LearnerError(
                "your model ran different layer ops on different batches of held-out images "
                f"({len(merged)} ops, then {len(trace)})"
            )
        for total, layer in zip(merged, trace, strict=True):
            values = total.values + layer.values
            if values:
                total.beyond = (total.beyond * total.values + layer.beyond * layer.values) / values
            total.values = values
            total.output_max = max(total.output_max, layer.output_max)
            if layer.weight_range is not None and total.weight_range is not None:
                total.weight_range = (
                    min(total.weight_range[0], layer.weight_range[0]),
                    max(total.weight_range[1], layer.weight_range[1]),
                )
            elif layer.weight_range is None and total.weight_range is not None:
                total.weight_range = None  # float weights in one pass: float
            total.weight_per_tensor = total.weight_per_tensor and layer.weight_per_tensor
            total.output_dtype = (
                total.output_dtype if total.output_dtype == layer.output_dtype else None
            )
    return merged


@dataclass(frozen=True)
class Measurement:
    """A model on a set of images, as 4-bit hardware would run it."""

    layers: list[Layer]  # per op, over all the images
    logits: torch.Tensor  # 4-bit activations saturated at 0..15


def measure(ctx: Context, model: Any, x: torch.Tensor) -> Measurement:
    """Run `x` through the model in EVAL_BATCH pieces, recording its layers and saturating
    every 4-bit activation (one that keeps FOUR_BIT_SHARE of its integers in range in that
    piece) at 0..15."""
    traces, outputs = [], []
    for start in range(0, len(x), EVAL_BATCH):
        layers, logits_ = trace_layers(ctx, model, x[start : start + EVAL_BATCH], saturate=True)
        traces.append(layers)
        outputs.append(logits_)
    return Measurement(merge_traces(traces), torch.cat(outputs))


def accuracy(logits_: torch.Tensor, labels: torch.Tensor) -> float:
    return 100 * (logits_.argmax(1) == labels).double().mean().item()


def packed_weight_ratio(layers: Sequence[Layer]) -> float:
    """Weight storage of a deployment that packs 4-bit weights two to a byte, 8-bit ones one
    to a byte and keeps float ones in 4 bytes, as a share of the same weights in FP32."""
    bits = sum(layer.weight_numel * layer.weight_bits for layer in layers)
    fp32 = sum(layer.weight_numel * 32 for layer in layers)
    return bits / fp32 if fp32 else math.nan


# --- QAT: what convert() was handed (the learner's process) -----------------------------


@dataclass
class ConvertCall:
    """The model torch.ao.quantization.convert() received, as it was then."""

    model_id: int
    inplace: bool
    fake_quantizers: int = 0
    observers_running: int = 0  # fake quantizers whose observer was still enabled
    fake_quant_off: int = 0  # fake quantizers with fake quantization disabled
    ranges: set[tuple[int, int]] = field(default_factory=set)  # (quant_min, quant_max)
    plain_observers: int = 0  # PTQ observers (not inside a fake quantizer)
    qat_layers: int = 0  # modules that carry a weight fake quantizer
    conv_bn: int = 0  # QAT conv+BN modules
    bn_frozen: int = 0
    returned_id: int | None = None
    returned: object = None


def _snapshot(module: object, inplace: object) -> ConvertCall:
    call = ConvertCall(model_id=_id(module), inplace=bool(inplace))
    if not is_a(module, torch.nn.Module):
        return call
    inside_fake_quant: set[int] = set()
    for _, sub in named_modules(module):
        if is_a(sub, FakeQuantizeBase):
            call.fake_quantizers += 1
            call.observers_running += int(bool(sub.observer_enabled[0]))
            call.fake_quant_off += int(not bool(sub.fake_quant_enabled[0]))
            call.ranges.add((int(sub.quant_min), int(sub.quant_max)))
            inside_fake_quant.update(_id(m) for _, m in named_modules(sub))
        if is_a(getattr(sub, "weight_fake_quant", None), FakeQuantizeBase):
            call.qat_layers += 1
        if is_a(sub, nniqat.modules.conv_fused._ConvBnNd):
            call.conv_bn += 1
            call.bn_frozen += int(bool(sub.freeze_bn))
    call.plain_observers = sum(
        1
        for _, sub in named_modules(module)
        if is_a(sub, ObserverBase) and _id(sub) not in inside_fake_quant
    )
    return call


@contextlib.contextmanager
def watch_convert() -> Iterator[list[ConvertCall]]:
    """Every call of torch.ao.quantization.convert() while the block runs (under any name it
    was imported as; not prepare_qat()'s own call): the model it was handed, inspected at the
    call, and what it returned.
    Like checks.watch_calls, a profile function: cheap, and code that removes it is noticed
    (the list then ends with a ConvertCall whose model_id is -1)."""
    calls: list[ConvertCall] = []
    open_frames: dict[int, ConvertCall] = {}

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        if frame.f_code is not _CONVERT_CODE:
            return
        if event == "call":
            # prepare_qat -> the deprecation wrapper -> convert: skip prepare_qat's own call
            caller, hops = frame.f_back, 0
            while caller is not None and hops < 3:
                if caller.f_code is _PREPARE_QAT_CODE:
                    return
                caller, hops = caller.f_back, hops + 1
            local = frame.f_locals
            call = _snapshot(local.get("module"), local.get("inplace", False))
            open_frames[_id(frame)] = call
            calls.append(call)
        elif event == "return":
            call = open_frames.pop(_id(frame), None)
            if call is not None and arg is not None:
                call.returned_id = _id(arg)
                call.returned = arg

    previous, previous_threads = _getprofile(), _thread_getprofile()
    _setprofile(profile)
    _thread_setprofile(profile)
    try:
        yield calls
    finally:
        intact = _getprofile() is profile
        _setprofile(previous)
        _thread_setprofile(previous_threads)
        if not intact:
            calls.append(ConvertCall(model_id=-1, inplace=False))


# The claim the learner's process makes about the convert() call that returned its model.
CONVERT_CLAIM = "convert"
_CLAIM_COUNTS = (
    "fake_quantizers",
    "observers_running",
    "fake_quant_off",
    "plain_observers",
    "qat_layers",
    "conv_bn",
    "bn_frozen",
)


def convert_claim(calls: Sequence[ConvertCall], returned: object) -> dict[str, Any]:
    """The learner's process: a JSON summary of the convert() call that returned the model
    the learner's code returned (matched by id, here where the objects live), or the reason
    there is none ("watch_removed", "never_called", "not_returned")."""
    if any(call.model_id == -1 for call in calls):
        return {"found": False, "reason": "watch_removed", "calls": len(calls) - 1}
    if not calls:
        return {"found": False, "reason": "never_called", "calls": 0}
    for call in reversed(calls):
        if call.returned_id is not None and call.returned_id == _id(returned):
            summary: dict[str, Any] = {"found": True, "calls": len(calls)}
            summary.update({key: getattr(call, key) for key in _CLAIM_COUNTS})
            summary["inplace"] = call.inplace
            summary["ranges"] = sorted([low, high] for low, high in call.ranges)
            return summary
    return {"found": False, "reason": "not_returned", "calls": len(calls)}


@dataclass(frozen=True)
class ClaimedConvert:
    """The checker's reading of `convert_claim`: the learner's word, never verified."""

    calls: int
    fake_quantizers: int
    observers_running: int
    fake_quant_off: int
    plain_observers: int
    qat_layers: int
    conv_bn: int
    bn_frozen: int
    ranges: tuple[tuple[int, int], ...]


_NO_CONVERT = {
    "watch_removed": "your code removed the grader's watch on convert() (sys.setprofile)",
    "never_called": (
        "convert() was never called: train the fake-quantized model, then "
        "torch.ao.quantization.convert(model.eval()) swaps in the INT8 modules"
    ),
    "not_returned": (
        "the model you returned is not one that convert() returned ({calls} convert() "
        "calls): return convert()'s result itself"
    ),
}


def _small_int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 1 << 31:
        return value
    raise ValueError(value)


def claimed_convert(claims: dict[str, Any]) -> ClaimedConvert | str:
    """The checker: what the learner's run reported about the convert() call that returned
    its model, or what it reported instead (a message of the checker's own words, starting
    in lower case: nothing of the claim's text is shown)."""
    claim = claims.get(CONVERT_CLAIM)
    unreadable = "your run reported nothing readable about its convert() calls"
    if not isinstance(claim, dict):
        return unreadable
    try:
        calls = _small_int(claim.get("calls"))
        if claim.get("found") is not True:
            reason = _NO_CONVERT.get(str(claim.get("reason")))
            return reason.format(calls=calls) if reason else unreadable
        counts = {key: _small_int(claim.get(key)) for key in _CLAIM_COUNTS}
        raw_ranges = claim.get("ranges")
        if not isinstance(raw_ranges, list) or len(raw_ranges) > 64:
            return unreadable
        ranges = []
        for pair in raw_ranges:
            if not isinstance(pair, list) or len(pair) != 2:
                return unreadable
            ranges.append((_small_int(pair[0]), _small_int(pair[1])))
    except ValueError:
        return unreadable
    return ClaimedConvert(calls=calls, ranges=tuple(ranges), **counts)


# --- per-layer SQNR: the checker's oracle, on its own eager models ----------------------


def sqnr_db(reference: torch.Tensor, approximation: torch.Tensor) -> float:
    """10 log10(sum x^2 / sum (x - y)^2), torch's formula (torch.ao.ns.fx.utils.compute_sqnr)."""
    from torch.ao.ns.fx.utils import compute_sqnr

    return float(compute_sqnr(reference.float(), approximation.float()))


def compared_layers(quantized: torch.nn.Module) -> list[str]:
    """The quantized network's layers, in order: its input quantizer, every convolution, every
    residual add and the classifier, by module name ('quant', 'conv1', 'layer1.0.conv1',
    'layer1.0.add_relu', ..., 'fc')."""
    kinds = (nnq.Quantize, QuantStub, nnq.QFunctional, nnq.FloatFunctional, nnq.Conv2d, nnq.Linear)
    layers = [name for name, module in named_modules(quantized) if is_a(module, kinds)]
    return layers


@contextlib.contextmanager
def _capture_outputs(model: torch.nn.Module, names: Sequence[str]) -> Iterator[dict[str, list]]:
    """Outputs of the named layers (a functional's output through its activation_post_process:
    add_relu() is a method call, so hooks on the functional itself never fire)."""
    modules = dict(named_modules(model))
    captured: dict[str, list[torch.Tensor]] = {name: [] for name in names}
    handles = []
    for name in names:
        module = modules[name]
        if is_a(module, (nnq.QFunctional, nnq.FloatFunctional)):
            module = module.activation_post_process

        def hook(module, args, output, name=name):  # noqa: ANN001, ANN202
            value = output.dequantize() if output.is_quantized else output
            captured[name].append(value.detach())

        handles.append(module.register_forward_hook(hook))
    try:
        yield captured
    finally:
        for handle in handles:
            handle.remove()


def layer_sqnr(
    float_model: torch.nn.Module, quantized: torch.nn.Module, batches: Sequence[torch.Tensor]
) -> dict[str, float]:
    """The oracle: per layer, the SQNR (dB) of the quantized network's output of that layer
    against the fused FP32 network's, over every element of every batch (errors of earlier
    layers included, as torch.ao.ns._numeric_suite.compare_model_outputs sees them)."""
    names = compared_layers(quantized)
    with (
        _capture_outputs(float_model, names) as reference,
        _capture_outputs(quantized, names) as approximation,
        torch.no_grad(),
    ):
        for batch in batches:
            float_model(batch)
            quantized(batch)
    return {
        name: sqnr_db(
            torch.cat([t.flatten() for t in reference[name]]),
            torch.cat([t.flatten() for t in approximation[name]]),
        )
        for name in names
    }
