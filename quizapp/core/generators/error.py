"""quant-error: rounding error inside the range (s/2) vs the error of a value that gets clamped."""

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
from quizapp.core.generators.common import FLOAT, draw_scale, float_within, prompt_number, show, sig

DTypeKnob = Literal["quint8", "qint8"]
SideKnob = Literal["above", "below"]


@register
class QuantError(Generator):
    name = "quant-error"
    summary = "worst-case rounding error (s/2) and the error of a clamped outlier"

    class Params(GeneratorParams):
        dtype: DTypeKnob | list[DTypeKnob] = ["quint8", "qint8"]
        side: SideKnob | list[SideKnob] = ["above", "above", "below"]
        scale: float | list[float] | None = None
        zero_point: int | list[int] | None = None

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        dtype, side = pick(params.dtype, rng), pick(params.side, rng)
        quant_min, quant_max = int8.qrange(dtype)
        scale = pick(params.scale, rng) if params.scale is not None else draw_scale(rng, 0.005, 0.1)
        if params.zero_point is not None:
            zero_point = pick(params.zero_point, rng)
        else:
            zero_point = rng.randint(quant_min + 20, quant_max - 20)
        if scale <= 0 or not quant_min <= zero_point <= quant_max:
            raise ValueError("scale must be positive and the zero point inside the range")
        edge_q = quant_max if side == "above" else quant_min
        edge = int8.dequantize(edge_q, scale, zero_point)
        low = int8.dequantize(quant_min, scale, zero_point)
        high = int8.dequantize(quant_max, scale, zero_point)
        # An outlier 20-150% of the range beyond the edge (a spike calibration never saw).
        distance = (high - low) * rng.uniform(0.2, 1.5)
        x = sig(edge + distance if side == "above" else edge - distance, 3)
        x_hat = int8.fake_quantize(x, scale, zero_point, quant_min, quant_max)
        clamp_error = abs(x - x_hat)
        max_round_error = scale / 2

        prompt = rng.choice(
            [
                "After calibration an activation has `scale={s}`, `zero_point={z}` "
                "(`torch.{dtype}`). (1) What is the **largest rounding error** any value inside "
                "the representable range can suffer? (2) At inference a value **{x}** shows up: "
                "what does it **dequantize** to, and how large is its error?",
                'Interviewer: "An output is quantized with s = {s}, z = {z}, {dtype}. Give me '
                "the worst-case error for in-range values, then tell me what happens to an "
                'input of {x}: its dequantized value and its error."',
            ]
        ).format(s=prompt_number(scale), z=zero_point, dtype=dtype, x=prompt_number(x))
        working = "\n".join(
            [
                f"- representable range: [(qmin - z)·s, (qmax - z)·s] = [({quant_min} - "
                f"({zero_point}))·{prompt_number(scale)}, ({quant_max} - ({zero_point}))·{prompt_number(scale)}] = "
                f"[{show(low)}, {show(high)}]",
                f"- inside it, rounding to the nearest step costs at most s/2 = {prompt_number(scale)}/2 = "
                f"**{show(max_round_error)}**",
                f"- {prompt_number(x)} is {'above' if side == 'above' else 'below'} the range: q is clamped "
                f"to {edge_q}, so x_hat = ({edge_q} - ({zero_point}))·{prompt_number(scale)} = **{show(x_hat)}**",
                f"- its error is |{prompt_number(x)} - {show(x_hat)}| = **{show(clamp_error)}**, "
                f"{clamp_error / max_round_error:.0f}x the worst rounding error: clipping, not "
                "rounding, dominates when the range is too narrow",
            ]
        )
        return GeneratedQuestion(
            prompt=prompt,
            fields=(
                AnswerField(
                    "max_round_error", max_round_error, FLOAT, label="worst rounding error"
                ),
                AnswerField("x_hat", x_hat, FLOAT, label="dequantized value of the outlier"),
                # a difference of two numbers the learner may have rounded to 4 digits
                AnswerField(
                    "clamp_error",
                    clamp_error,
                    float_within(abs(x) * 0.0006 + scale * 0.001),
                    label="error of the outlier",
                ),
            ),
            params={
                "scale": scale,
                "zero_point": zero_point,
                "dtype": dtype,
                "x": x,
                "side": side,
            },
            working=working,
            answer_text=(
                f"max rounding error = {show(max_round_error)}, x_hat = {show(x_hat)}, "
                f"error = {show(clamp_error)}"
            ),
        )
