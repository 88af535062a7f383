"""Checks for dynamic-quant: are the LSTM and Linear layers dynamic INT8, the state_dict
smaller, and the logits still those of the FP32 model?

The model is built here from a fixed seed (no training, no download): an LSTM text
classifier whose weights are scaled so that its logits depend on the input (at PyTorch's
default init they are nearly constant, and agreement would measure nothing). The held-out
token sequences are never given to the learner's code.
"""

from __future__ import annotations

import copy

import torch
import torch.ao.nn.quantized.dynamic as nnqd
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

SEED = 2026
VOCAB, EMBED, HIDDEN, CLASSES = 500, 32, 256, 4
SEQUENCES, LENGTH = 256, 40
MAX_SIZE_RATIO = 0.35  # measured: 0.29 (the 64 kB Embedding stays FP32)
MIN_SQNR_DB = 25.0  # measured: 30.0 dB
MIN_AGREEMENT = 0.95  # measured: 98.0%
SPEED_BATCH = 16
MIN_SPEEDUP = 1.0  # soft

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
    with torch.no_grad():
        fp32_logits = reference(tokens)
    ctx.store.update(
        reference=reference,
        learner_copy=copy.deepcopy(reference),
        tokens=tokens,
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
        when_none=" (did you forget to return it?).",
        produced_by="quantize_dynamic() produces it",
    )


def _weight_dtype(module: nn.Module) -> torch.dtype | None:
    if is_a(module, nnqd.LSTM):
        return module.dtype
    if is_a(module, nnqd.Linear):
        return module._packed_params.dtype
    return None


@suite.check("Linear layers dynamic INT8", needs=("returns a module",))
def linears_dynamic(ctx: Context):
    modules = dict(named_modules(ctx.submission))
    expected = ctx.store["linears"]
    threshold = f"{len(expected)} of {len(expected)}"
    good, problems = [], []
    for name in expected:
        module = modules.get(name)
        if module is None:
            problems.append(f"{name} is gone")
        elif is_a(module, nnqd.Linear) and _weight_dtype(module) == torch.qint8:
            good.append(name)
        elif is_a(module, nnqd.Linear):
            problems.append(
                f"{name} is dynamic but its weights are {_weight_dtype(module)}, not torch.qint8"
            )
        else:
            problems.append(f"{name} is a {kind(module)}")
    if not problems:
        return passed(
            f"{len(good)} of {len(expected)} Linear layers ({', '.join(good)}) are dynamic INT8 "
            "(torch.ao.nn.quantized.dynamic.Linear, qint8 weights).",
            measured=len(good),
            threshold=threshold,
        )
    return failed(
        f"{len(good)} of {len(expected)} Linear layers are dynamic INT8: {'; '.join(problems)}.",
        measured=len(good),
        threshold=threshold,
    )


@suite.check("LSTM dynamic INT8", needs=("returns a module",))
def lstm_dynamic(ctx: Context):
    lstm = dict(named_modules(ctx.submission)).get("lstm")
    threshold = "torch.ao.nn.quantized.dynamic.LSTM, qint8 weights"
    if is_a(lstm, nnqd.LSTM) and _weight_dtype(lstm) == torch.qint8:
        return passed(
            "The LSTM is dynamic INT8 (torch.ao.nn.quantized.dynamic.LSTM, qint8 weights).",
            measured=kind(lstm),
            threshold=threshold,
        )
    if is_a(lstm, nnqd.LSTM):
        message = f"The LSTM is dynamic but its weights are {_weight_dtype(lstm)}, not torch.qint8."
    elif lstm is None:
        message = "The model has no lstm any more."
    else:
        message = (
            f"The LSTM is a {kind(lstm)}: it holds most of this model's weights, so leaving it "
            "in FP32 keeps most of the size. Include nn.LSTM in what you quantize."
        )
    return failed(
        message, measured=kind(lstm) if lstm is not None else "missing", threshold=threshold
    )


@suite.check(f"size <= {MAX_SIZE_RATIO:.2f} of FP32", needs=("returns a module",))
def size_ratio(ctx: Context):
    fp32 = ctx.store["fp32_bytes"]
    size = state_dict_bytes(ctx.submission)
    ratio = size / fp32
    smaller = f"{fp32 / size:.1f}x smaller" if ratio < 0.95 else "about the FP32 size"
    return verdict(
        ratio <= MAX_SIZE_RATIO,
        f"state_dict: {size / 1e3:.0f} kB vs {fp32 / 1e3:.0f} kB in FP32, {ratio:.2f} of the size "
        f"({smaller}).",
        measured=round(ratio, 4),
        threshold=f"<= {MAX_SIZE_RATIO:.2f}",
    )


def _logits(ctx: Context) -> torch.Tensor:
    def compute() -> torch.Tensor:
        with single_thread():  # 40 small steps per sequence: a second thread only waits
            return predict(ctx, ctx.submission, ctx.store["tokens"])

    return ctx.memo("logits", compute)


@suite.check(f"logit SQNR >= {MIN_SQNR_DB:g} dB", needs=("Linear layers dynamic INT8",))
def logit_sqnr(ctx: Context):
    reference = ctx.store["fp32_logits"]
    error = (_logits(ctx) - reference).norm().item()
    sqnr = float("inf") if error == 0 else 20 * torch.log10(reference.norm() / error).item()
    worst = (_logits(ctx) - reference).abs().max().item()
    return verdict(
        sqnr >= MIN_SQNR_DB,
        f"Logit SQNR {sqnr:.1f} dB vs FP32 on {len(reference)} held-out sequences (largest "
        f"difference {worst:.4f}; the logits' spread is {reference.std().item():.3f}).",
        measured=round(sqnr, 2),
        threshold=f">= {MIN_SQNR_DB:g} dB",
    )


@suite.check(f"top-1 agreement >= {100 * MIN_AGREEMENT:g}%", needs=("Linear layers dynamic INT8",))
def top1_agreement(ctx: Context):
    share = agreement(_logits(ctx), ctx.store["fp32_logits"])
    n = len(ctx.store["fp32_logits"])
    return verdict(
        share >= MIN_AGREEMENT,
        f"Same top-1 class as FP32 on {round(share * n)} of {n} held-out sequences "
        f"({100 * share:.1f}%).",
        measured=round(100 * share, 2),
        threshold=f">= {100 * MIN_AGREEMENT:g}%",
    )


@suite.check(f"speedup at batch {SPEED_BATCH}", soft=True, needs=("Linear layers dynamic INT8",))
def speedup(ctx: Context):
    x = ctx.store["tokens"][:SPEED_BATCH]
    # One thread: an LSTM is 40 small sequential steps, and on a busy machine a second
    # OpenMP thread turns each into a wait (a one-request-per-core server runs it so too).
    with single_thread():
        timing = compare_latency(ctx, ctx.store["reference"], ctx.submission, x, repeats=9)
    return verdict(
        timing.speedup >= MIN_SPEEDUP,
        f"{1000 * timing.candidate_s:.1f} ms vs {1000 * timing.reference_s:.1f} ms in FP32 per "
        f"batch of {SPEED_BATCH} sequences of {LENGTH} tokens (median of 9, 1 thread): "
        f"{timing.speedup:.2f}x. Informational: timings vary with the machine and its load.",
        measured=round(timing.speedup, 2),
        threshold=f">= {MIN_SPEEDUP:g}x (soft)",
        soft=True,
    )
