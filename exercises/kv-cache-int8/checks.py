"""Checks for kv-cache-int8: the learner's INT8 quantizer for cached keys and values, in a
format they declare (per token or per head, symmetric or not), judged against the grader's
own implementation of that format; the held-out figures come from the grader's generation.

The learner's process gets the K and V every layer of the GPT computes on two windows of
calibration text, and their FORMAT. It saves what `quantize` returned for each (codes,
scales, zero points) and what `dequantize` gave back. The checker reads those tensors
(weights_only) and checks the format, the bytes, and the agreement of every code and scale
with its own quantizer of the declared format. Then, with that format in its own KV cache
(quizapp.grading.kv_cache), it measures held-out bits per byte and greedy generation from
held-out prompts against FP32: the learner's code never sees held-out text.
"""

from __future__ import annotations

import json
import math
from typing import Any

import torch

from quizapp.grading.artifacts import ArtifactError
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Suite, failed, passed, verdict
from quizapp.grading.learner_run import Run

CALIBRATION_WINDOWS = 2
MAX_BYTES_RATIO = 0.30  # INT8 codes are 0.25 of FP32: the scales may add 0.05
MAX_COST = 0.01  # bits/byte over FP32
MIN_AGREEMENT = 0.95  # greedy tokens equal to FP32's
PROMPTS = 8
PROMPT_BYTES = 64
GENERATED = 64  # the prompt and the continuation fill the GPT's context of 128
MAX_SCALE_ERROR = 1e-4  # relative, each scale against the grader's (float rounding only)
TIE = 1e-3  # x / s this close to a half-way point may round either way: one code apart
MAX_CODE_ERROR = 0.01  # in codes, ties aside (float rounding of (q - z) * s)
MAX_DEQUANTIZE_ERROR = 1e-4  # relative, dequantize() against (q - z) * s

DECLARED = "declares its format (FORMAT)"
RETURNS = "quantize() returns codes and scales for every K and V"
AGREES = "codes and scales follow the declared format"
BYTES = f"cache bytes <= {MAX_BYTES_RATIO:.2f} of FP32 (scales included)"
COST = f"bits/byte within {MAX_COST:g} of FP32"
GREEDY = f"greedy tokens >= {MIN_AGREEMENT:.0%} equal to FP32's"

suite = Suite()


@suite.setup
def setup(ctx: Context) -> None:
    from quizapp.grading.gpt_baseline import ensure_gpt_baseline
    from quizapp.grading.kv_cache import forward_kv

    baseline = ensure_gpt_baseline(progress=ctx.progress)
    model = baseline.model()
    calibration = baseline.calibration_windows(CALIBRATION_WINDOWS)
    _, kv = forward_kv(model, calibration[:, :-1], None)
    tensors = {}
    for index, (k, v) in enumerate(kv):
        tensors[f"blocks.{index}.k"] = k.contiguous()
        tensors[f"blocks.{index}.v"] = v.contiguous()
    ctx.store.update(baseline=baseline, model=model, tensors=tensors)
    ctx.job.save("kv", tensors)


@suite.produce
def produce(run: Run) -> None:
    """FORMAT as JSON; quantize() on each K and V tensor, and dequantize() on what it
    returned. What the learner's code raised is saved (out/raised.json) for the checks."""
    declared = getattr(run.learner, "FORMAT", None)
    try:
        run.out.save_json("format", {"declared": json.loads(json.dumps(declared))})
    except (TypeError, ValueError):
        run.out.save_json("format", {"type": type(declared).__name__})
    problems: dict[str, str] = {}
    results: dict[str, dict[str, torch.Tensor]] = {}
    try:
        quantize = run.function("quantize")
        dequantize = run.function("dequantize")
    except LearnerError as exc:
        run.out.save_json("raised", {"all": exc.message})
        return
    for name, x in run.input("kv").items():
        try:
            returned = run.call(quantize, x.clone(), what=f"quantize() on {name}")
        except LearnerError as exc:
            problems[name] = exc.message
            continue
        parts = returned if isinstance(returned, tuple | list) else (returned,)
        if len(parts) not in (2, 3) or not all(isinstance(p, torch.Tensor) for p in parts):
            shown = ", ".join(type(p).__name__ for p in parts)
            problems[name] = (
                f"quantize() returned ({shown}), not (codes, scale) or (codes, scale, zero_point) "
                "tensors"
            )
            continue
        keys = ("codes", "scale", "zero")[: len(parts)]
        saved = dict(zip(keys, (p.detach().clone() for p in parts), strict=True))
        try:
            back = run.call(dequantize, *(p.clone() for p in parts), what="dequantize()")
        except LearnerError as exc:
            problems[name] = exc.message
            continue
        if isinstance(back, torch.Tensor):
            saved["dequantized"] = back.detach().clone()
        results[name] = saved
    run.out.save("results", results)
    run.out.save_json("raised", problems)


