"""Checks for dynamic-quant: are the LSTM and Linear layers dynamic INT8, the model smaller,
and the logits still those of the FP32 model?

The checker builds the model from a fixed seed (no training, no download): an LSTM text
classifier whose weights are scaled so that its logits depend on the input (at PyTorch's
default init they are nearly constant, and agreement would measure nothing). The learner's
process gets its weights (in/weights.pt) and two example sequences to trace on
(in/example.pt), builds the same architecture (`TextClassifier`, from this file), calls
`quantize(model)` and saves what it returned as TorchScript. The held-out token sequences
and the FP32 logits never leave the checker.

Every verdict is measured on the archive: one forward pass of the held-out sequences runs
under an op recorder, and a layer counts as dynamic INT8 only if its INT8 kernel ran with
qint8 packed weights (`quantized.linear_dynamic`, `aten.quantized_lstm` with dtype qint8),
named by the shapes of those packed weights; any float op of
`quizapp.grading.ops.FLOAT_COMPUTE` is a float layer. The size is the archive's against the
checker's own archive of the FP32 model.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from quizapp.grading.checker_context import Context, returned_module
from quizapp.grading.checks import LearnerError, Outcome, Suite, failed, passed, verdict
from quizapp.grading.learner_run import Run
from quizapp.grading.measure import (
    agreement,
    compare_latency,
    logits_of,
    script_bytes,
    single_thread,
)
from quizapp.grading.ops import FLOAT_COMPUTE, FLOAT_RECURRENT, is_quantized_linear

SEED = 2026
VOCAB, EMBED, HIDDEN, CLASSES = 500, 32, 256, 4
SEQUENCES, LENGTH = 256, 40
EXAMPLES = 2  # sequences the learner's process may trace on (not held out)
# Measured (TorchScript archives): the reference 0.30 of FP32 (the 64 kB Embedding stays
# FP32); the LSTM only 0.37; the Linear layers only 0.93.
MAX_SIZE_RATIO = 0.35
MIN_SQNR_DB = 25.0  # measured: 31.5 dB
MIN_AGREEMENT = 0.95  # measured: 98.4%
SPEED_BATCH = 16
MIN_SPEEDUP = 1.0  # soft

RETURNS_MODULE = "returns a module"
LINEARS = "Linear layers dynamic INT8"
LSTM = "LSTM dynamic INT8"

suite = Suite()


class TextClassifier(nn.Module):
    """Token ids (batch, length) -> class logits: a small sentiment-classifier shape."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.fc1 = nn.Linear(HIDDEN, 128)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(128, CLASSES)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(self.embedding(tokens))
        return self.fc2(self.relu(self.fc1(hidden[-1])))


def build_model() -> TextClassifier:
    generator = torch.Generator().manual_seed(SEED)
    with torch.random.fork_rng():
        torch.manual_seed(SEED)
        model = TextClassifier()
    with torch.no_grad():
        for name, parameter in model.lstm.named_parameters():
            if name.startswith("weight"):  # wider than the default 1/sqrt(256) init
                parameter.uniform_(-0.15, 0.15, generator=generator)
        model.fc2.weight.mul_(4)
        model.fc2.bias.zero_()
    return model.eval()


@suite.setup
def setup(ctx: Context) -> None:
    reference = build_model()
    generator = torch.Generator().manual_seed(SEED + 1)
    tokens = torch.randint(0, VOCAB, (SEQUENCES, LENGTH), generator=generator)
    example = torch.randint(0, VOCAB, (EXAMPLES, LENGTH), generator=generator)
    with torch.no_grad():
        fp32_logits = reference(tokens)
    ctx.store.update(
        reference=reference,
        tokens=tokens,
        fp32_logits=fp32_logits,
        fp32_bytes=script_bytes(reference),
        # The layers by the shapes of their weights (what a packed weight unpacks to).
        linears={
            name: tuple(module.weight.shape)
            for name, module in reference.named_modules()
            if isinstance(module, nn.Linear)
        },
        lstm_shapes={tuple(p.shape) for n, p in reference.lstm.named_parameters() if "weight" in n},
    )
    ctx.job.save("weights", reference.state_dict())
    ctx.job.save("example", example)


