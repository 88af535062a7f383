"""dequantize-value: the float a stored integer stands for, x_hat = (q - z) * s."""

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
from quizapp.core.generators.common import draw_scale, float_within, prompt_number, show

DTypeKnob = Literal["quint8", "qint8"]


@register
class DequantizeValue(Generator):
    name = "dequantize-value"
    summary = "the real value x_hat = (q - z) * s of a stored integer"

    class Params(GeneratorParams):
        dtype: DTypeKnob | list[DTypeKnob] = ["quint8", "qint8"]
        q: int | list[int] | None = None
        scale: float | list[float] | None = None
        zero_point: int | list[int] | None = None

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        dtype = pick(params.dtype, rng)
        quant_min, quant_max = int8.qrange(dtype)
        scale = pick(params.scale, rng) if params.scale is not None else draw_scale(rng)
        if params.zero_point is not None:
            zero_point = pick(params.zero_point, rng)
        elif dtype == "qint8" and rng.random() < 0.5:
            zero_point = 0  # a symmetric weight tensor
        else:
            zero_point = rng.randint(quant_min + 5, quant_max - 5)
        q = pick(params.q, rng) if params.q is not None else rng.randint(quant_min, quant_max)
        for value, what in ((q, "q"), (zero_point, "zero_point")):
            if not quant_min <= value <= quant_max:
                raise ValueError(f"{what} {value} is outside {dtype}'s range")
        if scale <= 0:
            raise ValueError("scale must be positive")
        x_hat = int8.dequantize(q, scale, zero_point)

        what = "weight" if zero_point == 0 and dtype == "qint8" else "activation"
        prompt = rng.choice(
            [
                "You print a quantized {what} tensor: `t.int_repr()` shows **{q}** at one "
                "position, `t.q_scale()` is {s} and `t.q_zero_point()` is {z} "
                "(`torch.{dtype}`). What does `t.dequantize()` give there?",
                "An INT8 kernel hands you the stored {dtype} value **{q}** of {article} {what} with "
                "scale {s} and zero point {z}. Which real number does it represent?",
            ]
        ).format(
            what=what,
            article="an" if what[0] in "aeiou" else "a",
            q=q,
            s=prompt_number(scale),
            z=zero_point,
            dtype=dtype,
        )
        working = "\n".join(
            [
                "x_hat = (q - z) · s",
                f"- ({q} - ({zero_point})) · {prompt_number(scale)} = {q - zero_point} · {prompt_number(scale)} "
                f"= **{show(x_hat)}**",
                f"- neighbours are one step s = {prompt_number(scale)} away; every value within s/2 of "
                f"x_hat was stored as {q}",
            ]
        )
        return GeneratedQuestion(
            prompt=prompt,
            # abs slack: q == z dequantizes to exactly 0, where a relative tolerance is 0
            fields=(AnswerField("x_hat", x_hat, float_within(1e-9), label="dequantized value"),),
            params={"q": q, "scale": scale, "zero_point": zero_point, "dtype": dtype},
            working=working,
            answer_text=f"x_hat = {show(x_hat)}",
        )
