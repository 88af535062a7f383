"""reduce-range: an activation's qparams with and without reduce_range (x86 vs qnnpack)."""

from __future__ import annotations

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
from quizapp.core.generators.common import EXACT, FLOAT, exact, near_tie, prompt_number, show
from quizapp.core.generators.qparams import draw_range

DTypeKnob = Literal["quint8", "qint8"]


def ideal_affine(
    x_min: float, x_max: float, quant_min: int, quant_max: int
) -> tuple[int, Fraction]:
    """The zero point from the decimals on the page (exact), and min/scale for the tie check."""
    lo, hi = min(exact(x_min), Fraction(0)), max(exact(x_max), Fraction(0))
    scale = (hi - lo) / (quant_max - quant_min)
    ratio = lo / scale
    return min(max(quant_min - round(ratio), quant_min), quant_max), ratio


@register
class ReduceRange(Generator):
    name = "reduce-range"
    summary = "scale and zero point of an activation with and without reduce_range"

    class Params(GeneratorParams):
        dtype: DTypeKnob | list[DTypeKnob] = "quint8"
        x_min: float | list[float] | None = None
        x_max: float | list[float] | None = None

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        dtype = pick(params.dtype, rng)
        full_range, reduced_range = int8.qrange(dtype), int8.qrange(dtype, reduce_range=True)
        pinned = params.x_min is not None or params.x_max is not None
        for _ in range(200):
            x_min, x_max = draw_range(rng)
            if params.x_min is not None:
                x_min = pick(params.x_min, rng)
            if params.x_max is not None:
                x_max = pick(params.x_max, rng)
            if x_min > x_max:
                x_min, x_max = x_max, x_min
            full = int8.calculate_qparams(x_min, x_max, dtype, "affine", False)
            reduced = int8.calculate_qparams(x_min, x_max, dtype, "affine", True)
            ideal_full, ratio_full = ideal_affine(x_min, x_max, *full_range)
            ideal_reduced, ratio_reduced = ideal_affine(x_min, x_max, *reduced_range)
            clean = pinned or not (
                (ratio_full and near_tie(ratio_full)) or (ratio_reduced and near_tie(ratio_reduced))
            )
            if full[1] == ideal_full and reduced[1] == ideal_reduced and clean:
                break
        else:
            raise ValueError("this range rounds differently in float32 than on paper")

        prompt = rng.choice(
            [
                "An activation was calibrated to **[{lo}, {hi}]** with a per-tensor affine "
                "`MinMaxObserver(dtype=torch.{dtype})`. The eager x86/fbgemm qconfig observes "
                "with `reduce_range=True` ({rq}); qnnpack uses the full {fq}. What **scale** "
                "and **zero point** do you get in each case?",
                'Interviewer: "Same activation range [{lo}, {hi}], {dtype}, affine. Give me '
                "scale and zero point with reduce_range=False ({fq}) and with "
                'reduce_range=True ({rq})."',
            ]
        ).format(
            lo=prompt_number(x_min),
            hi=prompt_number(x_max),
            dtype=dtype,
            fq=f"[{full_range[0]}, {full_range[1]}]",
            rq=f"[{reduced_range[0]}, {reduced_range[1]}]",
        )
        min_neg, max_pos = min(x_min, 0.0), max(x_max, 0.0)
        lines = [
            f"- range widened to include 0: [{prompt_number(min_neg)}, {prompt_number(max_pos)}]"
        ]
        for label, (qmin, qmax), (scale, zp) in (
            ("reduce_range=False", full_range, full),
            ("reduce_range=True", reduced_range, reduced),
        ):
            lines.append(
                f"- {label}, [{qmin}, {qmax}]: s = ({prompt_number(max_pos)} - ({prompt_number(min_neg)})) / {qmax - qmin}"
                f" = **{show(scale)}**, z = {qmin} - round({prompt_number(min_neg)} / {show(scale)}) = "
                f"**{zp}**"
            )
        lines.append(
            f"- the step grows {reduced[0] / full[0]:.3f}x (255/127 ≈ 2.008), so the worst "
            "rounding error s/2 roughly doubles: the price of 7-bit activations that keep AVX2's "
            "vpmaddubsw from saturating its int16 pair sums"
        )
        return GeneratedQuestion(
            prompt=prompt,
            fields=(
                AnswerField("scale", full[0], FLOAT, label="scale (full range)"),
                AnswerField("zero_point", full[1], EXACT, label="zero point (full)", integer=True),
                AnswerField("scale_reduced", reduced[0], FLOAT, label="scale (reduce_range)"),
                AnswerField(
                    "zero_point_reduced",
                    reduced[1],
                    EXACT,
                    label="zero point (reduce_range)",
                    integer=True,
                ),
            ),
            params={"x_min": x_min, "x_max": x_max, "dtype": dtype},
            working="\n".join(lines),
            answer_text=(
                f"full: scale = {show(full[0])}, zero_point = {full[1]}; reduce_range: "
                f"scale = {show(reduced[0])}, zero_point = {reduced[1]}"
            ),
        )
