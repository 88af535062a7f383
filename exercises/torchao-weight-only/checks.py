"""Checks for torchao-weight-only: does every Linear carry a torchao INT8 weight (and only the
weight), is the saved state_dict smaller, and are the outputs still the FP32 model's?

torchao 0.18 keeps the modules as nn.Linear and swaps their weight for a tensor subclass:
`torchao.quantization.Int8Tensor` (int8 `qdata`, a float `scale` per output row, and
`act_quant_kwargs`, which is None for weight-only and set when activations are quantized
too). Such weights do not script, so the learner's process saves the returned model's
state_dict as `torch.save` writes it (out/model.pt) with a card of what quantize() returned
(out/model.json). The checker loads it with `torch.load(weights_only=True)` (torchao, imported
here first, puts its classes on that loader's allow-list), checks the weights' types, loads
them into its own TinyMLPModel (`load_state_dict(..., assign=True)`) and measures that
model: its outputs on held-out inputs (which never leave the checker), its speed, and the
state_dict's size as `torch.save` writes it.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import torch
from torch import nn

from quizapp.grading.artifacts import ArtifactError
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Suite, errored, failed, passed, verdict
from quizapp.grading.learner_run import Run, class_path
from quizapp.grading.measure import (
    agreement,
    compare_latency,
    is_a,
    predict,
    single_thread,
    state_dict_bytes,
)

# torchao registers an Enum with torch's pytree at import and torch logs a deprecation
# warning about it on stderr, which the learner would see as their own output. Both
# processes import it here: the learner's before the learner's file, the checker before it
# loads the learner's state_dict (weights_only knows torchao's classes only once imported).
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
MIN_SQNR_DB = 35.0  # measured: 43.3 dB
MIN_AGREEMENT = 0.95  # measured: 100%
MIN_SPEEDUP = 1.0  # soft

RETURNS_MODULE = "returns a module"
WEIGHTS = "every Linear weight INT8 (torchao)"

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
        x=x,
        fp32_logits=fp32_logits,
        fp32_bytes=state_dict_bytes(reference),
        linears=[name for name, m in reference.named_modules() if isinstance(m, nn.Linear)],
    )
    ctx.job.save("weights", reference.state_dict())


@suite.produce
def produce(run: Run) -> None:
    """quantize(model) on a copy of the FP32 model; the returned model's state_dict saved
    (torchao's weights do not script) with a card of what came back."""
    with torch.random.fork_rng():
        model = TinyMLPModel()
    model.load_state_dict(run.input("weights"))
    result = run.call(run.entry, model.eval(), what="quantize()")
    card: dict[str, Any] = {
        "type": class_path(result),
        "what": "quantize()",
        "module": isinstance(result, nn.Module),
    }
    if card["module"]:
        state = run.call(nn.Module.state_dict, result, what="state_dict() of the returned model")
        try:
            run.out.save("model", state)
        except BaseException as exc:  # noqa: BLE001 - e.g. a state_dict torch.save refuses
            card["error"] = f"its state_dict cannot be saved: {type(exc).__name__}: {exc}"
    run.out.save_json("model", card)


# --- the returned model, rebuilt in the checker --------------------------------------------


def _loaded(ctx: Context) -> dict[str, Any]:
    """The learner's state_dict, loaded with weights_only (LearnerError if unusable)."""

    def load() -> dict[str, Any]:
        try:
            state = ctx.out.load("model")
        except ArtifactError as exc:
            raise LearnerError(f"The state_dict of your model could not be read: {exc}") from None
        if not isinstance(state, dict):
            raise LearnerError(f"The saved state_dict is a {type(state).__name__}, not a dict.")
        return state

    return ctx.memo("state_dict", load)


def _fit(state: dict[str, Any]) -> list[str]:
    """How a state_dict does not fit TinyMLPModel: missing, unexpected or misshapen keys."""
    expected = {name: tuple(t.shape) for name, t in TinyMLPModel().state_dict().items()}
    problems = []
    missing = [k for k in expected if k not in state]
    unexpected = [str(k) for k in state if k not in expected]
    if missing:
        problems.append(f"missing {', '.join(missing[:3])}" + (" ..." if len(missing) > 3 else ""))
    if unexpected:
        problems.append(
            f"unexpected {', '.join(unexpected[:3])}" + (" ..." if len(unexpected) > 3 else "")
        )
    for key, shape in expected.items():
        value = state.get(key)
        if key in state and not isinstance(value, torch.Tensor):
            problems.append(f"{key} is a {type(value).__name__}, not a tensor")
        elif isinstance(value, torch.Tensor) and tuple(value.shape) != shape:
            problems.append(f"{key} has shape {tuple(value.shape)}, not {shape}")
    return problems


def candidate(ctx: Context) -> TinyMLPModel:
    """The checker's own TinyMLPModel holding the learner's tensors (assign=True keeps
    torchao's weight subclasses as they are)."""

    def build() -> TinyMLPModel:
        model = TinyMLPModel()
        try:
            model.load_state_dict(_loaded(ctx), assign=True)
        except Exception as exc:  # noqa: BLE001 - the learner's tensors do not fit
            raise LearnerError(
                f"The saved state_dict does not load into the model: {type(exc).__name__}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
            ) from None
        return model.eval()

    return ctx.memo("candidate", build)


@suite.check(RETURNS_MODULE)
def returns_module(ctx: Context):
    threshold = "a torch.nn.Module"
    card = ctx.card("model")
    shown = str(card.get("type") or "nothing").rsplit(".", 1)[-1][:60]
    if not card:
        return errored("The grader found no record of what quantize() returned.", None, threshold)
    if card.get("module") is not True:
        if shown == "NoneType":
            return errored(
                "quantize() returned None, not a torch.nn.Module. quantize_() works in place "
                "and returns None: return the model itself.",
                measured=shown,
                threshold=threshold,
            )
        return errored(f"quantize() returned a {shown}, not a torch.nn.Module.", shown, threshold)
    if card.get("error"):
        return errored(
            f"The module quantize() returned cannot be graded: {str(card['error'])[:2000]}",
            shown,
            threshold,
        )
    try:
        problems = _fit(_loaded(ctx))
    except LearnerError as exc:
        return errored(exc.message, measured=shown, threshold=threshold)
    if problems:
        return failed(
            f"The state_dict of the {shown} quantize() returned does not fit the model it was "
            f"given: {'; '.join(problems[:4])}. Quantize the model you were given in place and "
            "return it; don't wrap or replace it.",
            measured=shown,
            threshold=threshold,
        )
    try:
        model = candidate(ctx)
    except LearnerError as exc:
        return failed(exc.message, measured=shown, threshold=threshold)
    tensors = len(model.state_dict())
    return passed(
        f"quantize() returned a {shown}; its state_dict ({tensors} tensors) loads into the "
        "model's architecture.",
        measured=shown,
        threshold=threshold,
    )


def _weights(ctx: Context) -> dict[str, object]:
    state = _loaded(ctx)
    return {name: state.get(f"{name}.weight") for name in ctx.store["linears"]}


def _describe(weight: object) -> str:
    if is_a(weight, torch.Tensor):
        return f"{type(weight).__name__} of {str(weight.dtype).removeprefix('torch.')}"
    return "no weight" if weight is None else type(weight).__name__


def _is_int8(weight: object) -> bool:
    qdata = getattr(weight, "qdata", None) if is_a(weight, Int8Tensor) else None
    return is_a(qdata, torch.Tensor) and qdata.dtype == torch.int8


@suite.check(WEIGHTS, needs=(RETURNS_MODULE,))
def linear_weights(ctx: Context):
    weights = _weights(ctx)
    good = [name for name, w in weights.items() if _is_int8(w)]
    threshold = f"{len(weights)} of {len(weights)} Int8Tensor"
    if len(good) == len(weights):
        shapes = [tuple(getattr(getattr(w, "scale", None), "shape", ())) for w in weights.values()]
        per_row = all(
            shape == (w.shape[0], 1) for shape, w in zip(shapes, weights.values(), strict=True)
        )
        rows = set(shapes)
        scales = "one scale per output row" if per_row else f"scales of shapes {sorted(rows)}"
        return passed(
            f"{len(good)} of {len(weights)} Linear weights are torchao Int8Tensors (int8 data, "
            f"{scales}), loaded with torch.load(weights_only=True).",
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


@suite.check("weight-only: activations stay float", needs=(WEIGHTS,))
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


def _saved_bytes(state: dict[str, Any]) -> int:
    """The size of a state_dict as torch.save writes it (the checker saves it again, so the
    figure is the tensors', whatever the learner's file held besides)."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getbuffer().nbytes


@suite.check(f"size <= {MAX_SIZE_RATIO:.2f} of FP32", needs=(RETURNS_MODULE,), direction="lower")
def size_ratio(ctx: Context):
    fp32 = ctx.store["fp32_bytes"]
    state = _loaded(ctx)
    size = _saved_bytes(state)
    ratio = size / fp32
    smaller = f"{fp32 / size:.1f}x smaller" if ratio < 0.95 else "about the FP32 size"
    kinds = sorted(
        {type(v).__name__ for v in _weights(ctx).values() if isinstance(v, torch.Tensor)}
    )
    return verdict(
        ratio <= MAX_SIZE_RATIO,
        f"state_dict as torch.save writes it: {size / 1e6:.2f} MB vs {fp32 / 1e6:.2f} MB in FP32, "
        f"{ratio:.2f} of the size ({smaller}); it loads back with "
        f"torch.load(weights_only=True) as {', '.join(kinds)}.",
        measured=round(ratio, 4),
        threshold=f"<= {MAX_SIZE_RATIO:.2f}",
    )


def _logits(ctx: Context) -> torch.Tensor:
    return ctx.memo("logits", lambda: predict(ctx, candidate(ctx), ctx.store["x"]))


@suite.check(f"output SQNR >= {MIN_SQNR_DB:g} dB", needs=(WEIGHTS,), direction="higher")
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


@suite.check(f"top-1 agreement >= {100 * MIN_AGREEMENT:g}%", needs=(WEIGHTS,), direction="higher")
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


@suite.check("speedup at batch 1", soft=True, needs=(WEIGHTS,), direction="higher")
def speedup(ctx: Context):
    x = ctx.store["x"][:1]
    with single_thread():  # small matmuls: steadier on a shared machine
        timing = compare_latency(ctx, ctx.store["reference"], candidate(ctx), x, repeats=15)
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
