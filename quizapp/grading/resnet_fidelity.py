"""The fidelity checks of a quantized digits ResNet-18: its predictions against FP32's, on
held-out images the learner's process never saw, and its speed (soft) (torch, the checker).

Every forward pass runs under the op recorder and is held to the layer ops of the first
traced one (`predict`): a model that runs INT8 kernels on one batch and float on another is
caught.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Outcome, Suite, failed, passed, verdict
from quizapp.grading.measure import agreement, compare_latency, logits_of
from quizapp.grading.resnet_checks import (
    KERNELS,
    TRACE_IMAGES,
    crashed,
    first_trace,
    forward,
    submission,
)
from quizapp.grading.resnet_job import CALIBRATION_BATCH_SIZE

MAX_ACCURACY_DROP = 1.0  # percentage points
MIN_AGREEMENT = 0.97
NEW_BATCH_SIZES = (1, 7, 50)  # calibration used 32
MIN_SPEEDUP = 1.0  # soft: reported, never fails the exercise
EVAL_BATCH = 256

# Check names other exercises' `needs` refer to.
NEW_BATCHES = "runs on new batch sizes"
ACCURACY = f"accuracy drop <= {MAX_ACCURACY_DROP:g} point"
AGREEMENT = f"top-1 agreement >= {100 * MIN_AGREEMENT:g}%"


def predict(ctx: Context, x: torch.Tensor, batch: int = EVAL_BATCH) -> torch.Tensor:
    """The learner's logits for x, every forward pass recorded and held to the same layer
    ops as the first traced one (a model may not switch kernels with its input)."""
    expected = first_trace(ctx).profile()
    outputs = []
    for start in range(0, len(x), batch):
        chunk = x[start : start + batch]
        trace, out = forward(ctx, chunk)
        if trace.profile() != expected:
            raise LearnerError(
                f"your model ran different layer ops on a batch of {len(chunk)} images than on "
                f"a batch of {TRACE_IMAGES}: {_difference(expected, trace.profile())}."
            )
        outputs.append(logits_of(out, len(chunk)))
    return torch.cat(outputs)


def _difference(expected: Any, got: Any) -> str:
    changed = sorted(set(expected) | set(got))
    parts = [
        f"{n} {expected.get(n, 0)} -> {got.get(n, 0)}"
        for n in changed
        if expected.get(n, 0) != got.get(n, 0)
    ]
    return ", ".join(parts[:4])


# --- fidelity: predictions against FP32 -------------------------------------------------


def new_batch_sizes(ctx: Context) -> Outcome:
    x = ctx.store["held_out_x"][: max(NEW_BATCH_SIZES)]
    try:
        whole = predict(ctx, x, batch=len(x))
        pieces_by_size = {size: predict(ctx, x, batch=size) for size in NEW_BATCH_SIZES}
    except LearnerError as exc:
        return crashed(ctx, exc, "same predictions", NEW_BATCHES)
    worst = 0.0
    for size, pieces in pieces_by_size.items():
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
    return ctx.memo("logits", lambda: predict(ctx, ctx.store["held_out_x"]))


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


def add_fidelity_checks(suite: Suite, *, needs: Sequence[str] = (KERNELS,)) -> None:
    """runs on new batch sizes, accuracy drop, top-1 agreement: figures of the INT8 model,
    so they run once `needs` passed (a float model is not measured)."""
    suite.check(NEW_BATCHES, needs=needs)(new_batch_sizes)
    suite.check(ACCURACY, needs=(NEW_BATCHES,), direction="lower")(accuracy_drop)
    suite.check(AGREEMENT, needs=(NEW_BATCHES,), direction="higher")(top1_agreement)


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
        suite.check(f"speedup at batch {batch}", soft=True, needs=needs, direction="higher")(
            _speed_check(batch)
        )
