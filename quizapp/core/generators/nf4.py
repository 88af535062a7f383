"""nf4-code: the NF4 code (0..15) of one weight and the value it dequantizes to.

As torchao's `NF4Tensor`: the block's absmax normalizes the weight to [-1, 1], the nearest of
the 16 NF4 levels (QLoRA's normal quantiles, four decimals in torchao's table) is stored, and
dequantization multiplies that level by the absmax. The absmax is taken as given (before
double quantization, which a separate card covers). Weights are drawn clear of the midpoints
between levels, so the decimals on the page decide the code as float32 does.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Literal

from quizapp.core import lowbit
from quizapp.core.generators import (
    AnswerField,
    GeneratedQuestion,
    Generator,
    GeneratorParams,
    pick,
    register,
)
from quizapp.core.generators.common import EXACT, exact, float_within, prompt_number, show, sig

# bitsandbytes' valid 4-bit block sizes (torchao accepts any divisor of the tensor)
BlockSize = Literal[64, 128, 256, 512, 1024, 2048, 4096]


def table_text() -> str:
    """Four rows of four, so the table fits an 80-column terminal."""
    cells = [f"{code:>2}: {level:>7g}" for code, level in enumerate(lowbit.NF4_TABLE)]
    rows = ["   ".join(cells[start : start + 4]) for start in range(0, 16, 4)]
    return "\n".join(["```", *rows, "```"])


@register
class Nf4Code(Generator):
    name = "nf4-code"
    summary = "NF4: normalize by the block absmax, nearest of 16 normal quantiles, dequantize"

    class Params(GeneratorParams):
        block_size: BlockSize | list[BlockSize] = 64  # QLoRA's and torchao's default block
        show_table: bool | list[bool] = True  # print the 16 levels in the prompt

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        block_size = pick(params.block_size, rng)
        show_table = pick(params.show_table, rng)
        for _ in range(500):
            absmax = sig(math.exp(rng.uniform(math.log(0.005), math.log(0.5))), 3)
            if rng.random() < 0.1:
                w = math.copysign(absmax, rng.gauss(0, 1))  # the block's largest weight itself
            else:
                w = sig(rng.uniform(-absmax, absmax), 3)
            code = lowbit.nf4_code(w, absmax)
            on_paper = exact(w) / exact(absmax)
            levels = [Fraction(str(level)) for level in lowbit.NF4_TABLE]
            paper_code = min(range(16), key=lambda i: abs(on_paper - levels[i]))
            if (
                w != 0
                and paper_code == code
                and lowbit.nf4_boundary_distance(on_paper) > Fraction(1, 200)
            ):
                break
        else:  # pragma: no cover - 500 draws without a clean weight does not happen
            raise ValueError("could not draw a clean weight")

        w_hat = lowbit.nf4_dequantize(code, absmax)
        level = lowbit.NF4_TABLE[code]
        ordinal = rng.randrange(block_size)
        prompt = (
            f"A weight matrix is stored in NF4 (QLoRA, torchao `NF4Tensor`), blocks of "
            f"{block_size} weights. Weight #{ordinal} of one block is **{prompt_number(w)}**; the "
            f"block's absmax is **{prompt_number(absmax)}**. Which NF4 **code** (0..15) is "
            "stored, and which value does it **dequantize** to (ignore the double "
            "quantization of the absmax)?"
        )
        if show_table:
            prompt += f"\n\nThe NF4 levels by code (torchao's table):\n\n{table_text()}"
        lower = max((i for i in range(16) if lowbit.NF4_TABLE[i] <= float(on_paper)), default=0)
        upper = min(lower + 1, 15)
        lines = [
            "code = the NF4 level nearest to w / absmax; dequantized = level · absmax",
            f"- w / absmax = {prompt_number(w)} / {prompt_number(absmax)} = {float(on_paper):.4f}",
            (
                f"- it is level {code} itself: code **{code}** ({level:g})"
                if on_paper == Fraction(str(level))
                else f"- it lies between level {lower} ({lowbit.NF4_TABLE[lower]:g}) and level "
                f"{upper} ({lowbit.NF4_TABLE[upper]:g}); the nearer is code **{code}** ({level:g})"
            ),
            f"- dequantized: {level:g} · {prompt_number(absmax)} = **{show(w_hat)}** "
            f"(error {abs(w - w_hat):.3g})",
            "- the levels are dense near 0 and sparse near ±1, where few weights of a "
            "normal block fall; code 7 is an exact 0",
        ]
        fields = (
            AnswerField("code", code, EXACT, label="NF4 code (0..15)", integer=True),
            # abs slack: code 7 dequantizes to exactly 0, where a relative tolerance is 0
            AnswerField("w_hat", w_hat, float_within(1e-9), label="dequantized weight"),
        )
        return GeneratedQuestion(
            prompt=prompt,
            fields=fields,
            params={"w": w, "absmax": absmax, "block_size": block_size},
            working="\n".join(lines),
            answer_text=f"code = {code}, w_hat = {show(w_hat)}",
        )
