"""Checks for torchao-weight-only: does every Linear carry a torchao INT8 weight (and only the
weight), is the saved state_dict smaller, and are the outputs still the FP32 model's?

torchao 0.18 keeps the modules as nn.Linear and swaps their weight for a tensor subclass:
`torchao.quantization.Int8Tensor` (int8 `qdata`, a float `scale` per output row, and
`act_quant_kwargs`, which is None for weight-only and set when activations are quantized
too). The checks test that class with `is_a`, and measure the size as `torch.save` writes
it: the subclass pickles its int8 data, scales and metadata, and the bytes are loaded back
(`weights_only=True`) to show they are a complete artifact.
"""

from __future__ import annotations

import copy
import io
import logging

import torch
from torch import nn

from quizapp.grading.checks import (
    Context,
    Suite,
    agreement,
    compare_latency,
    failed,
    is_a,
    kind,
    named_modules,
    passed,
    plain_module_returned,
    predict,
    single_thread,
    state_dict_bytes,
    verdict,
)

# torchao registers an Enum with torch's pytree at import and torch logs a deprecation
# warning about it on stderr, which the learner would see as their own output.
_pytree_log = logging.getLogger("torch.utils._pytree")
_level = _pytree_log.level
_pytree_log.setLevel(logging.ERROR)
try:
    import torchao  # noqa: F401 - imported before the learner's file, with the log quiet
    from torchao.quantization import Int8Tensor
finally:
    _pytree_log.setLevel(_level)

SEED = 1234
FEATURES, DIM, HIDDEN, TOKENS, CLASSES = 64, 256, 1024, 16, 10
SAMPLES = 256
MAX_SIZE_RATIO = 0.30  # measured: 0.26
MIN_SQNR_DB = 35.0  # measured: 43.6 dB
MIN_AGREEMENT = 0.95  # measured: 98.0%
MIN_SPEEDUP = 1.0  # soft

suite = Suite()


class MLPBlock(nn.Module):
    """Pre-norm residual feed-forward block, as in a transformer layer."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.down = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.down(self.act(self.up(self.norm(x))))


class TinyMLPModel(nn.Module):
    """(batch, 16 tokens, 64 features) -> 10 logits: Linear-heavy, like an LLM's MLPs."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(FEATURES, DIM)
        self.blocks = nn.Sequential(MLPBlock(DIM, HIDDEN), MLPBlock(DIM, HIDDEN))
        self.norm = nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.blocks(self.embed(x))).mean(dim=1))


def build_model() -> TinyMLPModel:
    with torch.random.fork_rng():
        torch.manual_seed(SEED)
        return TinyMLPModel().eval()


@suite.setup
def setup(ctx: Context) -> None:
    reference = build_model()
    generator = torch.Generator().manual_seed(SEED + 1)
    x = torch.randn(SAMPLES, TOKENS, FEATURES, generator=generator)
    with torch.no_grad():
        fp32_logits = reference(x)
    ctx.store.update(
        reference=reference,
        learner_copy=copy.deepcopy(reference),
        x=x,
        fp32_logits=fp32_logits,
        fp32_bytes=state_dict_bytes(reference),
        linears=[name for name, m in named_modules(reference) if is_a(m, nn.Linear)],
    )


@suite.submit
def submit(ctx: Context) -> object:
    return ctx.call(ctx.entry, ctx.store.pop("learner_copy"), what="quantize()")


@suite.check("returns a module")
def returns_module(ctx: Context):
    return plain_module_returned(
        ctx.submission,
        packages=("torch", __name__),
        when_none=". quantize_() works in place and returns None: return the model itself.",
        produced_by="quantize_() leaves it",
    )


def _weights(ctx: Context) -> dict[str, object]:
    modules = dict(named_modules(ctx.submission))
    return {name: getattr(modules.get(name), "weight", None) for name in ctx.store["linears"]}


def _describe(weight: object) -> str:
    if is_a(weight, torch.Tensor):
        return f"{type(weight).__name__} of {str(weight.dtype).removeprefix('torch.')}"
    return "no weight" if weight is None else kind(weight)


def _is_int8(weight: object) -> bool:
    return (
        is_a(weight, Int8Tensor)
        and getattr(weight, "qdata", None) is not None
        and (weight.qdata.dtype == torch.int8)
    )


@suite.check("every Linear weight INT8 (torchao)", needs=("returns a module",))
def linear_weights(ctx: Context):
    weights = _weights(ctx)
    good = [name for name, w in weights.items() if _is_int8(w)]
    threshold = f"{len(weights)} of {len(weights)} Int8Tensor"
    if len(good) == len(weights):
        rows = {tuple(w.scale.shape) for w in weights.values()}
        per_row = all(len(s) == 2 and s[1] == 1 for s in rows)
        scales = "one scale per output row" if per_row else f"scales of shapes {sorted(rows)}"
        return passed(
            f"{len(good)} of {len(weights)} Linear weights are torchao Int8Tensors (int8 data, "
            f"{scales}); the modules are still nn.Linear.",
            measured=len(good),
            threshold=threshold,
        )
    float_ones = [f"{name} ({_describe(w)})" for name, w in weights.items() if not _is_int8(w)]
    shown = ", ".join(float_ones[:4]) + (
        f" and {len(float_ones) - 4} more" if len(float_ones) > 4 else ""
    )
    hint = (
        " Did a filter_fn leave some out? By default quantize_ takes every nn.Linear."
        if good
        else " Call torchao's quantize_(model, Int8WeightOnlyConfig())."
    )
    return failed(
        f"{len(good)} of {len(weights)} Linear weights are torchao Int8Tensors; not quantized: "
        f"{shown}.{hint}",
        measured=len(good),
        threshold=threshold,
    )