# --- the checker's side -----------------------------------------------------------------


def _raised(ctx: Context) -> dict[str, Any]:
    def load() -> dict[str, Any]:
        try:
            raised = ctx.out.load_json("raised")
        except ArtifactError:
            return {}
        return raised if isinstance(raised, dict) else {}

    return ctx.memo("raised", load)


def _format(ctx: Context):
    from quizapp.grading.kv_cache import parse_format

    def load():
        try:
            card = ctx.out.load_json("format")
        except ArtifactError:
            raise LearnerError("FORMAT could not be read from your file.") from None
        if "type" in card:
            raise LearnerError(f"FORMAT is a {card['type']}, not a dict of a string and a bool.")
        if card.get("declared") is None:
            raise LearnerError(
                'Your file declares no FORMAT: add FORMAT = {"granularity": "per-head", '
                '"symmetric": True} (or per-token, or asymmetric) at module level.'
            )
        try:
            return parse_format(card["declared"])
        except ValueError as exc:
            raise LearnerError(str(exc)) from None

    return ctx.memo("format", load)


def _results(ctx: Context) -> dict[str, dict[str, torch.Tensor]]:
    def load() -> dict[str, dict[str, torch.Tensor]]:
        if _raised(ctx).get("all"):
            raise LearnerError(str(_raised(ctx)["all"]))
        try:
            results = ctx.out.load("results")
        except ArtifactError as exc:
            raise LearnerError(f"What quantize() returned could not be read: {exc}") from None
        return results if isinstance(results, dict) else {}

    return ctx.memo("results", load)


def _shape_problem(x: torch.Tensor, result: dict[str, torch.Tensor]) -> str | None:
    shape = tuple(x.shape)
    codes = result["codes"]
    if tuple(codes.shape) != shape:
        return f"returned codes of shape {tuple(codes.shape)}, not {shape} (one code an element)"
    for key in ("scale", "zero"):
        if key in result:
            try:
                torch.broadcast_shapes(tuple(result[key].shape), shape)
            except RuntimeError:
                return (
                    f"returned a {key} of shape {tuple(result[key].shape)}, which does not "
                    f"broadcast against {shape}: keep the reduced dimensions (keepdim=True)"
                )
    back = result.get("dequantized")
    if not isinstance(back, torch.Tensor) or tuple(back.shape) != shape:
        got = tuple(back.shape) if isinstance(back, torch.Tensor) else "no tensor"
        return f"dequantize() gave {got}, not a tensor of shape {shape}"
    return None


@suite.check(DECLARED)
def declared_format(ctx: Context):
    threshold = "per-token or per-head, symmetric or not"
    try:
        fmt = _format(ctx)
    except LearnerError as exc:
        return failed(exc.message, threshold=threshold)
    return passed(
        f"FORMAT declares {fmt.label}: the grader quantizes its own cache that way.",
        measured=fmt.label,
        threshold=threshold,
    )


@suite.check(RETURNS)
def returns_codes(ctx: Context):
    tensors = ctx.store["tensors"]
    threshold = f"{len(tensors)} of {len(tensors)}"
    try:
        results = _results(ctx)
    except LearnerError as exc:
        return failed(exc.message, threshold=threshold)
    problems = dict(_raised(ctx))
    for name, x in tensors.items():
        if name in results and name not in problems:
            problem = _shape_problem(x, results[name])
            if problem:
                problems[name] = problem
        elif name not in problems:
            problems[name] = "has no result"
    good = len(tensors) - len(problems)
    if not problems:
        x = next(iter(tensors.values()))
        return passed(
            f"quantize() returned codes and scales for the {len(tensors)} K and V tensors "
            f"(each {tuple(x.shape)}: batch, heads, tokens, head_dim) of the GPT on "
            "calibration text, and dequantize() gave each back.",
            measured=good,
            threshold=threshold,
        )
    name, problem = next(iter(problems.items()))
    more = f" (and {len(problems) - 1} more tensors)" if len(problems) > 1 else ""
    return failed(
        f"{good} of {len(tensors)} tensors: {name}{more}: {problem}",
        measured=good,
        threshold=threshold,
    )


