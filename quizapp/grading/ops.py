"""What a forward pass really runs: the ops it dispatches (checker side: torch).

Every grader that asks "is this layer INT8?" answers from here, never from a class name the
learner could choose: `trace_ops` runs the model under a TorchDispatchMode and records each
op as the dispatcher sees it (TorchScript archives dispatch the same way), with the figures
the checks need (the packed weights' integer type, the input quantizer's scale, whether a
quantized layer got negative inputs).

`FLOAT_COMPUTE` is the one list of float ops that compute a layer (convolutions, matmuls in
every spelling, recurrent layers): a float layer reached through any of them counts as float
in every grader.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

FLOAT_CONVS = frozenset(
    "aten." + name
    for name in (
        "convolution",
        "_convolution",
        "convolution_overrideable",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_tbc",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "mkldnn_convolution",
        "_slow_conv2d_forward",
        "slow_conv3d_forward",
        "slow_conv_transpose2d",
        "slow_conv_transpose3d",
        "slow_conv_dilated2d",
        "thnn_conv2d",
        "_nnpack_spatial_convolution",
    )
)
FLOAT_MATMULS = frozenset(
    "aten." + name
    for name in (
        "linear",
        "mm",
        "addmm",
        "_addmm_activation",
        "bmm",
        "baddbmm",
        "addbmm",
        "matmul",
        "mv",
        "addmv",
        "dot",
        "vdot",
        "inner",
        "outer",
        "ger",
        "addr",
        "einsum",
        "tensordot",
        "bilinear",
        "_trilinear",
        "chain_matmul",
        "_mkldnn_linear",
        "mkldnn_linear",
        "_linalg_matmul",
    )
)
FLOAT_RECURRENT = frozenset(
    "aten." + name
    for name in (
        "lstm",
        "gru",
        "rnn_tanh",
        "rnn_relu",
        "lstm_cell",
        "gru_cell",
        "rnn_tanh_cell",
        "rnn_relu_cell",
        "_thnn_fused_lstm_cell",
        "_thnn_fused_gru_cell",
        "mkldnn_rnn",
        "mkldnn_rnn_layer",
    )
)
FLOAT_COMPUTE = FLOAT_CONVS | FLOAT_MATMULS | FLOAT_RECURRENT
BATCH_NORMS = frozenset(
    {
        "aten.batch_norm",
        "aten.native_batch_norm",
        "aten._native_batch_norm_legit",
        "aten._native_batch_norm_legit_no_training",
        "aten._batch_norm_impl_index",
        "aten.cudnn_batch_norm",
        "aten.miopen_batch_norm",
        "quantized.batch_norm",
        "quantized.batch_norm1d",
        "quantized.batch_norm2d",
        "quantized.batch_norm2d_relu",
        "quantized.batch_norm3d",
        "quantized.batch_norm3d_relu",
    }
)
FLOAT_ADDS = frozenset({"aten.add", "aten.add_"})
RELUS = frozenset({"aten.relu", "aten.relu_", "quantized.relu6", "aten.clamp_min", "aten.clamp"})
# The ops that tell the structure of a forward pass (what `Op.significant` keeps).
_LAYER_PREFIXES = ("quantized.conv", "quantized.linear", "quantized.add", "quantized.batch_norm")


def is_quantized_conv(name: str) -> bool:
    return name.startswith("quantized.conv") and not name.endswith(("prepack", "unpack"))


def is_quantized_linear(name: str) -> bool:
    return name.startswith("quantized.linear") and not name.endswith(("prepack", "unpack"))


@dataclass
class Op:
    """One dispatched op: its name and the figures recorded with it."""

    name: str
    weight_dtype: torch.dtype | None = None  # a quantized conv/linear's packed weight
    negative_input: bool | None = None  # a quantized conv/linear's input held values < 0
    scale: float | None = None  # quantize_per_tensor's
    zero_point: int | None = None
    dtype: torch.dtype | None = None
    float_add: bool = False  # an add of float activations (a float island around a residual)

    @property
    def significant(self) -> bool:
        return (
            self.name in FLOAT_COMPUTE
            or self.name in BATCH_NORMS
            or self.name in RELUS
            or self.float_add
            or self.name.startswith(_LAYER_PREFIXES)
        )


@dataclass
class OpTrace:
    """What one or more forward passes dispatched, in order."""

    ops: list[Op] = field(default_factory=list)

    def count(self, predicate: Callable[[Op], bool]) -> int:
        return sum(1 for op in self.ops if predicate(op))

    @property
    def quantized_convs(self) -> list[Op]:
        return [op for op in self.ops if is_quantized_conv(op.name)]

    @property
    def quantized_linears(self) -> list[Op]:
        return [op for op in self.ops if is_quantized_linear(op.name)]

    @property
    def quantized_adds(self) -> int:
        return self.count(lambda op: op.name.startswith("quantized.add"))

    @property
    def float_compute(self) -> list[str]:
        return [op.name for op in self.ops if op.name in FLOAT_COMPUTE]

    @property
    def float_convs(self) -> int:
        return self.count(lambda op: op.name in FLOAT_CONVS)

    @property
    def float_adds(self) -> int:
        return self.count(lambda op: op.float_add)

    @property
    def batch_norms(self) -> int:
        return self.count(lambda op: op.name in BATCH_NORMS)

    @property
    def input_quantizer(self) -> Op | None:
        return next((op for op in self.ops if op.name == "aten.quantize_per_tensor"), None)

    @property
    def dequantizes(self) -> int:
        return self.count(lambda op: op.name == "aten.dequantize")

    def conv_relus(self) -> int:
        """Convolutions whose output goes straight into a ReLU: INT8 conv2d_relu kernels, or
        a float convolution whose next layer op is a ReLU (a fused float ConvReLU2d)."""
        fused = self.count(lambda op: op.name.startswith("quantized.conv") and "relu" in op.name)
        layers = [op for op in self.ops if op.significant]
        for op, following in zip(layers, layers[1:], strict=False):
            if op.name in FLOAT_CONVS and following.name in RELUS:
                fused += 1
        return fused

    def profile(self) -> Counter[str]:
        """The layer ops it ran, counted: two forward passes of one model agree on it."""
        return Counter(op.name for op in self.ops if op.significant)

    def counts(self) -> str:
        counts = Counter(self.float_compute)
        return ", ".join(f"{name} x{n}" for name, n in counts.items())


def _has_negative(x: object) -> bool:
    if not isinstance(x, torch.Tensor):
        return False
    values = x.dequantize() if x.is_quantized else x
    return bool((values < 0).any())


def _number(value: object) -> float | None:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.reshape(()).item())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


class Recorder(TorchDispatchMode):
    """Records every op a forward pass dispatches into `trace` (`details`: also the
    per-op figures that cost a pass over the data, e.g. negative inputs)."""

    def __init__(self, trace: OpTrace, details: bool = True) -> None:
        super().__init__()
        self.trace, self.details = trace, details
        self.error: str | None = None  # what the failing op said (TorchScript loses it)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        name = str(func.overloadpacket)
        op = Op(name)
        if is_quantized_conv(name) or is_quantized_linear(name):
            packed = args[1] if len(args) > 1 else None
            if isinstance(packed, torch.ScriptObject) and hasattr(packed, "unpack"):
                op.weight_dtype = packed.unpack()[0].dtype
            if self.details:
                op.negative_input = _has_negative(args[0])
        elif name == "aten.quantize_per_tensor" and len(args) >= 4:
            scale, zero_point = _number(args[1]), _number(args[2])
            op.scale = scale
            op.zero_point = None if zero_point is None else int(zero_point)
            op.dtype = args[3] if isinstance(args[3], torch.dtype) else None
        elif name in FLOAT_ADDS:
            op.float_add = all(
                isinstance(a, torch.Tensor) and not a.is_quantized and a.dim() >= 2
                for a in args[:2]
            )
        self.trace.ops.append(op)
        try:
            return func(*args, **(kwargs or {}))
        except Exception as exc:
            self.error = str(exc)
            raise


def trace_ops(
    run: Callable[[], Any], *, details: bool = True, trace: OpTrace | None = None
) -> tuple[OpTrace, Any]:
    """Call `run()` (a forward pass) and record the ops it dispatches; returns the trace and
    what `run` returned (its exceptions propagate)."""
    trace = trace if trace is not None else OpTrace()
    recorder = Recorder(trace, details)
    try:
        with torch.no_grad(), recorder:
            out = run()
    except Exception as exc:
        # Raised through a dispatch mode inside TorchScript, the op's own message is lost
        # ("RuntimeError: " and nothing): put it back.
        message = str(exc).rstrip()
        if recorder.error and recorder.error not in message:
            raise type(exc)(f"{message} {recorder.error}") from None
        raise
    return trace, out
