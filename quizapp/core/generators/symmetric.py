"""symmetric-weight-scale: per-tensor symmetric qint8 weights (amax / 127.5), and one weight's q."""

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
from quizapp.core.generators.common import EXACT, FLOAT, exact, near_tie, prompt_number, show, sig

AskKnob = Literal["max", "min", "inside"]
RESTRICTED_EPS = 2.0**-12  # weight_observer_range_neg_127_to_127(eps=2**-12)


def symmetric_weight_qparams(w_min: float, w_max: float, restricted: bool) -> tuple[float, int]:
    """default_weight_observer, or weight_observer_range_neg_127_to_127 when restricted."""
    if restricted:
        return int8.choose_qparams(
            w_min, w_max, -127, 127, "qint8", "symmetric", RESTRICTED_EPS, customized_range=True
        )
    return int8.calculate_qparams(w_min, w_max, "qint8", "symmetric")


@register
class SymmetricWeightScale(Generator):
    name = "symmetric-weight-scale"
    summary = "per-tensor symmetric qint8 weight scale (amax/127.5) and the int8 value of a weight"

    class Params(GeneratorParams):
        restricted: bool | list[bool] = False  # the [-127, 127] weight observer
        ask: AskKnob | list[AskKnob] = ["max", "min", "inside"]
        w_min: float | list[float] | None = None
        w_max: float | list[float] | None = None

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        restricted = pick(params.restricted, rng)
        quant_min, quant_max = (-127, 127) if restricted else (-128, 127)
        half = Fraction(quant_max - quant_min, 2)
        ask = pick(params.ask, rng)
        for _ in range(200):
            amax = sig(rng.uniform(0.05, 2.0), 3)
            other = sig(amax * rng.uniform(0.3, 0.95), 3)
            w_min, w_max = (-amax, other) if rng.random() < 0.5 else (-other, amax)
            if params.w_min is not None:
                w_min = pick(params.w_min, rng)
            if params.w_max is not None:
                w_max = pick(params.w_max, rng)
            if w_min > w_max:
                w_min, w_max = w_max, w_min
            if w_min == w_max == 0:
                raise ValueError("an all-zero weight range has no scale to ask about")
            if ask == "max":
                w = w_max
            elif ask == "min":
                w = w_min
            else:
                w = sig(rng.uniform(w_min, w_max), 3)
            scale, _ = symmetric_weight_qparams(w_min, w_max, restricted)
            q = int8.quantize(w, scale, 0, quant_min, quant_max)
            true_amax = max(-exact(min(w_min, 0.0)), exact(max(w_max, 0.0)))
            ratio = exact(w) * half / true_amax
            ideal = min(max(round(ratio), quant_min), quant_max)
            extreme = abs(exact(w)) == true_amax
            pinned = params.w_min is not None and params.w_max is not None
            if ideal == q and (extreme or pinned or not near_tie(ratio)):
                break
        else:
            raise ValueError("these weights round differently in float32 than on paper")

        observer = (
            "`weight_observer_range_neg_127_to_127` (qint8 restricted to [-127, 127])"
            if restricted
            else "the default weight observer, "
            "`MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)`"
        )
        prompt = rng.choice(
            [
                "A linear layer's weights lie in **[{lo}, {hi}]**. You quantize them per-tensor "
                "symmetric with {observer}. What **scale** does PyTorch compute, and which int8 "
                "value does the weight **{w}** become?",
                'Interviewer: "Weights span [{lo}, {hi}] and go through {observer}. Give me '
                'the scale, and tell me where the weight {w} lands in int8."',
            ]
        ).format(
            lo=prompt_number(w_min), hi=prompt_number(w_max), observer=observer, w=prompt_number(w)
        )

        amax = max(-min(w_min, 0.0), max(w_max, 0.0))
        lines = [
            "symmetric: z = 0, s = amax / ((qmax - qmin) / 2)",
            f"- amax = max(|{prompt_number(w_min)}|, |{prompt_number(w_max)}|) = {prompt_number(amax)}",
            f"- s = {prompt_number(amax)} / (({quant_max} - ({quant_min})) / 2) = {prompt_number(amax)} / {float(half):g} "
            f"= **{show(scale)}**",
            f"- q = clamp(round({prompt_number(w)} / {show(scale)}), {quant_min}, {quant_max}) "
            f"= clamp(round({float(ratio):.4f})) = **{q}**",
        ]
        if not restricted and extreme and w > 0:
            lines.append(
                "- +amax maps to 127.5, which rounds (half to even) to 128 and is clamped to 127:"
                " the positive extreme loses half a step (-amax maps to -127.5, i.e. -128)"
            )
        elif not restricted and extreme:
            lines.append(
                "- -amax maps to -127.5, which rounds half to even to -128; +amax would map to "
                "127.5 and be clamped to 127"
            )
        return GeneratedQuestion(
            prompt=prompt,
            fields=(
                AnswerField("scale", scale, FLOAT, label="scale"),
                AnswerField("q", q, EXACT, label="int8 value of the weight", integer=True),
            ),
            params={"w_min": w_min, "w_max": w_max, "w": w, "restricted": restricted},
            working="\n".join(lines),
            answer_text=f"scale = {show(scale)}, q = {q}",
        )
