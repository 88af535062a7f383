"""requant-multiplier: M = s_in * s_w / s_out, and its fixed-point form M0 * 2^-31 * 2^-n."""

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
from quizapp.core.generators.common import EXACT, FLOAT, draw_scale, prompt_number, show

LayerKnob = Literal["conv", "linear"]


@register
class RequantMultiplier(Generator):
    name = "requant-multiplier"
    summary = "the requantization multiplier M = s_in*s_w/s_out (optionally as M0 and a shift)"

    class Params(GeneratorParams):
        fixed_point: bool | list[bool] = False
        layer: LayerKnob | list[LayerKnob] = ["conv", "linear"]
        input_scale: float | list[float] | None = None
        weight_scale: float | list[float] | None = None
        output_scale: float | list[float] | None = None

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        fixed_point, layer = pick(params.fixed_point, rng), pick(params.layer, rng)
        for _ in range(100):
            s_in = _knob(params.input_scale, rng) or draw_scale(rng, 0.005, 0.1)
            s_w = _knob(params.weight_scale, rng) or draw_scale(rng, 0.001, 0.02)
            s_out = _knob(params.output_scale, rng) or draw_scale(rng, 0.01, 0.3)
            multiplier = int8.requant_multiplier(s_in, s_w, s_out)
            if 0 < multiplier < 1:
                break
        else:
            raise ValueError("s_in * s_w / s_out must be below 1 (it is for any sane layer)")
        m0, shift = int8.quantize_multiplier(multiplier)

        what = "conv" if layer == "conv" else "linear layer"
        prompt = rng.choice(
            [
                "A quantized {what} takes uint8 activations with scale **{a}**, has int8 weights "
                "with scale **{w}**, and its output is quantized with scale **{o}**. The kernel "
                "accumulates products of integers in int32. By what real **multiplier M** must "
                "it rescale the accumulator to land on the output's integer grid?",
                'Interviewer: "In an INT8 {what}, input scale {a}, weight scale {w}, output '
                "scale {o}. What number multiplies the int32 accumulator before rounding to "
                'the output?"',
            ]
        ).format(what=what, a=prompt_number(s_in), w=prompt_number(s_w), o=prompt_number(s_out))
        if fixed_point:
            prompt += (
                " Integer-only kernels (gemmlowp, TFLite, QNNPACK) don't multiply by a float: "
                "they write M = M0 · 2^-31 · 2^-n with M0 an int32 in [2^30, 2^31) and n a right "
                "shift. Give **M0** and **n** too."
            )
        lines = [
            "real output = s_in·s_w·acc, and q_out = round(real / s_out) + z_out, so "
            "M = s_in·s_w / s_out",
            f"- M = {prompt_number(s_in)} · {prompt_number(s_w)} / {prompt_number(s_out)} = **{show(multiplier)}**",
            "- usually < 1 (the fixed-point form assumes M < 1); q_out = clamp(round(M·acc) + z_out, qmin, qmax)",
        ]
        fields = [AnswerField("M", multiplier, FLOAT, label="multiplier M")]
        if fixed_point:
            normalized = multiplier * 2**shift
            lines += [
                f"- normalize into [0.5, 1): M · 2^{shift} = {normalized:.6f}, so n = **{shift}**",
                f"- M0 = round({normalized:.6f} · 2^31) = **{m0}**",
                f"- check: {m0} · 2^-31 · 2^-{shift} = {m0 * 2.0 ** (-31 - shift):.6g}",
            ]
            fields += [
                AnswerField("M0", m0, FLOAT, label="M0 (int32)", integer=True),
                AnswerField("shift", shift, EXACT, label="right shift n", integer=True),
            ]
        return GeneratedQuestion(
            prompt=prompt,
            fields=tuple(fields),
            params={
                "input_scale": s_in,
                "weight_scale": s_w,
                "output_scale": s_out,
                "fixed_point": fixed_point,
            },
            working="\n".join(lines),
            answer_text=", ".join(f"{f.name} = {f.display()}" for f in fields),
        )


def _knob(value: float | list[float] | None, rng: random.Random) -> float | None:
    return None if value is None else pick(value, rng)
