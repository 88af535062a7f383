"""Checks for int4-weight-only: real two-per-byte packing, a Linear that computes from it,
and the cost in held-out bits per byte of the small GPT quantized at group size 64.

The learner's process gets the GPT's FP32 weights, random codes to pack, and each Linear's
inputs recorded on calibration text (never held-out text). It saves what the learner's
code returned: the packed codes and their round trip, each quantized Linear's `packed`,
`scale` and `zero_point` buffers, and each one's outputs on its calibration inputs. The
checker reads those tensors (weights_only) and measures everything itself: the bytes, the
nibble order (its own unpack of the learner's bytes), each Linear's outputs against its own
dequantization of the learner's bytes, and the held-out bits per byte of its own GPT with
the learner's weights dequantized by that same reference.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from quizapp.grading.artifacts import ArtifactError
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Suite, failed, passed, verdict
from quizapp.grading.learner_run import Run

GROUP_SIZE = 64
MAX_SIZE_RATIO = 0.16  # FP32 scale and zero point per group of 64: 5 bits a weight, 0.156
MAX_RELATIVE_ERROR = 1e-4  # the learner's Linear against the dequantized reference
MAX_COST = 0.02  # bits/byte over FP32
CALIBRATION_WINDOWS = 2
PACK_SEED = 4321
PACK_SHAPE = (96, 256)

PACKING = "pack/unpack: two codes per byte, exact"
RETURNS = "every Linear quantized (packed, scale, zero_point)"
SIZE = f"packed size <= {MAX_SIZE_RATIO:.2f} of FP32"
MATCHES = "each Linear computes from its packed weights"
COST = f"bits/byte within {MAX_COST:g} of FP32"

suite = Suite()


@suite.setup
def setup(ctx: Context) -> None:
    from quizapp.grading.gpt_baseline import ensure_gpt_baseline, linear_names

    baseline = ensure_gpt_baseline(progress=ctx.progress)
    model = baseline.model()
    names = linear_names(model)
    inputs = _linear_inputs(model, names, baseline.calibration_windows(CALIBRATION_WINDOWS))
    codes = torch.randint(0, 16, PACK_SHAPE, generator=torch.Generator().manual_seed(PACK_SEED))
    ctx.store.update(baseline=baseline, names=names, inputs=inputs, codes=codes.to(torch.uint8))
    ctx.job.save("weights", baseline.state_dict)
    ctx.job.save("inputs", inputs)
    ctx.job.save("codes", codes.to(torch.uint8))
    recipe = baseline.recipe
    ctx.job.save_json(
        "recipe", {"width": recipe.width, "layers": recipe.layers, "context": recipe.context}
    )


@torch.no_grad()
def _linear_inputs(
    model: nn.Module, names: list[str], ids: torch.Tensor
) -> dict[str, torch.Tensor]:
    """What each Linear receives when the FP32 model reads calibration text: (rows, in)."""
    seen: dict[str, torch.Tensor] = {}
    handles = [
        model.get_submodule(name).register_forward_pre_hook(
            lambda module, args, name=name: seen.__setitem__(
                name, args[0].reshape(-1, args[0].shape[-1]).clone()
            )
        )
        for name in names
    ]
    try:
        model(ids[:, :-1])
    finally:
        for handle in handles:
            handle.remove()
    return seen


@suite.produce
def produce(run: Run) -> None:
    """pack/unpack on the checker's codes; quantize(model, 64) on a copy of the GPT; each
    quantized Linear's buffers and its outputs on the checker's calibration inputs. What the
    learner's code raised is saved (out/raised.json) for the check it concerns."""
    from quizapp.grading.gpt_baseline import GPT

    raised: dict[str, Any] = {}
    codes = run.input("codes")
    try:
        packed = run.call(run.function("pack_int4"), codes.clone(), what="pack_int4()")
        _save_tensor(run, "packed_codes", packed)
        if isinstance(packed, torch.Tensor):
            unpacked = run.call(run.function("unpack_int4"), packed.clone(), what="unpack_int4()")
            _save_tensor(run, "unpacked_codes", unpacked)
    except LearnerError as exc:
        raised["packing"] = exc.message

    shape = run.job.load_json("recipe")
    model = GPT(int(shape["width"]), int(shape["layers"]), int(shape["context"]))
    model.load_state_dict(run.input("weights"))
    sizes = {n: m.weight.numel() for n, m in model.named_modules() if isinstance(m, nn.Linear)}
    names = list(sizes)
    try:
        result = run.call(run.entry, model.eval(), GROUP_SIZE, what="quantize()")
    except LearnerError as exc:
        raised["quantize"] = exc.message
        run.out.save_json("raised", raised)
        return
    if not isinstance(result, nn.Module):
        shown = "None" if result is None else type(result).__name__
        raised["quantize"] = f"quantize() returned {shown}, not the model (a torch.nn.Module)."
        run.out.save_json("raised", raised)
        return
    inputs = run.input("inputs")
    layers: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    for name in names:
        try:
            layer = result.get_submodule(name)
        except AttributeError:
            problems[name] = "is missing from the returned model"
            continue
        buffers = {key: getattr(layer, key, None) for key in ("packed", "scale", "zero_point")}
        missing = [key for key, value in buffers.items() if not isinstance(value, torch.Tensor)]
        if missing:
            problems[name] = (
                f"is a {type(layer).__name__} without the tensor attribute(s) {', '.join(missing)}"
            )
            continue
        kept = [
            key
            for key, value in nn.Module.state_dict(layer).items()
            if value.is_floating_point() and value.numel() >= sizes[name] // 2
        ]
        if kept:
            problems[name] = (
                f"keeps a float tensor as large as the weight ({kept[0]}): weight-only INT4 "
                "stores the codes, scales and zero points instead of the FP32 weight, not "
                "beside it"
            )
            continue
        try:
            with torch.no_grad():
                output = run.call(layer, inputs[name].clone(), what=f"{name}.forward()")
        except LearnerError as exc:
            problems[name] = exc.message
            continue
        layers[name] = {key: value.detach().clone() for key, value in buffers.items()}
        if isinstance(output, torch.Tensor):
            layers[name]["output"] = output.detach().clone()
    run.out.save("layers", layers)
    raised["layers"] = problems
    run.out.save_json("raised", raised)