def _describe_count(count: int, x: torch.Tensor) -> str:
    batch, heads, tokens, _ = x.shape
    if count == 1:
        return "one scale for the whole tensor (per-tensor)"
    if count == batch * tokens:
        return "one per token (per-token)"
    if count == batch * heads * tokens:
        return "one per token and head (per-head)"
    if count == batch * heads * x.shape[3]:
        return "one per channel over the tokens (per-channel)"
    return f"{count} scales"


@suite.check(AGREES, needs=(DECLARED, RETURNS), direction="lower")
def agrees_with_format(ctx: Context):
    from quizapp.grading.kv_cache import dequantize_kv, quantize_kv, scale_shape

    fmt = _format(ctx)
    results = _results(ctx)
    threshold = "0 codes apart (one at a tie)"
    worst = 0.0
    for name, x in ctx.store["tensors"].items():
        result = results[name]
        expected = scale_shape(fmt, tuple(x.shape))
        count = result["scale"].numel()
        if count != math.prod(expected):
            return failed(
                f"{name}: your scale has shape {tuple(result['scale'].shape)}, "
                f"{_describe_count(count, x)}, but FORMAT declares {fmt.granularity}: "
                f"{math.prod(expected)} scales of shape {expected} for K or V of shape "
                f"{tuple(x.shape)}. Compute the scale over the dimensions the granularity "
                "groups, or declare the granularity you computed.",
                measured=None,
                threshold=threshold,
            )
        _, scale, _ = quantize_kv(x, fmt)
        theirs = result["scale"]
        wide = scale.expand(x.shape)
        scale_error = ((theirs.float().expand(x.shape) - wide).abs() / wide).max()
        # A scale stored in float16 is the format's scale rounded to float16: then the codes
        # are judged against the format's codes for the scale as stored.
        eps = torch.finfo(theirs.dtype).eps if theirs.is_floating_point() else 0.0
        tolerance = max(MAX_SCALE_ERROR, eps)
        if scale_error <= tolerance:
            scale = theirs.float()
        codes, scale, zero = quantize_kv(x, fmt, scale)
        learner_values = dequantize_kv(result["codes"], result["scale"], result.get("zero"))
        apart = (learner_values - dequantize_kv(codes, scale, zero)).abs() / scale
        steps = x.float() / scale
        at_tie = (steps - steps.floor() - 0.5).abs() < TIE
        # At a tie one code either way is right; elsewhere the codes must be the grader's.
        code_error = torch.where(at_tie, (apart - 1).clamp(min=0), apart).max().item()
        kind = "symmetric" if fmt.symmetric else "asymmetric"
        formula = "s = max|x| / 127" if fmt.symmetric else "s = (max - min) / 255, range holding 0"
        if not scale_error <= tolerance:
            clipped = ((x - learner_values).abs() > result["scale"].float().abs()).float().mean()
            return failed(
                f"{name}: your scales differ from the declared format's ({fmt.granularity}, "
                f"{kind}: {formula}) by up to {scale_error.item():.1%}, and your values "
                f"(q - z) * s from the grader's by up to {code_error:.1f} codes; "
                f"{clipped.item():.1%} of the values fall outside the range your scales cover "
                "(clipped). Each scale must come from the values it serves, computed for every "
                "token, never reused from another token.",
                measured=round(code_error, 2),
                threshold=threshold,
            )
        if not code_error <= MAX_CODE_ERROR:
            off = ((apart > 0.5) & ~at_tie).float().mean().item()
            return failed(
                f"{name}: your scales are the format's, but {off:.1%} of your codes differ from "
                f"round-to-nearest's by up to {code_error:.1f} codes, away from any tie. Round "
                "x / s with torch.round before the cast: .to(torch.int8) alone truncates "
                "toward zero.",
                measured=round(code_error, 2),
                threshold=threshold,
            )
        back = result["dequantized"].float()
        error = ((back - learner_values).norm() / learner_values.norm().clamp(min=1e-12)).item()
        if not error <= MAX_DEQUANTIZE_ERROR:
            return failed(
                f"{name}: dequantize() of your own codes differs from (q - z) * s by "
                f"{error:.2g} relative error: it must give back the values your codes and "
                "scales stand for.",
                measured=None,
                threshold=threshold,
            )
        worst = max(worst, code_error)
    return passed(
        f"Every code and scale of the {len(results)} K and V tensors matches the grader's "
        f"{fmt.label}: the same scales, the same codes (one code apart at most where x / s "
        f"is half-way, {worst:.2f} codes apart elsewhere), and dequantize() gives (q - z) * s "
        "back.",
        measured=round(worst, 2),
        threshold=threshold,
    )