@suite.produce
def produce(run: Run) -> None:
    """quantize(model) on a copy of the FP32 model; what it returns saved as TorchScript."""
    with torch.random.fork_rng():
        model = TextClassifier()
    model.load_state_dict(run.input("weights"))
    result = run.call(run.entry, model.eval(), what="quantize()")
    run.save_module("model", result, example=(run.input("example"),))


@suite.check(RETURNS_MODULE)
def returns_module(ctx: Context):
    return returned_module(ctx)


# --- what a forward pass runs -------------------------------------------------------------


@dataclass
class LayerOp:
    """One op that computes a layer: float compute, a dynamic linear or a quantized LSTM."""

    name: str
    weights: list[tuple[tuple[int, ...], torch.dtype | None]] = field(default_factory=list)
    shapes: list[tuple[int, ...]] = field(default_factory=list)  # a float op's tensor arguments
    dtype: torch.dtype | None = None  # quantized_lstm's dtype= (qint8 or float16)
    dynamic: bool = False  # quantized_lstm's use_dynamic=
    kind: str = ""  # quantized_lstm's cell parameters: "quantized_dynamic", "quantized_fp16"


def _tensor_shapes(args: Any, depth: int = 0) -> list[tuple[int, ...]]:
    shapes: list[tuple[int, ...]] = []
    for arg in args:
        if isinstance(arg, torch.Tensor):
            shapes.append(tuple(arg.shape))
        elif isinstance(arg, (list, tuple)) and depth < 2:
            shapes += _tensor_shapes(arg, depth + 1)
    return shapes


def _unpacked(packed: Any) -> tuple[tuple[int, ...], torch.dtype | None]:
    """The shape and dtype of a packed linear weight (a ScriptObject with unpack())."""
    weight = packed.unpack()[0]
    return tuple(weight.shape), weight.dtype


