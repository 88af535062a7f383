"""The low-bit setting of qat-resnet18 and layer-sensitivity: W4A4 on INT8 kernels (worker side).

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

What a forward pass really quantizes is read from the ops it dispatches (`trace_layers`),
never from module attributes: the integer weights packed into each quantized convolution
and linear layer, the integers of every quantized activation, and every float convolution
or matmul. A layer is "at 4 bits" when its weights are per-tensor integers in -8..7 and at
least 90% of its output integers lie in 0..15. The rest are values beyond the range the
observers saw (QAT's logits put 2% there; an 8-bit activation puts most of its values
there), and they are saturated when accuracy is measured, so a wider range gains nothing.

Two more things the exercises share: the grader's own W4A4 PTQ of the baseline (the figure
QAT has to beat, measured in the same run, never a stored number) and the per-layer SQNR
oracle of layer-sensitivity.
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
import torch.ao.nn.intrinsic as nni
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

from quizapp.grading.checks import Context, LearnerError, is_a, named_modules

ACTIVATION_MIN, ACTIVATION_MAX = 0, 15  # quint8 restricted to 4 bits
WEIGHT_MIN, WEIGHT_MAX = -8, 7  # qint8 restricted to 4 bits
FOUR_BIT_SHARE = 0.90  # an activation is 4-bit when this share of its integers is in range
TRAIN_BATCH_SIZE = 32
TRAIN_SEED = 7
EVAL_BATCH = 150  # held-out images per forward pass when measuring

# Captured before any learner code runs (see quizapp.grading.checks).
_call_module = torch.nn.Module.__call__
_register_pre_hook = torch.nn.Module.register_forward_pre_hook
_register_hook = torch.nn.Module.register_forward_hook
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


# --- what a forward pass quantizes -------------------------------------------------------

_FLOAT_CONVS = frozenset(
    "aten." + name
    for name in (
        "convolution",
        "_convolution",
        "conv1d",
        "conv2d",
        "conv3d",
        "mkldnn_convolution",
        "_slow_conv2d_forward",
        "thnn_conv2d",
    )
)
_FLOAT_MATMULS = frozenset(
    "aten." + name
    for name in ("linear", "mm", "addmm", "bmm", "baddbmm", "matmul", "_mkldnn_linear")
)
_INT_RANGES = {
    torch.quint8: (ACTIVATION_MIN, ACTIVATION_MAX),
    torch.qint8: (WEIGHT_MIN, WEIGHT_MAX),
}


@dataclass
class Layer:
    """One op of a forward pass that computes a layer or quantizes an activation."""

    index: int
    op: str  # the dispatched op, e.g. "quantized.conv2d_relu", "aten.convolution"
    name: str  # the module it ran in, e.g. "layer4.0.downsample.0"
    quantized: bool  # an INT8-kernel op (else float compute)
    weight_numel: int = 0
    weight_range: tuple[int, int] | None = None  # integer weights' min and max
    weight_per_tensor: bool = True
    output_dtype: torch.dtype | None = None
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
        if not self.quantized:
            return 32
        return 4 if self.four_bit_weights else 8

    def describe(self) -> str:
        """'layer4.0.downsample.0 (weights -99..127; 100% of outputs beyond 0..15)',
        'fc (float)'."""
        if not self.quantized:
            return f"{self.name} (float)"
        parts = []
        if not self.four_bit_weights:
            if not self.weight_per_tensor:
                parts.append("per-channel weights")
            else:
                low, high = self.weight_range or (0, 0)
                parts.append(f"weights {low}..{high}")
        if not self.four_bit_output:
            parts.append(f"{100 * self.beyond:.0f}% of outputs beyond 0..15")
        return f"{self.name} ({'; '.join(parts)})" if parts else self.name


def _weight_of(op: str, args: Sequence[Any]) -> tuple[torch.Tensor | None, int]:
    """A quantized op's integer weight (unpacked from its packed params), or a float op's
    weight size."""
    if op.startswith(("quantized.conv", "quantized.linear")) and len(args) > 1:
        packed = args[1]
        if isinstance(packed, _ScriptObject):
            weight = packed.unpack()[0]
            return weight, weight.numel()
    if op in _FLOAT_CONVS and len(args) > 1 and isinstance(args[1], _Tensor):
        return None, args[1].numel()
    if op in _FLOAT_MATMULS:
        tensors = [a for a in args if isinstance(a, _Tensor) and a.dim() == 2]
        if tensors:
            return None, tensors[-1].numel()
    return None, 0


def _produces_activation(op: str) -> bool:
    return (
        op.startswith("quantized.")
        and not op.endswith(("prepack", "unpack"))
        or op == "aten.quantize_per_tensor"
    )


class _LayerRecorder(TorchDispatchMode):
    """Records every layer op; with `saturate`, clamps every 4-bit output (at least
    FOUR_BIT_SHARE of its integers in range) to the 4-bit range, as 4-bit storage would."""

    def __init__(self, names: list[str], saturate: bool = False):
        super().__init__()
        self.names = names  # the module stack, kept up to date by hooks
        self.saturate = saturate
        self.layers: list[Layer] = []

    def _where(self) -> str:
        return self.names[-1] if self.names else "?"

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        out = func(*args, **(kwargs or {}))
        op = str(func.overloadpacket)
        quantized = isinstance(out, _Tensor) and out.is_quantized and _produces_activation(op)
        floating = op in _FLOAT_CONVS or op in _FLOAT_MATMULS
        if not (quantized or floating):
            return out
        weight, numel = _weight_of(op, args)
        layer = Layer(index=len(self.layers), op=op, name=self._where(), quantized=quantized)
        layer.weight_numel = numel
        if weight is not None:
            ints = weight.int_repr()
            layer.weight_range = (int(ints.min()), int(ints.max()))
            layer.weight_per_tensor = weight.qscheme() in (
                torch.per_tensor_affine,
                torch.per_tensor_symmetric,
            )
        if quantized:
            ints = out.int_repr()
            layer.output_dtype = out.dtype
            layer.output_max = int(ints.max())
            low, high = _INT_RANGES.get(out.dtype, (0, -1))
            outside = (ints < low) | (ints > high)
            layer.beyond = float(outside.double().mean())
            layer.values = ints.numel()
            if self.saturate and layer.four_bit_output:
                out = _make_quantized(ints.clamp(low, high), out.q_scale(), out.q_zero_point())
        self.layers.append(layer)
        return out


@contextlib.contextmanager
def _module_names(model: torch.nn.Module) -> Iterator[list[str]]:
    """A stack of the module names a forward pass is inside (the top is the innermost); a
    float conv inside a fused ConvReLU2d is named after the fused module."""
    stack = ["the model"]
    handles = []
    fused_children = {
        f"{name}.{child}" if name else child: name
        for name, module in named_modules(model)
        if is_a(module, nni._FusedModule)
        for child, _ in module.named_children()
    }

    def enter(name: str):  # noqa: ANN202
        shown = fused_children.get(name, name)

        def pre_hook(module, args):  # noqa: ANN001, ANN202
            stack.append(shown)

        return pre_hook

    def leave(module, args, output):  # noqa: ANN001, ANN202
        if len(stack) > 1:
            stack.pop()

    try:
        for name, module in named_modules(model):
            if name:
                handles.append(_register_pre_hook(module, enter(name)))
                handles.append(_register_hook(module, leave))
        yield stack
    finally:
        for handle in handles:
            handle.remove()


def _functional_children(model: torch.nn.Module) -> dict[str, str]:
    """Module name -> the name of its (Q/Float)Functional child: a residual add runs inside
    its block's forward (add_relu() is a method call), so it is named after the functional."""
    return {
        name: f"{name}.{child}" if name else child
        for name, module in named_modules(model)
        for child, sub in module.named_children()
        if is_a(sub, (nnq.QFunctional, nnq.FloatFunctional))
    }


