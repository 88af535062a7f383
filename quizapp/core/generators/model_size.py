"""model-size: bytes of a model's weights at a bit width, vs FP32 (params x bits / 8)."""

from __future__ import annotations

import math
import random
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

# torchvision parameter counts (`sum(p.numel() for p in model.parameters())`, weights=None;
# the tests rebuild the models and recount).
CNNS: dict[ModelKnob, tuple[str, int]] = {
    "resnet18": ("ResNet-18", 11_689_512),
    "resnet50": ("ResNet-50", 25_557_032),
    "mobilenet_v2": ("MobileNetV2", 3_504_872),
    "mobilenet_v3_large": ("MobileNetV3-Large", 5_483_032),
    "efficientnet_b0": ("EfficientNet-B0", 5_288_548),
}
# Round LLM sizes, as an interviewer would state them.
LLMS: dict[ModelKnob, int] = {
    "llm-1.1b": 1_100_000_000,
    "llm-3b": 3_000_000_000,
    "llm-7b": 7_000_000_000,
    "llm-8b": 8_000_000_000,
    "llm-13b": 13_000_000_000,
    "llm-70b": 70_000_000_000,
}
ModelKnob = Literal[
    "resnet18",
    "resnet50",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "llm-1.1b",
    "llm-3b",
    "llm-7b",
    "llm-8b",
    "llm-13b",
    "llm-70b",
]
FormatKnob = Literal["fp16", "bf16", "int8", "int4"]
BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
SCALE_BYTES = 2  # int4 weight-only: one fp16 scale per group (as in GPTQ/AWQ-style kernels)


def weight_bytes(params: int, fmt: str, group_size: int = 128) -> int:
    """Bytes of the weights; int4 packs two per byte plus an fp16 scale per group."""
    if fmt == "int4":
        return math.ceil(params / 2) + math.ceil(params / group_size) * SCALE_BYTES
    return params * BYTES[fmt]


@register
class ModelSize(Generator):
    name = "model-size"
    summary = "weight bytes at FP32 and at a lower bit width, and the compression ratio"

    class Params(GeneratorParams):
        model: ModelKnob | list[ModelKnob] = list(CNNS) + list(LLMS)
        format: FormatKnob | list[FormatKnob] = ["fp16", "bf16", "int8", "int4"]
        group_size: int | list[int] = [32, 64, 128]
        binary: bool | list[bool] = [False, False, True]  # MiB/GiB instead of MB/GB

    def generate(self, params: Params, rng: random.Random) -> GeneratedQuestion:
        models = params.model if isinstance(params.model, list) else [params.model]
        formats = params.format if isinstance(params.format, list) else [params.format]
        if all(f == "int4" for f in formats):  # int4 CNN weights aren't a thing: LLMs only
            models = [m for m in models if m in LLMS]
            if not models:
                raise ValueError("int4 is only asked for LLMs; allow an LLM or another format")
        model = rng.choice(models)
        llm = model in LLMS
        fmt = rng.choice([f for f in formats if llm or f != "int4"])
        group_size = pick(params.group_size, rng)
        if group_size < 1:
            raise ValueError("group_size must be positive")
        binary = pick(params.binary, rng)
        count = LLMS[model] if llm else CNNS[model][1]
        if llm:
            unit, divisor = ("GiB", 2**30) if binary else ("GB", 10**9)
            who = f"A {count / 1e9:g}-billion-parameter decoder-only LLM"
        else:
            unit, divisor = ("MiB", 2**20) if binary else ("MB", 10**6)
            who = f"torchvision's {CNNS[model][0]} ({thousands(count)} parameters)"
        unit_text = {
            "GB": "GB (10^9 bytes)",
            "GiB": "GiB (2^30 bytes)",
            "MB": "MB (10^6 bytes)",
            "MiB": "MiB (2^20 bytes)",
        }[unit]
        fp32_bytes = weight_bytes(count, "fp32")
        target_bytes = weight_bytes(count, fmt, group_size)
        fp32_size, size = fp32_bytes / divisor, target_bytes / divisor
        ratio = fp32_bytes / target_bytes
        described = {
            "fp16": "FP16",
            "bf16": "BF16",
            "int8": "INT8 (weight-only; ignore the per-channel scales)",
            "int4": f"INT4 weight-only with group size {group_size} and one FP16 scale per group",
        }[fmt]
        prompt = rng.choice(
            [
                "{who}: how many {unit} do its weights take in FP32, how many in {described}, "
                "and what is the compression ratio?",
                'Interviewer: "{who}. Weights only: size in FP32, size in {described}, and '
                'how many times smaller? Answer in {unit}."',
            ]
        ).format(who=who, unit=unit_text, described=described)
        lines = [
            "size = parameters × bytes per parameter",
            f"- FP32: {thousands(count)} × 4 B = {thousands(fp32_bytes)} B = "
            f"**{show(fp32_size)} {unit}**",
        ]
        if fmt == "int4":
            groups = math.ceil(count / group_size)
            lines.append(
                f"- INT4: {thousands(count)} × 0.5 B + {thousands(groups)} groups × 2 B "
                f"(FP16 scale) = {thousands(target_bytes)} B = **{show(size)} {unit}** "
                f"(that is {4 + 16 / group_size:g} bits per weight)"
            )
        else:
            lines.append(
                f"- {fmt.upper()}: {thousands(count)} × {BYTES[fmt]} B = {thousands(target_bytes)}"
                f" B = **{show(size)} {unit}**"
            )
        lines.append(f"- ratio = {show(fp32_size)} / {show(size)} = **{show(ratio)}**×")
        if fmt == "int8":
            lines.append(
                "- per-channel scales (one float per output channel) add well under 1%; a saved "
                "state_dict is also a little larger than the raw weights"
            )
        if binary:
            lines.append(
                f"- {unit} is binary: 1 {unit} = {divisor:,} bytes, "
                f"{divisor / (10**9 if llm else 10**6):.4f} of the decimal unit"
            )
        return GeneratedQuestion(
            prompt=prompt,
            fields=(
                AnswerField("fp32_size", fp32_size, FLOAT, label="FP32 size", unit=unit),
                AnswerField("size", size, FLOAT, label=f"{fmt.upper()} size", unit=unit),
                AnswerField("ratio", ratio, FLOAT, label="compression ratio vs FP32", unit="x"),
            ),
            params={
                "model": model,
                "parameters": count,
                "format": fmt,
                "group_size": group_size if fmt == "int4" else None,
                "unit": unit,
            },
            working="\n".join(lines),
            answer_text=f"FP32 {show(fp32_size)} {unit}, {fmt.upper()} {show(size)} {unit}, "
            f"{show(ratio)}× smaller",
        )
