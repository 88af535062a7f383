"""per-channel-qparams: PerChannelMinMaxObserver on a small weight matrix, one (s, z) per row."""

from __future__ import annotations

import math
import random
from fractions import Fraction
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
from quizapp.core.generators.common import EXACT, FLOAT, exact, near_tie, prompt_number, show, sig

DTypeKnob = Literal["quint8", "qint8"]
SchemeKnob = Literal["symmetric", "affine"]


def draw_matrix(rng: random.Random, channels: int, inputs: int) -> list[list[float]]:
    """Rows with very different magnitudes (as after BN folding), two significant digits."""
    rows = []
    for _ in range(channels):
        amax = math.exp(rng.uniform(math.log(0.05), math.log(2.0)))
        row = [sig(rng.uniform(-amax, amax), 2) for _ in range(inputs)]
        # no 3e-05-style entries: tiny weights are written as +-0.001
        rows.append([v if abs(v) >= 0.001 else math.copysign(0.001, v) for v in row])
    return rows


def matrix_block(rows: list[list[float]]) -> str:
    width = max(len(prompt_number(v)) for row in rows for v in row)
    body = []
    for c, row in enumerate(rows):
        cells = ", ".join(prompt_number(v).rjust(width) for v in row)
        opener = "w = [[" if c == 0 else "     ["
        closer = "]]" if c == len(rows) - 1 else "],"
        body.append(f"{opener}{cells}{closer}  # output channel {c}")
    return "```python\n" + "\n".join(body) + "\n```"