def trace_layers(
    ctx: Context, model: torch.nn.Module, x: torch.Tensor, *, saturate: bool = False
) -> tuple[list[Layer], torch.Tensor]:
    """One forward pass of `x` (learner errors propagate as LearnerErrors): its layers and
    its logits, with `saturate` every 4-bit activation saturated at the 4-bit range."""
    with _module_names(model) as stack:
        recorder = _LayerRecorder(stack, saturate)
        with torch.no_grad(), recorder:
            out = ctx.call(_call_module, model, x, what="your model")
    if isinstance(out, _Tensor) and out.is_quantized:
        raise LearnerError(
            "your model returned a quantized tensor: it needs a DeQuantStub at the end"
        )
    if not isinstance(out, _Tensor) or out.dim() != 2 or len(out) != len(x):
        raise LearnerError(
            f"your model returned {type(out).__name__} "
            f"{tuple(out.shape) if isinstance(out, _Tensor) else ''} for a batch of {len(x)}, "
            "not a float tensor of logits"
        )
    functionals = _functional_children(model)
    for layer in recorder.layers:
        if layer.op.startswith("quantized.add") and layer.name in functionals:
            layer.name = functionals[layer.name]
    return recorder.layers, out.detach().float()


def merge_traces(traces: Sequence[list[Layer]]) -> list[Layer]:
    """Per-op figures over several forward passes of the same model: the share of integers
    beyond the 4-bit range over all of them, the largest integer."""
    merged = [Layer(**layer.__dict__) for layer in traces[0]]
    for trace in traces[1:]:
        if len(trace) != len(merged):
            raise LearnerError("your model ran different layers on different batches")
        for total, layer in zip(merged, trace, strict=True):
            values = total.values + layer.values
            if values:
                total.beyond = (total.beyond * total.values + layer.beyond * layer.values) / values
            total.values = values
            total.output_max = max(total.output_max, layer.output_max)
    return merged


@dataclass(frozen=True)
class Measurement:
    """A model on a set of images, as 4-bit hardware would run it."""

    layers: list[Layer]  # per op, over all the images
    logits: torch.Tensor  # 4-bit activations saturated at 0..15


def measure(ctx: Context, model: torch.nn.Module, x: torch.Tensor) -> Measurement:
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


# --- QAT: what convert() was handed ------------------------------------------------------


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


# --- per-layer SQNR ----------------------------------------------------------------------


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

        handles.append(_register_hook(module, hook))
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