@suite.check("weight-only: activations stay float", needs=("every Linear weight INT8 (torchao)",))
def weight_only(ctx: Context):
    quantizing = [
        name
        for name, w in _weights(ctx).items()
        if getattr(w, "act_quant_kwargs", None) is not None
    ]
    threshold = "act_quant_kwargs is None on every weight"
    if not quantizing:
        return passed(
            "No weight quantizes its activations (act_quant_kwargs is None): W8A16-style "
            "weight-only quantization.",
            measured=0,
            threshold=threshold,
        )
    return failed(
        f"{len(quantizing)} weights also quantize their activations ({', '.join(quantizing[:3])}): "
        "that is Int8DynamicActivationInt8WeightConfig (W8A8). This exercise asks for "
        "weight-only: Int8WeightOnlyConfig.",
        measured=len(quantizing),
        threshold=threshold,
    )


def _round_trip(ctx: Context) -> str:
    """Load the saved bytes back the safe way; say what came out."""
    buffer = io.BytesIO()
    torch.save(nn.Module.state_dict(ctx.submission), buffer)
    buffer.seek(0)
    try:
        loaded = torch.load(buffer, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - reported as a figure, not a failure
        return f"torch.load(weights_only=True) refuses it ({type(exc).__name__})"
    kinds = {type(v).__name__ for k, v in loaded.items() if k.endswith("weight") and v.dim() == 2}
    return f"it loads back with torch.load(weights_only=True) as {', '.join(sorted(kinds))}"


@suite.check(f"size <= {MAX_SIZE_RATIO:.2f} of FP32", needs=("returns a module",))
def size_ratio(ctx: Context):
    fp32 = ctx.store["fp32_bytes"]
    size = state_dict_bytes(ctx.submission)
    ratio = size / fp32
    smaller = f"{fp32 / size:.1f}x smaller" if ratio < 0.95 else "about the FP32 size"
    return verdict(
        ratio <= MAX_SIZE_RATIO,
        f"state_dict as torch.save writes it: {size / 1e6:.2f} MB vs {fp32 / 1e6:.2f} MB in FP32, "
        f"{ratio:.2f} of the size ({smaller}); {_round_trip(ctx)}.",
        measured=round(ratio, 4),
        threshold=f"<= {MAX_SIZE_RATIO:.2f}",
    )


def _logits(ctx: Context) -> torch.Tensor:
    return ctx.memo("logits", lambda: predict(ctx, ctx.submission, ctx.store["x"]))


@suite.check(f"output SQNR >= {MIN_SQNR_DB:g} dB", needs=("every Linear weight INT8 (torchao)",))
def output_sqnr(ctx: Context):
    reference = ctx.store["fp32_logits"]
    difference = _logits(ctx) - reference
    error = difference.norm().item()
    sqnr = float("inf") if error == 0 else 20 * torch.log10(reference.norm() / error).item()
    return verdict(
        sqnr >= MIN_SQNR_DB,
        f"Output SQNR {sqnr:.1f} dB vs FP32 on {len(reference)} held-out inputs (largest "
        f"difference {difference.abs().max().item():.4f}; the outputs spread "
        f"{reference.std().item():.3f}).",
        measured=round(sqnr, 2),
        threshold=f">= {MIN_SQNR_DB:g} dB",
    )


@suite.check(
    f"top-1 agreement >= {100 * MIN_AGREEMENT:g}%", needs=("every Linear weight INT8 (torchao)",)
)
def top1_agreement(ctx: Context):
    share = agreement(_logits(ctx), ctx.store["fp32_logits"])
    n = len(ctx.store["fp32_logits"])
    return verdict(
        share >= MIN_AGREEMENT,
        f"Same top-1 class as FP32 on {round(share * n)} of {n} held-out inputs "
        f"({100 * share:.1f}%).",
        measured=round(100 * share, 2),
        threshold=f">= {100 * MIN_AGREEMENT:g}%",
    )


@suite.check("speedup at batch 1", soft=True, needs=("every Linear weight INT8 (torchao)",))
def speedup(ctx: Context):
    x = ctx.store["x"][:1]
    with single_thread():  # small matmuls: steadier on a shared machine
        timing = compare_latency(ctx, ctx.store["reference"], ctx.submission, x, repeats=15)
    return verdict(
        timing.speedup >= MIN_SPEEDUP,
        f"{1000 * timing.candidate_s:.2f} ms vs {1000 * timing.reference_s:.2f} ms in FP32 at "
        f"batch 1 (median of 15, 1 thread, eager mode): {timing.speedup:.2f}x. Informational: "
        "without torch.compile the weights are dequantized on every call; weight-only INT8 "
        "pays off where reading the weights is the bottleneck (LLM decoding on GPUs).",
        measured=round(timing.speedup, 2),
        threshold=f">= {MIN_SPEEDUP:g}x (soft)",
        soft=True,
    )