@suite.check(BYTES, needs=(RETURNS,), direction="lower")
def cache_bytes(ctx: Context):
    results = _results(ctx)
    fp32 = sum(4 * x.numel() for x in ctx.store["tensors"].values())
    parts = {"codes": 0, "scale": 0, "zero": 0}
    dtypes = set()
    for result in results.values():
        dtypes.add(result["codes"].dtype)
        for key in parts:
            if key in result:
                parts[key] += result[key].numel() * result[key].element_size()
    size = sum(parts.values())
    ratio = size / fp32
    ok = ratio <= MAX_BYTES_RATIO
    message = (
        f"{size / 1e3:.1f} kB (codes {parts['codes'] / 1e3:.1f}, scales "
        f"{parts['scale'] / 1e3:.1f}, zero points {parts['zero'] / 1e3:.1f}) for "
        f"{fp32 / 1e3:.1f} kB of FP32 K and V: {ratio:.3f} of the size, "
        f"{32 * ratio:.2f} bits an element."
    )
    wide = sorted(str(d).removeprefix("torch.") for d in dtypes if d.itemsize > 1)
    if not ok and wide:
        message += (
            f" Your codes are stored as {', '.join(wide)} ({max(d.itemsize for d in dtypes)} "
            "bytes each): INT8 codes take one byte (torch.int8, or torch.uint8 with a zero "
            "point). A wider type holds the same codes in two or four times the memory, and "
            "memory is what a KV cache is quantized for."
        )
    elif not ok:
        message += " Are the scales one per token (or token and head), not one per element?"
    return verdict(ok, message, measured=round(ratio, 4), threshold=f"<= {MAX_BYTES_RATIO:.2f}")


def _fp32_generation(ctx: Context):
    from quizapp.grading.kv_cache import generate

    def run():
        held_out = ctx.store["baseline"].held_out
        stride = (len(held_out) - PROMPT_BYTES) // PROMPTS
        prompts = torch.stack(
            [held_out[i * stride : i * stride + PROMPT_BYTES] for i in range(PROMPTS)]
        ).long()
        ctx.store["prompts"] = prompts
        return generate(ctx.store["model"], prompts, GENERATED, None)

    return ctx.memo("fp32_generation", run)


@suite.check(COST, needs=(AGREES,), direction="lower")
def bits_per_byte_cost(ctx: Context):
    from quizapp.grading.kv_cache import bits_per_byte_kv

    fmt = _format(ctx)
    baseline = ctx.store["baseline"]
    ids = baseline.held_out_windows()
    quantized = bits_per_byte_kv(ctx.store["model"], ids, fmt)
    fp32 = baseline.fp32_bits_per_byte
    cost = quantized - fp32
    return verdict(
        cost <= MAX_COST,
        f"Held-out text ({len(ids) * (ids.shape[1] - 1)} bytes the grader keeps), every "
        f"layer's K and V read back from the grader's {fmt.label} cache: {quantized:.4f} "
        f"bits/byte vs {fp32:.4f} in FP32 ({cost:+.4f}).",
        measured=round(cost, 4) + 0.0,  # never "-0.0"
        threshold=f"<= {MAX_COST:g}",
    )


@suite.check(GREEDY, needs=(AGREES,), direction="higher")
def greedy_agreement(ctx: Context):
    from quizapp.grading.kv_cache import generate

    fmt = _format(ctx)
    reference = _fp32_generation(ctx)
    quantized = generate(ctx.store["model"], ctx.store["prompts"], GENERATED, fmt)
    equal = (quantized.tokens == reference.tokens).float().mean().item()
    ratio = quantized.stored_bytes / quantized.fp32_bytes
    return verdict(
        equal >= MIN_AGREEMENT,
        f"Greedy generation of {GENERATED} bytes after each of {PROMPTS} held-out prompts of "
        f"{PROMPT_BYTES} bytes, token by token through the grader's {fmt.label} cache: "
        f"{equal:.1%} of the tokens equal FP32's. That cache (FP32 scales and zero points) "
        f"holds {ratio:.3f} of FP32's bytes.",
        measured=round(equal, 4),
        threshold=f">= {MIN_AGREEMENT:g}",
    )
