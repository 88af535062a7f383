"""quantize-value: the integer torch.quantize_per_tensor stores for one float (with clamping)."""

from __future__ import annotations

import random
from typing import Literal

from quizapp.core import int8
from quizapp.core.generators import (
    AnswerField,
    GeneratedQuestion,
    Generator,
    GeneratorParams,
    pick,
    register,
)
from quizapp.core.generators.common import EXACT, draw_scale, exact, near_tie, prompt_number, sig

DTypeKnob = Literal["quint8", "qint8"]
# Dyadic scales make x/s exact in float32, so a .5 tie really is a tie for torch too.
TIE_SCALES = (0.5, 0.25, 0.125, 0.0625, 0.03125)


def ideal_quantize(x: float, scale: float, zero_point: int, quant_min: int, quant_max: int) -> int:
    """The textbook answer from the decimals on the page (exact arithmetic, half to even)."""
    q = round(exact(x) / exact(scale)) + zero_point
    return min(max(q, quant_min), quant_max)


def draw_zero_point(dtype: int8.DType, rng: random.Random) -> int:
    quant_min, quant_max = int8.qrange(dtype)
    # Activation zero points sit anywhere in the range; keep them off the very edges.
    return rng.randint(quant_min + 10, quant_max - 10)


@register
class QuantizeValue(Generator):
    name = "quantize-value"
    summary = "the stored integer q = clamp(round(x/s) + z, qmin, qmax) for one value"

    class Params(GeneratorParams):
        dtype: DTypeKnob | list[DTypeKnob] = ["quint8", "qint8"]
        outside: bool | list[bool] = [False, False, True]  # x beyond the range (clamped)
        tie: bool | list[bool] = False  # x/s exactly half-way: round half to even
        scale: float | list[float] | None = None
        zero_point: int | list[int] | None = None
        x: float | list[float] | None = None

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        dtype = pick(params.dtype, rng)
        quant_min, quant_max = int8.qrange(dtype)
        tie = pick(params.tie, rng) and params.x is None
        outside = pick(params.outside, rng) and not tie and params.x is None
        for _ in range(200):
            zero_point = (
                pick(params.zero_point, rng)
                if params.zero_point is not None
                else draw_zero_point(dtype, rng)
            )
            if tie and params.zero_point is None and zero_point % 2 == 0:
                zero_point += 1  # odd z: round(x/s) + z and round(x/s + z) then differ
            if params.scale is not None:
                scale = pick(params.scale, rng)
            elif tie:
                scale = rng.choice(TIE_SCALES)
            else:
                scale = draw_scale(rng)
            if not quant_min <= zero_point <= quant_max:
                raise ValueError(f"zero_point {zero_point} is outside {dtype}'s range")
            if scale <= 0:
                raise ValueError("scale must be positive")
            low, high = (quant_min - zero_point) * scale, (quant_max - zero_point) * scale
            if params.x is not None:
                x = pick(params.x, rng)
            elif tie:
                steps = rng.randint(quant_min - zero_point + 2, quant_max - zero_point - 3)
                x = (steps + 0.5) * scale
            elif outside:
                span = high - low
                beyond = rng.uniform(0.05, 0.6) * span
                x = sig(high + beyond if rng.random() < 0.6 else low - beyond, 4)
            else:
                x = sig(rng.uniform(low, high), 4)
            q = int8.quantize(x, scale, zero_point, quant_min, quant_max)
            ratio = exact(x) / exact(scale)
            pinned = params.x is not None
            if q == ideal_quantize(x, scale, zero_point, quant_min, quant_max) and (
                pinned or tie or not near_tie(ratio)
            ):
                break
        else:  # pinned numbers whose float32 result differs from exact arithmetic
            raise ValueError("these numbers round differently in float32 than on paper")

        prompt = rng.choice(
            [
                "A quantized activation uses `scale={s}` and `zero_point={z}` "
                "(`torch.{dtype}`). The float **{x}** arrives. Which integer does "
                "`torch.quantize_per_tensor` store for it?",
                "Your layer's output qparams are s = {s}, z = {z}, dtype `torch.{dtype}`. "
                "What is the stored integer for the value **{x}**? Think about what happens "
                "at the edges of the range.",
                "In an interview you're asked to quantize by hand: x = **{x}**, scale {s}, "
                "zero point {z}, `torch.{dtype}` (range [{qmin}, {qmax}]). What is q?",
            ]
        ).format(
            s=prompt_number(scale),
            z=zero_point,
            dtype=dtype,
            x=prompt_number(x),
            qmin=quant_min,
            qmax=quant_max,
        )

        raw = round(ratio)
        lines = [
            "q = clamp(round(x / s) + z, qmin, qmax), rounding half to even (`nearbyint`)",
            f"- x / s = {prompt_number(x)} / {prompt_number(scale)} = {float(ratio):.4f}",
            f"- round({float(ratio):.4f}) = {raw}"
            + (" (an exact tie: half to even)" if ratio.denominator == 2 else ""),
            f"- add z: {raw} + ({zero_point}) = {raw + zero_point}",
            f"- clamp to [{quant_min}, {quant_max}] (`torch.{dtype}`): q = **{q}**"
            + (" (clamped: x is outside the representable range)" if q != raw + zero_point else ""),
            f"- representable range: [{low:.6g}, {high:.6g}]; dequantized: "
            f"(q - z)·s = {(q - zero_point) * scale:.6g}",
        ]
        if ratio.denominator == 2:
            naive = min(max(round(ratio + zero_point), quant_min), quant_max)
            if naive != q:
                lines.append(
                    f"- the lesson's `round(x/S + Z)` would give round({float(ratio + zero_point)}) "
                    f"= {naive}: at a tie it differs, because PyTorch rounds x/s first, then adds z"
                )
        return GeneratedQuestion(
            prompt=prompt,
            fields=(AnswerField("q", q, EXACT, label="stored integer q", integer=True),),
            params={
                "x": x,
                "scale": scale,
                "zero_point": zero_point,
                "dtype": dtype,
                "outside": bool(q != raw + zero_point),
                "tie": ratio.denominator == 2,
            },
            working="\n".join(lines),
            answer_text=f"q = {q}",
        )