class LayerRecorder(TorchDispatchMode):
    """Records the layer ops a forward pass dispatches, with their weights' shapes and
    dtypes (read from the packed weights, not from any class name)."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[LayerOp] = []
        self.error: str | None = None  # what a failing op said (TorchScript loses it)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        kwargs = kwargs or {}
        name = str(func.overloadpacket)
        if name in FLOAT_COMPUTE:
            self.ops.append(LayerOp(name, shapes=_tensor_shapes(args)))
        elif is_quantized_linear(name):
            op = LayerOp(name)
            with contextlib.suppress(Exception):  # not a packed weight: no INT8 weight
                op.weights.append(_unpacked(args[1]))
            self.ops.append(op)
        elif name == "aten.quantized_lstm":
            dtype = kwargs.get("dtype")
            op = LayerOp(
                name,
                dtype=dtype if isinstance(dtype, torch.dtype) else None,
                dynamic=kwargs.get("use_dynamic") is True,
            )
            try:
                for cell in args[2]:
                    state = cell.__getstate__()[0]  # (kind, tensors, doubles, longs, packed)
                    op.kind = str(state[0])
                    op.weights += [_unpacked(packed) for packed in state[4]]
            except Exception:  # noqa: BLE001 - unreadable cell parameters: no INT8 weights
                op.weights = []
            self.ops.append(op)
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            self.error = str(exc)
            raise


@dataclass
class HeldOut:
    """The forward pass of every held-out sequence: the layer ops it ran, its logits."""

    ops: list[LayerOp]
    logits: torch.Tensor

    def float_ops(self) -> list[LayerOp]:
        return [op for op in self.ops if op.name in FLOAT_COMPUTE]

    def counts(self, ops: list[LayerOp]) -> str:
        return ", ".join(f"{name} x{n}" for name, n in Counter(op.name for op in ops).items())


def held_out(ctx: Context) -> HeldOut:
    """One forward pass of the learner's archive on the held-out sequences, recorded (the
    structure checks and the figures are measured on the same pass)."""

    def compute() -> HeldOut:
        model = ctx.module("model")
        tokens = ctx.store["tokens"]
        recorder = LayerRecorder()
        try:
            # 40 small steps per sequence: a second thread only waits.
            with single_thread(), torch.no_grad(), recorder:
                out = ctx.run_model(model, tokens)
        except LearnerError as exc:
            # Raised through a dispatch mode inside TorchScript, the op's own message is
            # lost: put it back (as quizapp.grading.ops.trace_ops does).
            if recorder.error and recorder.error not in exc.message:
                raise LearnerError(f"{exc.message} {recorder.error}") from None
            raise
        return HeldOut(recorder.ops, logits_of(out, len(tokens)))

    return ctx.memo("held_out", compute)


def _both_ways(shapes: set[tuple[int, ...]]) -> set[tuple[int, ...]]:
    return shapes | {tuple(reversed(s)) for s in shapes}


def _lstm_float_ops(ctx: Context, trace: HeldOut) -> list[LayerOp]:
    """Float ops of a float LSTM: a recurrent kernel, or matmuls on its weights."""
    lstm_shapes = _both_ways(ctx.store["lstm_shapes"])
    return [
        op
        for op in trace.float_ops()
        if op.name in FLOAT_RECURRENT or any(s in lstm_shapes for s in op.shapes)
    ]


def _crashed(exc: LearnerError, threshold: str) -> Outcome:
    return failed(exc.message, measured="crashed", threshold=threshold)


@suite.check(LINEARS, needs=(RETURNS_MODULE,))
def linears_dynamic(ctx: Context):
    expected: dict[str, tuple[int, ...]] = ctx.store["linears"]
    threshold = f"{len(expected)} of {len(expected)}"
    try:
        trace = held_out(ctx)
    except LearnerError as exc:
        return _crashed(exc, threshold)
    lstm_ops = _lstm_float_ops(ctx, trace)
    other_float = [op for op in trace.float_ops() if op not in lstm_ops]
    good, floats, problems = [], [], []
    for name, shape in expected.items():
        kernels = [
            op
            for op in trace.ops
            if is_quantized_linear(op.name) and op.weights and op.weights[0][0] == shape
        ]
        if not kernels:
            if other_float:
                floats.append(name)
            else:
                problems.append(f"{name} did not run")
        elif any(op.name != "quantized.linear_dynamic" for op in kernels):
            shown = next(op.name for op in kernels if op.name != "quantized.linear_dynamic")
            weights = "FP16" if "fp16" in shown else "static INT8"
            problems.append(f"{name} ran as {shown} ({weights}), not dynamic with qint8 weights")
        elif any(op.weights[0][1] != torch.qint8 for op in kernels):
            dtype = next(op.weights[0][1] for op in kernels if op.weights[0][1] != torch.qint8)
            problems.append(f"{name} is dynamic but its weights are {dtype}, not torch.qint8")
        else:
            good.append(name)
    if floats:
        still = "still a torch.nn.Linear" if len(floats) == 1 else "still torch.nn.Linear layers"
        problems.insert(
            0, f"{' and '.join(floats)} ran in float ({still}: {trace.counts(other_float)})"
        )
    elif other_float:
        problems.append(f"float matmuls ran besides them ({trace.counts(other_float)})")
    if not problems:
        return passed(
            f"{len(good)} of {len(expected)} Linear layers ({', '.join(good)}) ran as dynamic "
            "INT8 kernels (quantized.linear_dynamic, qint8 weights), and no float matmul.",
            measured=len(good),
            threshold=threshold,
        )
    return failed(
        f"{len(good)} of {len(expected)} Linear layers ran as dynamic INT8: {'; '.join(problems)}.",
        measured=len(good),
        threshold=threshold,
    )


@suite.check(LSTM, needs=(RETURNS_MODULE,))
def lstm_dynamic(ctx: Context):
    threshold = "aten.quantized_lstm, dynamic, qint8 weights"
    try:
        trace = held_out(ctx)
    except LearnerError as exc:
        return _crashed(exc, threshold)
    lstm_shapes = ctx.store["lstm_shapes"]
    kernels = [op for op in trace.ops if op.name == "aten.quantized_lstm"]
    float_ops = _lstm_float_ops(ctx, trace)
    if float_ops:
        return failed(
            f"The LSTM ran in float ({trace.counts(float_ops)}): it holds most of this model's "
            "weights, so leaving it in FP32 keeps most of the size. Include nn.LSTM in what "
            "you quantize.",
            measured=float_ops[0].name,
            threshold=threshold,
        )
    if not kernels:
        return failed("No LSTM ran in the forward pass.", measured="missing", threshold=threshold)
    for op in kernels:
        shapes = {shape for shape, _ in op.weights}
        dtypes = {dtype for _, dtype in op.weights}
        if op.dtype != torch.qint8 or dtypes != {torch.qint8}:
            shown = op.dtype if op.dtype != torch.qint8 else ", ".join(map(str, dtypes))
            return failed(
                f"The LSTM is dynamic but its weights are {shown}, not torch.qint8.",
                measured=f"{op.name} ({shown})",
                threshold=threshold,
            )
        if not op.dynamic or not lstm_shapes <= shapes:
            return failed(
                "The LSTM ran as aten.quantized_lstm, but not dynamically with the model's "
                "weights.",
                measured=op.name,
                threshold=threshold,
            )
    return passed(
        "The LSTM ran as a dynamic INT8 kernel (aten.quantized_lstm, qint8 packed weights).",
        measured="aten.quantized_lstm",
        threshold=threshold,
    )


@suite.check(f"size <= {MAX_SIZE_RATIO:.2f} of FP32", needs=(RETURNS_MODULE,), direction="lower")
def size_ratio(ctx: Context):
    fp32 = ctx.store["fp32_bytes"]
    size = ctx.out.size("model")
    ratio = size / fp32
    smaller = f"{fp32 / size:.1f}x smaller" if ratio < 0.95 else "about the FP32 size"
    return verdict(
        ratio <= MAX_SIZE_RATIO,
        f"TorchScript archive: {size / 1e3:.0f} kB vs {fp32 / 1e3:.0f} kB for the FP32 model, "
        f"{ratio:.2f} of the size ({smaller}).",
        measured=round(ratio, 4),
        threshold=f"<= {MAX_SIZE_RATIO:.2f}",
    )


@suite.check(f"logit SQNR >= {MIN_SQNR_DB:g} dB", needs=(LINEARS,), direction="higher")
def logit_sqnr(ctx: Context):
    reference = ctx.store["fp32_logits"]
    difference = held_out(ctx).logits - reference
    error = difference.norm().item()
    sqnr = float("inf") if error == 0 else 20 * torch.log10(reference.norm() / error).item()
    return verdict(
        sqnr >= MIN_SQNR_DB,
        f"Logit SQNR {sqnr:.1f} dB vs FP32 on {len(reference)} held-out sequences (largest "
        f"difference {difference.abs().max().item():.4f}; the logits' spread is "
        f"{reference.std().item():.3f}).",
        measured=round(sqnr, 2),
        threshold=f">= {MIN_SQNR_DB:g} dB",
    )


@suite.check(f"top-1 agreement >= {100 * MIN_AGREEMENT:g}%", needs=(LINEARS,), direction="higher")
def top1_agreement(ctx: Context):
    share = agreement(held_out(ctx).logits, ctx.store["fp32_logits"])
    n = len(ctx.store["fp32_logits"])
    return verdict(
        share >= MIN_AGREEMENT,
        f"Same top-1 class as FP32 on {round(share * n)} of {n} held-out sequences "
        f"({100 * share:.1f}%).",
        measured=round(100 * share, 2),
        threshold=f">= {100 * MIN_AGREEMENT:g}%",
    )


@suite.check(f"speedup at batch {SPEED_BATCH}", soft=True, needs=(LINEARS,), direction="higher")
def speedup(ctx: Context):
    x = ctx.store["tokens"][:SPEED_BATCH]
    # One thread: an LSTM is 40 small sequential steps, and on a busy machine a second
    # OpenMP thread turns each into a wait (a one-request-per-core server runs it so too).
    with single_thread():
        timing = compare_latency(ctx, ctx.store["reference"], ctx.module("model"), x, repeats=9)
    return verdict(
        timing.speedup >= MIN_SPEEDUP,
        f"{1000 * timing.candidate_s:.1f} ms vs {1000 * timing.reference_s:.1f} ms in FP32 per "
        f"batch of {SPEED_BATCH} sequences of {LENGTH} tokens (median of 9, 1 thread): "
        f"{timing.speedup:.2f}x. Informational: timings vary with the machine and its load.",
        measured=round(timing.speedup, 2),
        threshold=f">= {MIN_SPEEDUP:g}x (soft)",
        soft=True,
    )
