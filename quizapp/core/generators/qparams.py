"""affine-qparams: scale and zero point of a per-tensor MinMaxObserver."""

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
from quizapp.core.models import Tolerance

# Learners type four or five significant digits; the zero point is an integer and must be exact.
SCALE_TOLERANCE = Tolerance(rel=0.002)
EXACT = Tolerance(abs=0)


RangeKind = Literal["mixed", "relu", "negative"]


# Drawn from uniformly, so mixed-sign ranges come up half the time.
ANY_RANGE: list[RangeKind] = ["mixed", "mixed", "relu", "negative"]


def draw_range(
    rng: random.Random, kinds: RangeKind | list[RangeKind] | None = None
) -> tuple[float, float]:
    """A plausible observed range: mixed sign, post-ReLU (min 0), or mostly negative."""
    kind = pick(ANY_RANGE if kinds is None else kinds, rng)
    if kind == "relu":
        return 0.0, round(rng.uniform(0.5, 12.0), 2)
    if kind == "negative":
        lo = round(rng.uniform(-12.0, -1.0), 2)
        return lo, round(rng.uniform(lo + 0.2, 0.5), 2)
    return round(rng.uniform(-8.0, -0.05), 2), round(rng.uniform(0.05, 10.0), 2)


@register
class AffineQParams(Generator):
    name = "affine-qparams"
    summary = "scale and zero point that MinMaxObserver computes for an observed range"

    class Params(GeneratorParams):
        x_min: float | list[float] | None = None
        x_max: float | list[float] | None = None
        dtype: Literal["quint8", "qint8"] | list[Literal["quint8", "qint8"]] = ["quint8", "qint8"]
        qscheme: Literal["affine", "symmetric"] | list[Literal["affine", "symmetric"]] = [
            "affine",
            "symmetric",
        ]
        reduce_range: bool | list[bool] = [False, True]
        # The kind of range drawn (a list draws one of them): a card whose words say what
        # the tensor is ("the usual activation case") pins it, so words and numbers agree.
        range: RangeKind | list[RangeKind] = ANY_RANGE

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        x_min, x_max = draw_range(rng, params.range)
        if params.x_min is not None:
            x_min = pick(params.x_min, rng)
        if params.x_max is not None:
            x_max = pick(params.x_max, rng)
        if x_min > x_max:
            x_min, x_max = x_max, x_min
        for _ in range(20):
            dtype, qscheme = pick(params.dtype, rng), pick(params.qscheme, rng)
            reduce_range = pick(params.reduce_range, rng)
            if int8.supported(dtype, qscheme, reduce_range):
                break
        else:  # every allowed combination is one PyTorch rejects
            dtype, qscheme, reduce_range = "qint8", qscheme, reduce_range
        scale, zero_point = int8.calculate_qparams(x_min, x_max, dtype, qscheme, reduce_range)
        quant_min, quant_max = int8.qrange(dtype, reduce_range)

        rr = ", reduce_range=True" if reduce_range else ""
        prompt = (
            f"During calibration an activation's observed range is **[{x_min:g}, {x_max:g}]**. "
            f"A `MinMaxObserver(dtype=torch.{dtype}, "
            f"qscheme=torch.per_tensor_{qscheme}{rr})` saw it. "
            "What **scale** and **zero point** does PyTorch compute?"
        )
        min_neg, max_pos = min(x_min, 0.0), max(x_max, 0.0)
        lines = [
            f"- integer range of {dtype}{' (reduce_range)' if reduce_range else ''}: "
            f"[{quant_min}, {quant_max}]",
            f"- range widened to include 0: [{min_neg:g}, {max_pos:g}]",
        ]
        if qscheme == "symmetric":
            amax = max(-min_neg, max_pos)
            half = (quant_max - quant_min) / 2
            lines += [
                f"- symmetric: amax = max(|{min_neg:g}|, {max_pos:g}) = {amax:g}",
                f"- scale = amax / (({quant_max} - ({quant_min})) / 2) = {amax:g} / {half:g} "
                f"= {scale:.6g}",
                f"- zero_point = {zero_point} ({'128 for quint8' if dtype == 'quint8' else '0 for qint8'})",
            ]
        else:
            lines += [
                f"- scale = ({max_pos:g} - ({min_neg:g})) / ({quant_max} - ({quant_min})) = {scale:.6g}",
                f"- zero_point = {quant_min} - round({min_neg:g} / {scale:.6g}) = "
                f"{quant_min} - round({min_neg / scale:.4f}) = {zero_point}"
                + (
                    " (clamped to the integer range)"
                    if not quant_min <= quant_min - round(min_neg / scale) <= quant_max
                    else ""
                ),
            ]
        return GeneratedQuestion(
            prompt=prompt,
            fields=(
                AnswerField("scale", scale, SCALE_TOLERANCE, label="scale"),
                AnswerField("zero_point", zero_point, EXACT, label="zero point", integer=True),
            ),
            params={
                "x_min": x_min,
                "x_max": x_max,
                "dtype": dtype,
                "qscheme": qscheme,
                "reduce_range": reduce_range,
            },
            working="\n".join(lines),
            answer_text=f"scale = {scale:.6g}, zero_point = {zero_point}",
        )
