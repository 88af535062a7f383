"""decode-roofline: how long one LLM decode step takes when it is memory-bound, and when it stops.

At batch size 1 every weight is read once per generated token and used for one multiply-add
(2 FLOPs), so the step's floor is weight bytes / memory bandwidth. Its arithmetic intensity
is 2 x parameters / weight bytes; the GPU's ridge point is peak FLOP/s / bandwidth. With B
sequences decoded together the bytes stay the same and the FLOPs grow B times, so the step
turns compute-bound at B = ridge / intensity. Weight-only INT8/INT4 shrinks the bytes, not
the math (the kernel dequantizes in registers and multiplies in FP16), so the FP16 tensor
peak is the compute roof and the crossover batch shrinks with the bytes: that is where
weight-only quantization stops helping. The KV cache and activations are left out, as the
prompt says: they add bytes, so the step time is a floor.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

from quizapp.core.generators import (
    AnswerField,
    GeneratedQuestion,
    Generator,
    GeneratorParams,
    pick,
    register,
)
from quizapp.core.generators.common import FLOAT, show, thousands
from quizapp.core.generators.model_size import LLMS


@dataclass(frozen=True)
class Gpu:
    name: str
    bandwidth_gb_s: float  # memory bandwidth, GB/s (10^9 bytes per second)
    fp16_tflops: float  # dense FP16 tensor-core peak, no 2:4 sparsity


# Dense FP16 tensor peaks and memory bandwidths (datasheets print the 2:4-sparse peak, twice
# the dense one, with an asterisk). A100 80GB: NVIDIA's "GPU Performance Background User's
# Guide" (108 SMs at 1.41 GHz give 312 FP16 TFLOPS; 2039 GB/s). H100 SXM: its datasheet
# table (1,979 FP16 TFLOPS with sparsity, "1/2 lower without"; 3,350 GB/s). T4: its
# datasheet's 65 FP16 TFLOPS and 320 GB/s of GDDR6.
GPUS = {
    "t4": Gpu("NVIDIA T4", 320.0, 65.0),
    "a100": Gpu("NVIDIA A100 80GB SXM", 2039.0, 312.0),
    "h100": Gpu("NVIDIA H100 SXM", 3350.0, 989.5),
}
GpuKnob = Literal["t4", "a100", "h100"]
ModelKnob = Literal["llm-1.1b", "llm-3b", "llm-7b", "llm-8b", "llm-13b", "llm-70b"]
FormatKnob = Literal["fp16", "int8", "int4-scale", "int4-scale-zero"]

# Bytes of per-group metadata: an FP16 scale (Marlin-style symmetric groups), or a 16-bit
# scale and a 16-bit zero point (tinygemm / torchao's Int4OpaqueTensor: bf16 scale_and_zero).
GROUP_META_BYTES = {"int4-scale": 2, "int4-scale-zero": 4}
FORMAT_TEXT = {
    "fp16": "FP16 weights (2 bytes each)",
    "int8": "INT8 weight-only (1 byte per weight; ignore the per-channel scales)",
    "int4-scale": "INT4 weight-only, group size {g}, one FP16 scale per group",
    "int4-scale-zero": (
        "INT4 weight-only, group size {g}, a 16-bit scale and a 16-bit zero point per group"
    ),
}


def weight_bytes(params: int, fmt: str, group_size: int = 128) -> float:
    """Bytes streamed per decode step: every weight once, plus its group metadata."""
    if fmt == "fp16":
        return 2.0 * params
    if fmt == "int8":
        return 1.0 * params
    return params / 2 + math.ceil(params / group_size) * GROUP_META_BYTES[fmt]


@dataclass(frozen=True)
class Roofline:
    step_ms: float  # memory-bound floor of one decode step at batch 1
    intensity: float  # FLOP per weight byte at batch 1
    ridge: float  # the GPU's peak FLOP/s / bandwidth
    crossover_batch: float  # sequences per step at which compute time equals memory time


def roofline(params: int, nbytes: float, gpu: Gpu) -> Roofline:
    bandwidth = gpu.bandwidth_gb_s * 1e9
    peak = gpu.fp16_tflops * 1e12
    intensity = 2 * params / nbytes
    ridge = peak / bandwidth
    return Roofline(
        step_ms=nbytes / bandwidth * 1e3,
        intensity=intensity,
        ridge=ridge,
        crossover_batch=ridge / intensity,
    )


@register
class DecodeRoofline(Generator):
    name = "decode-roofline"
    summary = (
        "memory-bound time of one LLM decode step at batch 1, its arithmetic intensity, and "
        "the batch size where it turns compute-bound"
    )

    class Params(GeneratorParams):
        model: ModelKnob | list[ModelKnob] = [
            "llm-1.1b",
            "llm-3b",
            "llm-7b",
            "llm-8b",
            "llm-13b",
            "llm-70b",
        ]
        format: FormatKnob | list[FormatKnob] = [
            "fp16",
            "int8",
            "int4-scale",
            "int4-scale-zero",
        ]
        group_size: int | list[int] = [32, 64, 128]
        gpu: GpuKnob | list[GpuKnob] = ["t4", "a100", "h100"]

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        model, fmt = pick(params.model, rng), pick(params.format, rng)
        group_size, gpu_key = pick(params.group_size, rng), pick(params.gpu, rng)
        if group_size < 1:
            raise ValueError("group_size must be positive")
        count, gpu = LLMS[model], GPUS[gpu_key]
        nbytes = weight_bytes(count, fmt, group_size)
        result = roofline(count, nbytes, gpu)
        described = FORMAT_TEXT[fmt].format(g=group_size)
        prompt = rng.choice(
            [
                "A {n}-billion-parameter decoder-only LLM with {fmt} decodes on an {gpu} "
                "({bw:,g} GB/s, {tf:g} dense FP16 tensor TFLOPS; the kernel multiplies in "
                "FP16). Each step reads every weight once; ignore the KV cache and "
                "activations. Give the memory-bound time of one decode step at batch 1, its "
                "arithmetic intensity (FLOP per weight byte, 2 FLOPs per weight), and the "
                "batch size at which the step turns compute-bound.",
                'Interviewer: "{n}B parameters, {fmt}, on an {gpu}: {bw:,g} GB/s and '
                "{tf:g} TFLOPS dense FP16. Weights only, no KV cache. How long is one "
                "decode step at batch 1 at best, how many FLOPs per byte does it do, and "
                'from what batch size is it compute-bound instead of memory-bound?"',
            ]
        ).format(
            n=f"{count / 1e9:g}",
            fmt=described,
            gpu=gpu.name,
            bw=gpu.bandwidth_gb_s,
            tf=gpu.fp16_tflops,
        )
        per_weight = nbytes / count
        lines = [
            f"- weight bytes = {thousands(count)} × {per_weight:g} B = "
            f"{show(nbytes / 1e9)} GB"
            + (
                f" (4 bits + {GROUP_META_BYTES[fmt] * 8} bits per {group_size} weights "
                f"= {per_weight * 8:g} bits per weight)"
                if fmt.startswith("int4")
                else ""
            ),
            f"- step time ≥ bytes / bandwidth = {show(nbytes / 1e9)} GB / "
            f"{gpu.bandwidth_gb_s:,g} GB/s = **{show(result.step_ms)} ms** "
            f"(≤ {show(1e3 / result.step_ms)} tokens/s)",
            f"- intensity = 2 FLOPs × {thousands(count)} / {thousands(round(nbytes))} B = "
            f"**{show(result.intensity)}** FLOP/byte",
            f"- ridge point = {gpu.fp16_tflops:g} TFLOP/s / {gpu.bandwidth_gb_s:,g} GB/s = "
            f"{show(result.ridge)} FLOP/byte",
            f"- at batch B the FLOPs grow B× and the weight bytes do not: compute-bound from "
            f"B = ridge / intensity = {show(result.ridge)} / {show(result.intensity)} = "
            f"**{show(result.crossover_batch)}**",
        ]
        if fmt != "fp16":
            lines.append(
                "- the math stays FP16 (weights are dequantized in registers), so the compute "
                "roof does not move: fewer bytes make batch 1 faster and make the step "
                "compute-bound sooner; past that batch, weight-only quantization buys nothing"
            )
        return GeneratedQuestion(
            prompt=prompt,
            fields=(
                AnswerField("step_ms", result.step_ms, FLOAT, label="step time", unit="ms"),
                AnswerField(
                    "intensity",
                    result.intensity,
                    FLOAT,
                    label="arithmetic intensity",
                    unit="FLOP/byte",
                ),
                AnswerField(
                    "crossover_batch",
                    result.crossover_batch,
                    FLOAT,
                    label="compute-bound from batch",
                    unit="(batch size)",
                ),
            ),
            params={
                "model": model,
                "parameters": count,
                "format": fmt,
                # a group size means nothing for FP16/INT8 weights: not shown as drawn
                **({"group_size": group_size} if fmt.startswith("int4") else {}),
                "gpu": gpu_key,
                "bandwidth_gb_s": gpu.bandwidth_gb_s,
                "fp16_tflops": gpu.fp16_tflops,
            },
            working="\n".join(lines),
            answer_text=(
                f"{show(result.step_ms)} ms per step, {show(result.intensity)} FLOP/byte, "
                f"compute-bound from batch {show(result.crossover_batch)}"
            ),
        )