@register
class PerChannelQParams(Generator):
    name = "per-channel-qparams"
    summary = "one scale (and zero point) per output channel, as PerChannelMinMaxObserver"

    class Params(GeneratorParams):
        channels: int | list[int] = [2, 3]
        inputs: int | list[int] = [3, 4]
        qscheme: SchemeKnob | list[SchemeKnob] = "symmetric"
        dtype: DTypeKnob | list[DTypeKnob] = "qint8"
        ask_weight: bool | list[bool] = True  # also ask the int8 value of one weight

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        channels, inputs = pick(params.channels, rng), pick(params.inputs, rng)
        if not 1 <= channels <= 4 or not 1 <= inputs <= 6:
            raise ValueError("keep it hand-sized: 1-4 channels, 1-6 inputs")
        qscheme, dtype = pick(params.qscheme, rng), pick(params.dtype, rng)
        ask_weight = pick(params.ask_weight, rng)
        quant_min, quant_max = int8.qrange(dtype)
        for _ in range(200):
            rows = draw_matrix(rng, channels, inputs)
            qparams = [int8.calculate_qparams(min(r), max(r), dtype, qscheme) for r in rows]
            c, k = rng.randrange(channels), rng.randrange(inputs)
            scale, zero_point = qparams[c]
            w = rows[c][k]
            q = int8.quantize(w, scale, zero_point, quant_min, quant_max)
            ideal = [ideal_qparams(r, quant_min, quant_max, qscheme, dtype) for r in rows]
            ideal_scale, ideal_zp, _ = ideal[c]
            ratio = exact(w) / ideal_scale
            ideal_q = min(max(round(ratio) + ideal_zp, quant_min), quant_max)
            # Zero points a human computes from the page: same as torch, and no near-tie.
            zps_ok = all(
                zp == i_zp and (zp_ratio == 0 or not near_tie(zp_ratio))
                for (_, zp), (_, i_zp, zp_ratio) in zip(qparams, ideal, strict=True)
            )
            if zps_ok and (not ask_weight or (q == ideal_q and not near_tie(ratio))):
                break
        else:  # pragma: no cover - 200 draws without a clean one does not happen
            raise ValueError("could not draw a clean matrix")

        observer = (
            f"`PerChannelMinMaxObserver(ch_axis=0, dtype=torch.{dtype}, "
            f"qscheme=torch.per_channel_{qscheme})`"
        )
        lead = rng.choice(
            [
                f"Your `nn.Linear({inputs}, {channels})` has this weight (one row per output "
                "channel):",
                f"A tiny conv, flattened to {channels} output channels x {inputs} weights, has:",
            ]
        )
        question = f"You quantize it with {observer}. What **scale** does each output channel get"
        question += "?" if qscheme == "symmetric" else ", and what **zero point**?"
        if ask_weight:
            question += f" And which integer does `w[{c}][{k}] = {prompt_number(w)}` become?"
        prompt = f"{lead}\n\n{matrix_block(rows)}\n\n{question}"

        fields: list[AnswerField] = []
        lines = [
            "one (scale, zero point) per output channel (ch_axis=0), from that row's min/max"
            " widened to include 0"
        ]
        for ch, (row, (s, zp)) in enumerate(zip(rows, qparams, strict=True)):
            lo, hi = min(min(row), 0.0), max(max(row), 0.0)
            if qscheme == "symmetric":
                amax = max(-lo, hi)
                lines.append(
                    f"- channel {ch}: amax = {prompt_number(amax)}, s = {prompt_number(amax)} / "
                    f"{(quant_max - quant_min) / 2:g} = **{show(s)}**, z = {zp}"
                )
            else:
                lines.append(
                    f"- channel {ch}: range [{prompt_number(lo)}, {prompt_number(hi)}], s = ({prompt_number(hi)} - ({prompt_number(lo)})) / "
                    f"{quant_max - quant_min} = **{show(s)}**, z = {quant_min} - "
                    f"round({prompt_number(lo)} / {show(s)}) = **{zp}**"
                )
            fields.append(AnswerField(f"scale_{ch}", s, FLOAT, label=f"scale of channel {ch}"))
            if qscheme == "affine":
                fields.append(
                    AnswerField(
                        f"zero_point_{ch}",
                        zp,
                        EXACT,
                        label=f"zero point of channel {ch}",
                        integer=True,
                    )
                )
        if ask_weight:
            lines.append(
                f"- w[{c}][{k}]: q = clamp(round({prompt_number(w)} / {show(scale)}) + {zero_point}) = "
                f"round({float(ratio):.4f}) + {zero_point} = **{q}**"
            )
            fields.append(
                AnswerField("q", q, EXACT, label=f"int value of w[{c}][{k}]", integer=True)
            )
        widest = max(range(channels), key=lambda ch: qparams[ch][0])
        narrowest = min(range(channels), key=lambda ch: qparams[ch][0])
        if channels > 1 and qparams[widest][0] > 2 * qparams[narrowest][0]:
            levels = math.floor(
                qparams[narrowest][0] / qparams[widest][0] * (quant_max - quant_min)
            )
            lines.append(
                f"- one per-tensor scale would be about {show(qparams[widest][0])}: channel "
                f"{narrowest} would then use only about {levels} of the {quant_max - quant_min} "
                "steps. That is why per-channel weights are the x86 default."
            )
        return GeneratedQuestion(
            prompt=prompt,
            fields=tuple(fields),
            params={
                "weight": rows,
                "qscheme": qscheme,
                "dtype": dtype,
                "asked": [c, k] if ask_weight else None,
            },
            working="\n".join(lines),
            answer_text=", ".join(f"{f.name} = {f.display()}" for f in fields),
        )


def ideal_qparams(
    row: list[float], quant_min: int, quant_max: int, qscheme: str, dtype: str
) -> tuple[Fraction, int, Fraction]:
    """Scale, zero point and min/scale from the decimals on the page, in exact arithmetic."""
    lo = min(exact(min(row)), Fraction(0))
    hi = max(exact(max(row)), Fraction(0))
    if qscheme == "symmetric":
        scale = max(-lo, hi) / (Fraction(quant_max - quant_min) / 2)
        return scale, 128 if dtype == "quint8" else 0, Fraction(0)
    scale = (hi - lo) / (quant_max - quant_min)
    zp = min(max(quant_min - round(lo / scale), quant_min), quant_max)
    return scale, zp, lo / scale
