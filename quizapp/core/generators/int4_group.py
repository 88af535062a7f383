"""int4-group: one group's INT4 scale (and zero point) and the byte two adjacent values pack to.

The qparams are torchao's `choose_qparams_affine` for one group: ASYMMETRIC targets uint4
(0..15) with an integer zero point, SYMMETRIC targets int4 (-8..7) with s = amax / 7.5
(half the range's width, like INT8's 127.5). The values are `quantize_affine`'s. Two 4-bit
values share a byte with the even-index value in the low nibble (torchao's `pack_uint4` and
its plain int4 tensor): element i sits at bits 4 * (i % 2). Other packers (torchao's own
NF4Tensor among them) put the first value high, so the prompt states the order.
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
from quizapp.core.generators.common import (
    EXACT,
    FLOAT,
    exact,
    near_tie,
    prompt_number,
    show,
    sig,
)

SchemeKnob = Literal["asymmetric", "symmetric"]
GroupSize = Literal[4, 8, 16]


def draw_group(rng: random.Random, size: int, scheme: str) -> list[float]:
    """Three-significant-digit weights; asymmetric groups are often lopsided around 0."""
    spread = math.exp(rng.uniform(math.log(0.02), math.log(1.0)))
    shift = rng.uniform(-0.6, 0.6) * spread if scheme == "asymmetric" else 0.0
    values = [sig(rng.uniform(-spread, spread) + shift, 3) for _ in range(size)]
    return [v if v != 0 else sig(spread / 9, 3) for v in values]


def ideal(group: list[float], scheme: str) -> tuple[Fraction, int, Fraction]:
    """Scale, zero point and min/scale from the decimals on the page, in exact arithmetic."""
    quant_min, quant_max = lowbit.INT4_RANGE[scheme]
    lo = min(min(exact(v) for v in group), Fraction(0))
    hi = max(max(exact(v) for v in group), Fraction(0))
    if scheme == "symmetric":
        return max(-lo, hi) / (Fraction(quant_max - quant_min) / 2), 0, Fraction(0)
    scale = (hi - lo) / (quant_max - quant_min)
    return scale, min(max(quant_min - round(lo / scale), quant_min), quant_max), lo / scale


@register
class Int4Group(Generator):
    name = "int4-group"
    summary = "group-wise INT4: scale (and zero point) of a group, two values packed in a byte"

    class Params(GeneratorParams):
        scheme: SchemeKnob | list[SchemeKnob] = ["asymmetric", "symmetric"]
        group_size: GroupSize | list[GroupSize] = 8  # real groups are 32-256; 8 is hand-sized

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        scheme = pick(params.scheme, rng)
        size = pick(params.group_size, rng)
        quant_min, quant_max = lowbit.INT4_RANGE[scheme]
        for _ in range(500):
            group = draw_group(rng, size, scheme)
            pair = 2 * rng.randrange(size // 2)
            scale, zero_point = lowbit.int4_qparams(group, scheme)
            qs = [
                lowbit.int4_quantize(group[i], scale, zero_point, scheme) for i in (pair, pair + 1)
            ]
            ideal_scale, ideal_zp, zp_ratio = ideal(group, scheme)
            ratios = [exact(group[i]) / ideal_scale for i in (pair, pair + 1)]
            ideal_qs = [min(max(round(r) + ideal_zp, quant_min), quant_max) for r in ratios]
            # What a human computes from the page equals torchao's float32, and no near-tie
            # (a tie at +-7.5 is the point of the symmetric scheme, so that one is allowed).
            clean = (
                zero_point == ideal_zp
                and (zp_ratio == 0 or not near_tie(zp_ratio))
                and qs == ideal_qs
                and all(abs(r) == Fraction(15, 2) or not near_tie(r) for r in ratios)
            )
            if clean:
                break
        else:  # pragma: no cover - 500 draws without a clean group does not happen
            raise ValueError("could not draw a clean group")

        packed = lowbit.pack_pair(*qs)
        mapping = (
            "ASYMMETRIC, uint4 (0..15)" if scheme == "asymmetric" else "SYMMETRIC, int4 (-8..7)"
        )
        cells = ", ".join(prompt_number(v) for v in group)
        ask = (
            "the group's **scale** and **zero point**"
            if scheme == "asymmetric"
            else "the group's **scale**"
        )
        prompt = (
            f"Group-wise INT4 weight quantization, group size {size}, torchao "
            f"`choose_qparams_affine` / `quantize_affine` with {mapping}:\n\n"
            f"```python\nw = [{cells}]\n```\n\n"
            f"What is {ask}, and which **byte** (0..255) holds `w[{pair}]` and `w[{pair + 1}]` "
            f"packed two per byte, `w[{pair}]` in the low nibble"
            + (" (int4 nibbles in two's complement)" if scheme == "symmetric" else "")
            + "?"
        )
        lines = []
        lo = min(min(group), 0.0)
        hi = max(max(group), 0.0)
        if scheme == "asymmetric":
            lines += [
                "s = (max(x_max, 0) - min(x_min, 0)) / (15 - 0); z = 0 - round(min / s), clamped"
                " to [0, 15]; q = clamp(round(x / s) + z, 0, 15)",
                f"- range [{prompt_number(lo)}, {prompt_number(hi)}]: s = ({prompt_number(hi)} - "
                f"({prompt_number(lo)})) / 15 = **{show(scale)}**",
                f"- z = 0 - round({prompt_number(lo)} / {show(scale)}) = -round({float(zp_ratio):.4f}) "
                f"= **{zero_point}**",
            ]
        else:
            amax = max(-lo, hi)
            lines += [
                "s = amax / ((7 - (-8)) / 2) = amax / 7.5; z = 0; q = clamp(round(x / s), -8, 7)",
                f"- amax = {prompt_number(amax)}: s = {prompt_number(amax)} / 7.5 = **{show(scale)}**"
                " (+amax lands at 7.5 steps, above the top code 7, so it is stored as 7)",
            ]
        for i, q, r in zip((pair, pair + 1), qs, ratios, strict=True):
            raw = round(r) + zero_point
            note = f", clamped to {q}" if raw != q else ""
            lines.append(
                f"- w[{i}] = {prompt_number(group[i])}: round({float(r):.4f}) + {zero_point} = "
                f"{raw}{note}; nibble {lowbit.nibble(q):04b}"
            )
        lines.append(
            f"- byte = nibble(w[{pair + 1}]) << 4 | nibble(w[{pair}]) = "
            f"{lowbit.nibble(qs[1]):04b} {lowbit.nibble(qs[0]):04b} = {packed:#04x} = **{packed}**"
        )
        fields = [AnswerField("scale", scale, FLOAT, label="scale")]
        if scheme == "asymmetric":
            fields.append(
                AnswerField("zero_point", zero_point, EXACT, label="zero point", integer=True)
            )
        fields.append(
            AnswerField("byte", packed, EXACT, label="packed byte (0..255)", integer=True)
        )
        return GeneratedQuestion(
            prompt=prompt,
            fields=tuple(fields),
            params={"group": group, "scheme": scheme, "pair": pair},
            working="\n".join(lines),
            answer_text=", ".join(f"{f.name} = {f.display()}" for f in fields),
        )