def _save_tensor(run: Run, name: str, value: object) -> None:
    if isinstance(value, torch.Tensor):
        run.out.save(name, value.detach().clone())
    else:
        run.out.save_json(name, {"type": type(value).__name__})


# --- the checker's side -----------------------------------------------------------------


def _raised(ctx: Context) -> dict[str, Any]:
    """What the learner's code raised, by part (out/raised.json)."""

    def load() -> dict[str, Any]:
        try:
            raised = ctx.out.load_json("raised")
        except ArtifactError:
            return {}
        return raised if isinstance(raised, dict) else {}

    return ctx.memo("raised", load)


def _tensor(ctx: Context, name: str, what: str) -> torch.Tensor:
    if ctx.out.exists(name, ".json"):
        shown = ctx.out.load_json(name)
        kind = shown.get("type", "something else") if isinstance(shown, dict) else "?"
        raise LearnerError(f"{what} returned a {kind}, not a tensor.")
    try:
        value = ctx.out.load(name)
    except ArtifactError as exc:
        raise LearnerError(f"What {what} returned could not be read: {exc}") from None
    if not isinstance(value, torch.Tensor):
        raise LearnerError(f"{what} returned a {type(value).__name__}, not a tensor.")
    return value


@suite.check(PACKING)
def packing(ctx: Context):
    from quizapp.grading.groupwise import unpack_int4

    codes = ctx.store["codes"]
    rows, columns = codes.shape
    expected = f"uint8 of shape ({rows}, {columns // 2})"
    if _raised(ctx).get("packing"):
        return failed(str(_raised(ctx)["packing"]), threshold=expected)
    try:
        packed = _tensor(ctx, "packed_codes", "pack_int4()")
        unpacked = _tensor(ctx, "unpacked_codes", "unpack_int4()")
    except LearnerError as exc:
        return failed(exc.message, threshold=expected)
    shown = f"{str(packed.dtype).removeprefix('torch.')} of shape {tuple(packed.shape)}"
    if packed.dtype != torch.uint8 or tuple(packed.shape) != (rows, columns // 2):
        stored = (
            " (one code per byte: that is INT4 stored in 8 bits)"
            if packed.numel() == codes.numel()
            else ""
        )
        return failed(
            f"pack_int4() of {rows} x {columns} codes returned {shown}{stored}; packing puts "
            f"two 4-bit codes in each byte, so {columns} codes make {columns // 2} uint8 bytes "
            "a row.",
            measured=shown,
            threshold=expected,
        )
    if tuple(unpacked.shape) != tuple(codes.shape) or not torch.equal(
        unpacked.to(torch.int64), codes.to(torch.int64)
    ):
        return failed(
            "unpack_int4(pack_int4(q)) is not q: "
            + _first_difference(unpacked, codes)
            + " Packing is lossless: every code must come back exactly.",
            measured="differs",
            threshold="exact",
        )
    if not torch.equal(unpack_int4(packed), codes):
        return failed(
            "Your pack and unpack agree with each other but not with the format: code 2i goes "
            "in the low four bits of byte i and code 2i + 1 in the high four bits "
            "(packed = q[..., 0::2] | q[..., 1::2] << 4). Swapped nibbles would make every "
            "other weight wrong for anyone else's kernel.",
            measured="nibble order",
            threshold="low nibble = even code",
        )
    return passed(
        f"{rows} x {columns} codes packed into {shown} ({packed.numel()} bytes) and back, "
        "exactly; the bytes follow the format's nibble order.",
        measured="exact",
        threshold="exact",
    )


def _first_difference(got: torch.Tensor, expected: torch.Tensor) -> str:
    if tuple(got.shape) != tuple(expected.shape):
        return f"it has shape {tuple(got.shape)}, not {tuple(expected.shape)}."
    where = torch.nonzero(got.to(torch.int64) != expected.to(torch.int64))[0].tolist()
    index = tuple(where)
    return f"at {index} it gives {int(got[index])}, not {int(expected[index])}."


def _layers(ctx: Context) -> dict[str, dict[str, Any]]:
    def load() -> dict[str, dict[str, Any]]:
        if _raised(ctx).get("quantize"):
            raise LearnerError(str(_raised(ctx)["quantize"]))
        try:
            layers = ctx.out.load("layers")
        except ArtifactError as exc:
            raise LearnerError(f"The quantized layers could not be read: {exc}") from None
        if not isinstance(layers, dict):
            raise LearnerError("The quantized layers were not saved as a dict.")
        return layers

    return ctx.memo("layers", load)


def _format_problems(ctx: Context, name: str, layer: dict[str, Any]) -> str | None:
    weight = ctx.store["baseline"].state_dict[f"{name}.weight"]
    out_features, in_features = weight.shape
    groups = in_features // GROUP_SIZE
    packed, scale, zero = layer["packed"], layer["scale"], layer["zero_point"]
    if packed.dtype != torch.uint8 or tuple(packed.shape) != (out_features, in_features // 2):
        one_per_byte = packed.numel() == weight.numel()
        return (
            f"packed is {str(packed.dtype).removeprefix('torch.')} of shape "
            f"{tuple(packed.shape)}, not uint8 of shape ({out_features}, {in_features // 2})"
            + (
                " (one code per byte: INT4 stored in int8 takes twice the memory)"
                if one_per_byte
                else ""
            )
        )
    for label, tensor in (("scale", scale), ("zero_point", zero)):
        if tuple(tensor.shape) != (out_features, groups):
            return (
                f"{label} has shape {tuple(tensor.shape)}, not ({out_features}, {groups}): one "
                f"per group of {GROUP_SIZE} inputs in each output row"
            )
        if not tensor.is_floating_point() and tensor.dtype not in (
            torch.uint8,
            torch.int8,
            torch.int16,
            torch.int32,
        ):
            return f"{label} is {tensor.dtype}, not a float or integer tensor"
    if not torch.isfinite(scale.float()).all():
        return "scale holds inf or NaN"
    return None


@suite.check(RETURNS)
def returns_layers(ctx: Context):
    names = ctx.store["names"]
    threshold = f"{len(names)} of {len(names)}"
    try:
        layers = _layers(ctx)
    except LearnerError as exc:
        return failed(exc.message, threshold=threshold)
    problems = dict(_raised(ctx).get("layers") or {})
    for name, layer in layers.items():
        problem = _format_problems(ctx, name, layer) if isinstance(layer, dict) else "unreadable"
        if problem:
            problems[name] = problem
    good = [n for n in names if n in layers and n not in problems]
    if len(good) == len(names):
        return passed(
            f"{len(names)} of {len(names)} Linear layers carry packed uint8 codes (in / 2 bytes "
            f"a row) with a scale and a zero point per group of {GROUP_SIZE}.",
            measured=len(good),
            threshold=threshold,
        )
    shown = "; ".join(f"{name} {problem}" for name, problem in list(problems.items())[:3])
    return failed(
        f"{len(good)} of {len(names)} Linear layers are in the format: {shown}.",
        measured=len(good),
        threshold=threshold,
    )


@suite.check(SIZE, needs=(RETURNS,), direction="lower")
def size_ratio(ctx: Context):
    layers = _layers(ctx)
    state = ctx.store["baseline"].state_dict
    fp32 = sum(4 * state[f"{name}.weight"].numel() for name in ctx.store["names"])
    parts = {"packed": 0, "scale": 0, "zero_point": 0}
    for layer in layers.values():
        for key in parts:
            parts[key] += layer[key].numel() * layer[key].element_size()
    size = sum(parts.values())
    ratio = size / fp32
    bits = 32 * ratio
    return verdict(
        ratio <= MAX_SIZE_RATIO,
        f"{size / 1e3:.1f} kB (codes {parts['packed'] / 1e3:.1f}, scales "
        f"{parts['scale'] / 1e3:.1f}, zero points {parts['zero_point'] / 1e3:.1f}) vs "
        f"{fp32 / 1e3:.1f} kB of FP32 weights: {ratio:.3f} of the size, {bits:.2f} bits a "
        "weight."
        + (
            ""
            if ratio <= MAX_SIZE_RATIO
            else " Are the codes packed two per byte, "
            "and the scales and zero points one per group, not one per weight?"
        ),
        measured=round(ratio, 4),
        threshold=f"<= {MAX_SIZE_RATIO:.2f}",
    )


@suite.check(MATCHES, needs=(RETURNS,), direction="lower")
def computes_from_packed(ctx: Context):
    from quizapp.grading.groupwise import dequantize_packed

    layers = _layers(ctx)
    state = ctx.store["baseline"].state_dict
    worst, worst_name = 0.0, ""
    for name in ctx.store["names"]:
        layer = layers[name]
        output = layer.get("output")
        x = ctx.store["inputs"][name]
        weight = dequantize_packed(layer["packed"], layer["scale"], layer["zero_point"])
        reference = torch.nn.functional.linear(x, weight, state.get(f"{name}.bias"))
        if not isinstance(output, torch.Tensor) or tuple(output.shape) != tuple(reference.shape):
            got = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
            return failed(
                f"{name}'s forward on {len(x)} calibration rows returned {got}, not a tensor of "
                f"shape {tuple(reference.shape)}.",
                measured=None,
                threshold=f"<= {MAX_RELATIVE_ERROR:g}",
            )
        error = ((output.float() - reference).norm() / reference.norm().clamp(min=1e-12)).item()
        if not error <= worst or not worst_name:  # NaN counts as the worst
            worst, worst_name = error, name
    ok = worst <= MAX_RELATIVE_ERROR
    message = (
        f"Each Linear's output on {len(ctx.store['inputs'][ctx.store['names'][0]])} rows of "
        "calibration activations against F.linear with the weights the grader dequantizes "
        "from your packed bytes, (q - zero_point) * scale: largest relative error "
        f"{worst:.2g} ({worst_name})."
    )
    if not ok:
        message += (
            " Your forward does not compute from what you packed: does it use the FP32 weight, "
            "dequantize with another formula, or drop the bias?"
        )
    return verdict(
        ok, message, measured=float(f"{worst:.3g}"), threshold=f"<= {MAX_RELATIVE_ERROR:g}"
    )


@suite.check(COST, needs=(RETURNS,), direction="lower")
def bits_per_byte_cost(ctx: Context):
    from quizapp.grading.gpt_baseline import bits_per_byte
    from quizapp.grading.groupwise import dequantize_packed, replace_weights, rtn_weights

    baseline = ctx.store["baseline"]
    layers = _layers(ctx)
    names = ctx.store["names"]
    ids = baseline.held_out_windows()
    weights = {
        name: dequantize_packed(
            layers[name]["packed"], layers[name]["scale"], layers[name]["zero_point"]
        )
        for name in names
    }
    fp32 = baseline.fp32_bits_per_byte
    learner = bits_per_byte(replace_weights(baseline.model(), weights), ids)
    reference = baseline.model()
    rtn = bits_per_byte(replace_weights(reference, rtn_weights(reference, names, GROUP_SIZE)), ids)
    cost, rtn_cost = learner - fp32, rtn - fp32
    return verdict(
        cost <= MAX_COST,
        f"Held-out text ({len(ids) * (ids.shape[1] - 1)} bytes the grader keeps): {learner:.4f} "
        f"bits/byte with your INT4 weights vs {fp32:.4f} in FP32 ({cost:+.4f}); the grader's "
        f"own round-to-nearest, asymmetric, group {GROUP_SIZE}: {rtn:.4f} ({rtn_cost:+.4f}).",
        measured=round(cost, 4),
        threshold=f"<= {MAX_COST:g}",
    )
