"""accumulator-bounds: how many int8 products an int32 (or int16) accumulator holds safely."""

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
from quizapp.core.generators.common import EXACT, thousands

ActivationKnob = Literal["uint8", "uint8_reduced", "int8"]
ACTIVATIONS = {
    "uint8": ((0, 255), "uint8 activations [0, 255]"),
    "uint8_reduced": ((0, 127), "uint8 activations with reduce_range [0, 127]"),
    "int8": ((-128, 127), "int8 activations [-128, 127]"),
}
ACCUMULATORS = {32: (int8.INT32_MIN, int8.INT32_MAX), 16: (-(2**15), 2**15 - 1)}


def max_terms(product_min: int, product_max: int, acc_min: int, acc_max: int) -> int:
    """Largest K such that any sum of K products stays inside [acc_min, acc_max]."""
    up = acc_max // product_max if product_max > 0 else None
    down = acc_min // product_min if product_min < 0 else None  # both negative: floor is right
    return min(k for k in (up, down) if k is not None)


@register
class AccumulatorBounds(Generator):
    name = "accumulator-bounds"
    summary = "largest int8 product and how many fit in an int32 (or int16) accumulator"

    class Params(GeneratorParams):
        activations: ActivationKnob | list[ActivationKnob] = ["uint8", "uint8_reduced", "int8"]
        restricted_weights: bool | list[bool] = [False, False, True]  # weights in [-127, 127]
        acc_bits: Literal[16, 32] | list[Literal[16, 32]] = [32, 32, 16]

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        acc_bits = pick(params.acc_bits, rng)
        kinds = params.activations if isinstance(params.activations, list) else [params.activations]
        if acc_bits == 16:  # vpmaddubsw multiplies unsigned by signed bytes only
            kinds = [k for k in kinds if k != "int8"] or ["uint8", "uint8_reduced"]
        kind = rng.choice(kinds)
        restricted = pick(params.restricted_weights, rng)
        a_range, a_text = ACTIVATIONS[kind]
        w_range = (-127, 127) if restricted else (-128, 127)
        product_min, product_max = int8.product_range(a_range, w_range)
        largest = max(-product_min, product_max)
        acc_min, acc_max = ACCUMULATORS[acc_bits]
        k_max = max_terms(product_min, product_max, acc_min, acc_max)

        w_text = f"int8 weights [{w_range[0]}, {w_range[1]}]"
        if acc_bits == 32:
            prompt = (
                f"An INT8 GEMM multiplies {a_text} by {w_text} and sums the products in an "
                "**int32** accumulator. What is the **largest magnitude** a single product can "
                "have, and how many products **K** can be summed before the accumulator could "
                "overflow in the worst case?"
            )
        else:
            prompt = (
                f"AVX2 has no 8-bit dot product instruction: `vpmaddubsw` multiplies {a_text} "
                f"by {w_text} and adds adjacent products into a **saturating int16**. What is "
                "the largest magnitude of one product, and how many products **K** fit in "
                "an int16 without saturating in the worst case?"
            )
        lines = [
            f"- the extreme products come from the corners of the ranges: {a_range[0]}..{a_range[1]}"
            f" × {w_range[0]}..{w_range[1]} gives [{product_min}, {product_max}], so the largest"
            f" magnitude is **{largest}**",
            f"- int{acc_bits} holds [{thousands(acc_min)}, {thousands(acc_max)}]",
            f"- K ≤ {thousands(acc_max)} / {product_max} and K ≤ {thousands(-acc_min)} / "
            f"{-product_min}, so K = **{k_max}**",
        ]
        if acc_bits == 32:
            lines.append(
                f"- a 3×3 conv over 512 input channels sums 4,608 products: far below {k_max}, "
                "which is why int32 accumulation of int8 products is safe in practice"
            )
        elif k_max < 2:
            lines.append(
                "- a pair of products can saturate the int16: that is the overflow "
                "`reduce_range=True` (7-bit activations) avoids on CPUs without VNNI"
            )
        else:
            lines.append(
                "- a pair of products always fits: that is why x86's reduce_range uses 7-bit "
                "activations on CPUs without VNNI"
            )
        return GeneratedQuestion(
            prompt=prompt,
            fields=(
                AnswerField(
                    "largest_product", largest, EXACT, label="largest |product|", integer=True
                ),
                AnswerField("k_max", k_max, EXACT, label="products that fit (K)", integer=True),
            ),
            params={
                "activations": kind,
                "activation_range": list(a_range),
                "weight_range": list(w_range),
                "acc_bits": acc_bits,
            },
            working="\n".join(lines),
            answer_text=f"largest |product| = {largest}, K = {k_max}",
        )
