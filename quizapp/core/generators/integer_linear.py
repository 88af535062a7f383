"""integer-linear: one output of an INT8 linear layer in integer arithmetic (acc, then q_out)."""

from __future__ import annotations

import random

from quizapp.core import int8
from quizapp.core.generators import (
    AnswerField,
    GeneratedQuestion,
    Generator,
    GeneratorParams,
    pick,
    register,
)
from quizapp.core.generators.common import EXACT, draw_scale, exact, near_tie, prompt_number, show

# Stored weights stay within +-64: then no pair of u8*s8 products can saturate AVX2's int16
# vpmaddubsw, so the CPU kernel (the tests' oracle) computes the exact textbook value.
WEIGHT_LIMIT = 64


@register
class IntegerLinear(Generator):
    name = "integer-linear"
    summary = "int32 accumulator with zero points, then requantization to the uint8 output"

    class Params(GeneratorParams):
        length: int | list[int] = [3, 4]

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        length = pick(params.length, rng)
        if not 1 <= length <= 8:
            raise ValueError("length must be 1-8 (it is done by hand)")
        for _ in range(500):
            s_x, s_w, s_out = (
                draw_scale(rng, 0.005, 0.05),
                draw_scale(rng, 0.002, 0.02),
                draw_scale(rng, 0.02, 0.2),
            )
            z_x, z_out = rng.randint(10, 140), rng.randint(20, 200)
            q_x = [rng.randint(0, 255) for _ in range(length)]
            q_w = [rng.randint(-WEIGHT_LIMIT, WEIGHT_LIMIT) for _ in range(length)]
            acc = sum((a - z_x) * b for a, b in zip(q_x, q_w, strict=True))
            multiplier = int8.requant_multiplier(s_x, s_w, s_out)
            q_out = int8.requantize(acc, multiplier, z_out, 0, 255)
            ideal_real = acc * exact(s_x) * exact(s_w) / exact(s_out)
            ideal = min(max(round(ideal_real) + z_out, 0), 255)
            clamped = not 0 <= round(ideal_real) + z_out <= 255
            if ideal == q_out and not near_tie(ideal_real) and (not clamped or rng.random() < 0.2):
                break
        else:  # pragma: no cover - 500 draws without a clean one does not happen
            raise ValueError("could not draw a clean example")

        prompt = "\n".join(
            [
                "Walk me through one output of an INT8 linear layer (no bias), the way the "
                "kernel computes it:",
                "",
                f"- input `torch.quint8`, s_x = {prompt_number(s_x)}, z_x = {z_x}: stored values `{q_x}`",
                f"- weights `torch.qint8` (symmetric, z_w = 0), s_w = {prompt_number(s_w)}: stored "
                f"values `{q_w}`",
                f"- output `torch.quint8`: s_out = {prompt_number(s_out)}, z_out = {z_out}",
                "",
                "What is the **int32 accumulator** Σ(q_x − z_x)·q_w, and which **uint8 value** "
                "does the output hold?",
            ]
        )
        centered = [a - z_x for a in q_x]
        raw = sum(a * b for a, b in zip(q_x, q_w, strict=True))
        lines = [
            f"- q_x − z_x = {centered}",
            "- acc = "
            + " + ".join(f"({c})·({w})" for c, w in zip(centered, q_w, strict=True))
            + f" = **{acc}**",
            f"- same thing the way kernels do it: Σq_x·q_w − z_x·Σq_w = {raw} − {z_x}·"
            f"{sum(q_w)} = {acc} (the z_x·Σq_w term is precomputed per output channel)",
            f"- M = s_x·s_w/s_out = {prompt_number(s_x)}·{prompt_number(s_w)}/{prompt_number(s_out)} = {show(multiplier)}",
            f"- q_out = clamp(round(M·acc) + z_out, 0, 255) = clamp(round({float(ideal_real):.4f})"
            f" + {z_out}) = **{q_out}**" + (" (clamped)" if clamped else ""),
        ]
        return GeneratedQuestion(
            prompt=prompt,
            fields=(
                AnswerField("acc", acc, EXACT, label="int32 accumulator", integer=True),
                AnswerField("q_out", q_out, EXACT, label="uint8 output", integer=True),
            ),
            params={
                "q_x": q_x,
                "q_w": q_w,
                "input_scale": s_x,
                "input_zero_point": z_x,
                "weight_scale": s_w,
                "output_scale": s_out,
                "output_zero_point": z_out,
            },
            working="\n".join(lines),
            answer_text=f"acc = {acc}, q_out = {q_out}",
        )
