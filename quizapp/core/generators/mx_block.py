"""mx-fp4-block: the shared E8M0 exponent of an MXFP4 block and the E2M1 element of one value.

The rounding is torchao's `to_mx` with its default ScaleCalculationMode.FLOOR (the OCP MX
v1.0 recipe): X = 2**(floor(log2(amax)) - 2), then each x / X rounded to E2M1, ties to even,
saturating at 6. Values are drawn so a human working from the decimals on the page rounds
the same way float32 does (no value within a hair of a rounding boundary).
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
from quizapp.core.generators.common import EXACT, exact, float_within, prompt_number, sig

PER_ROW = 8
BlockSize = Literal[8, 16, 32]
E2M1_TABLE = "0, 0.5, 1, 1.5, 2, 3, 4, 6"


def draw_block(rng: random.Random, size: int) -> list[float]:
    """A block of three-significant-digit values around one magnitude, sometimes an outlier."""
    typical = math.exp(rng.uniform(math.log(0.01), math.log(20.0)))
    values = [sig(rng.gauss(0.0, typical), 3) for _ in range(size)]
    if rng.random() < 0.4:  # an outlier sets the block's scale and crushes the rest
        spot = rng.randrange(size)
        values[spot] = sig(math.copysign(typical * rng.uniform(4.0, 12.0), rng.gauss(0, 1)), 3)
    return [v if v != 0 else sig(typical / 7, 3) for v in values]


def block_text(values: list[float]) -> str:
    width = max(len(prompt_number(v)) for v in values)
    rows = []
    for start in range(0, len(values), PER_ROW):
        cells = ", ".join(prompt_number(v).rjust(width) for v in values[start : start + PER_ROW])
        rows.append(f"{cells},  # x[{start}:{min(start + PER_ROW, len(values))}]")
    return "```python\n" + "\n".join(rows) + "\n```"


@register
class MxFp4Block(Generator):
    name = "mx-fp4-block"
    summary = "MXFP4: the block's shared E8M0 exponent and one value's E2M1 element"

    class Params(GeneratorParams):
        block_size: BlockSize | list[BlockSize] = 32  # the OCP MX block; smaller for a drill
        ask_max: bool | list[bool] = [False, False, True]  # ask the largest element itself

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        size = pick(params.block_size, rng)
        ask_max = pick(params.ask_max, rng)
        for _ in range(500):
            values = draw_block(rng, size)
            amax = max(abs(v) for v in values)
            peak = max(range(size), key=lambda i: abs(values[i]))
            k = peak if ask_max else rng.randrange(size)
            e = lowbit.mx_scale_exponent(amax)
            code = lowbit.mx_fp4_element(values[k], e)
            on_paper = exact(values[k]) / Fraction(2) ** e
            # A human rounds the decimal on the page: the same code, and clear of a boundary
            # (float32's 1e-8 would otherwise decide a tie the learner cannot see).
            clean = (
                lowbit.e2m1_code(on_paper) == code
                and lowbit.e2m1_midpoint_distance(on_paper) > Fraction(1, 40)
                and math.floor(math.log2(amax)) - lowbit.E2M1_EMAX == e
                and sum(abs(v) == amax for v in values) == 1
            )
            if clean:
                break
        else:  # pragma: no cover - 500 draws without a clean block does not happen
            raise ValueError("could not draw a clean block")

        x = values[k]
        element = lowbit.e2m1_value(code)
        scale = 2.0**e
        x_hat = element * scale
        prompt = (
            f"An MXFP4 tensor (OCP MX: one shared E8M0 scale per block of {size}, FP4 E2M1 "
            f"elements) holds this block; torchao's `to_mx` uses its default FLOOR scale "
            f"rule:\n\n{block_text(values)}\n\n"
            f"What is the shared **scale exponent** e (the scale is X = 2^e), and which E2M1 "
            f"**element** is `x[{k}] = {prompt_number(x)}` stored as (the signed FP4 value "
            f"before the scale; E2M1 magnitudes are {E2M1_TABLE})?"
        )
        ratio = float(on_paper)
        lines = [
            "X = 2^(floor(log2(amax)) - 2): 2 is the exponent of E2M1's largest power of two"
            " (4); each element is x / X rounded to E2M1 (nearest, ties to even), saturating at 6",
            f"- amax = |x[{peak}]| = {prompt_number(amax)}; floor(log2({prompt_number(amax)})) = "
            f"{e + lowbit.E2M1_EMAX}, so e = {e + lowbit.E2M1_EMAX} - 2 = **{e}** "
            f"(X = {scale:.6g}; E8M0 stores e + 127 = {e + lowbit.E8M0_BIAS})",
            f"- x / X = {prompt_number(x)} / {scale:.6g} = {ratio:.4f}",
        ]
        if abs(ratio) > lowbit.E2M1_MAX:
            lines.append(
                f"- |{ratio:.4f}| is beyond E2M1's largest magnitude 6: it saturates to "
                f"**{element:g}**. FLOOR lets amax / X reach just under 8, so the block's own "
                "largest value can be clipped"
            )
        else:
            lines.append(f"- nearest E2M1 value: **{element:g}** (code {code:#06b})")
        lines.append(
            f"- dequantized: {element:g} · {scale:.6g} = {x_hat:.6g} (error {abs(x - x_hat):.3g})"
        )
        fields = (
            AnswerField("scale_exponent", e, EXACT, label="shared exponent e", integer=True),
            AnswerField("element", element, float_within(1e-9), label="E2M1 element"),
        )
        return GeneratedQuestion(
            prompt=prompt,
            fields=fields,
            params={"block": values, "asked": k},
            working="\n".join(lines),
            answer_text=f"e = {e}, element = {element:g}",
        )
