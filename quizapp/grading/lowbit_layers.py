"""What a forward pass of a W4A4 model really quantizes, layer by layer (the checker, torch).

The checker reads what a forward pass of the learner's TorchScript archive really
quantizes from the ops it dispatches (`trace_layers`), never from module attributes: the
integer weights packed into each quantized convolution and linear layer, the integers of
every quantized activation, and every float op that computes a layer (`ops.FLOAT_COMPUTE`:
a float layer reached through any op counts as float). A layer is "at 4 bits" when its
weights are per-tensor integers in -8..7 and at least 90% of its output integers lie in
0..15. The rest are values beyond the range the observers saw (QAT's logits put 2% there;
an 8-bit activation puts most of its values there), and they are saturated when accuracy is
measured (`measure`), so a wider range gains nothing.

An archive has no forward hooks, so the layers are named after the checker's own network
(`layer_names`): the i-th weighted layer op a forward pass runs (a quantized conv/linear, or
a float conv/matmul) after the i-th convolution or linear layer of the FP32 reference in
call order, the first quantize op "quant", the i-th quantized add after the i-th residual
functional of the quantizable reference ("layer1.0.add_relu").

The 4-bit setting itself (the integer ranges) is `quizapp.grading.lowbit`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.ao.nn.quantized as nnq
from torch.utils._python_dispatch import TorchDispatchMode

from quizapp.grading import resnet_job
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError
from quizapp.grading.lowbit import (
    ACTIVATION_MAX,
    ACTIVATION_MIN,
    FOUR_BIT_SHARE,
    WEIGHT_MAX,
    WEIGHT_MIN,
)
from quizapp.grading.measure import is_a, logits_of, named_modules
from quizapp.grading.ops import FLOAT_COMPUTE, FLOAT_CONVS, is_quantized_conv, is_quantized_linear

EVAL_BATCH = 150  # held-out images per forward pass when measuring

# torch's own, bound at import: what the grader relies on is bound before other code runs.
_make_quantized = torch._make_per_tensor_quantized_tensor
_Tensor = torch.Tensor
_ScriptObject = torch.ScriptObject


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
            packed: Any = args[1]  # TorchScript's packed params: the stubs know no unpack()
            weight = packed.unpack()[0]  # the packed weight of a quantized conv/linear
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

    def post_process(name: str, module: torch.nn.Module) -> torch.nn.Module | None:
        observer = module.activation_post_process if is_a(module, functionals) else None
        return observer if isinstance(observer, torch.nn.Module) else None

    return resnet_job.call_order(model, x, post_process)


def _reference_layers(ctx: Context) -> tuple[list[str], list[int], list[str]]:
    """The checker's network: its conv/linear layers in call order (ctx.store["layer_names"],
    from resnet_job.setup), their weight sizes, its residual functionals in call order."""

    def compute() -> tuple[list[str], list[int], list[str]]:
        reference = ctx.store["reference"]
        names = list(ctx.store["layer_names"])
        modules = dict(named_modules(reference))
        sizes = [_weight(modules[name]).numel() for name in names]
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


def accuracy_percent(logits_: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy in percent (the unit the W4A4 exercises report and compare in)."""
    return 100 * (logits_.argmax(1) == labels).double().mean().item()


def packed_weight_ratio(layers: Sequence[Layer]) -> float:
    """Weight storage of a deployment that packs 4-bit weights two to a byte, 8-bit ones one
    to a byte and keeps float ones in 4 bytes, as a share of the same weights in FP32."""
    bits = sum(layer.weight_numel * layer.weight_bits for layer in layers)
    fp32 = sum(layer.weight_numel * 32 for layer in layers)
    return bits / fp32 if fp32 else math.nan


def _weight(layer: torch.nn.Module) -> torch.Tensor:
    """A conv's or linear's weight (a Tensor: torch's stubs also allow a submodule there)."""
    weight = layer.weight
    assert isinstance(weight, torch.Tensor), type(weight)
    return weight
