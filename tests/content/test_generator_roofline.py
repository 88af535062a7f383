"""decode-roofline against an independent computation, over hundreds of seeds.

The weight bytes are counted by torch (meta tensors of the stored dtypes, and the packed
layout torchao really builds for tinygemm INT4), the FLOPs of a decode step by torch's own
FLOP counter on a Linear at batch B; the roofline arithmetic is then redone here.
"""

from __future__ import annotations

import functools
import math

import pytest

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from quizapp.core.generators import generate  # noqa: E402
from quizapp.core.generators.roofline import GPUS, weight_bytes  # noqa: E402
from quizapp.core.questions import Question, check_fields  # noqa: E402

SEEDS = range(400)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():  # type: ignore[no-untyped-def]
    """Tiny tensors: on a busy 2-core machine two OpenMP threads make each op far slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def meta_bytes(count: int, dtype: torch.dtype) -> int:
    return torch.empty(int(count), dtype=dtype, device="meta").nbytes


def torch_weight_bytes(params: int, fmt: str, group_size: int | None) -> int:
    """The stored bytes of `params` weights, counted by torch in each format's dtypes."""
    if fmt == "fp16":
        return meta_bytes(params, torch.float16)
    if fmt == "int8":
        return meta_bytes(params, torch.int8)
    assert group_size is not None
    assert params % 2 == 0 and params % group_size == 0  # round LLM sizes: no partial group
    packed = meta_bytes(params // 2, torch.uint8)  # two 4-bit values per byte
    groups = params // group_size
    if fmt == "int4-scale":  # one fp16 scale per group (Marlin)
        return packed + meta_bytes(groups, torch.float16)
    return packed + 2 * meta_bytes(groups, torch.bfloat16)  # bf16 scale and zero (tinygemm)


@functools.cache
def decode_flops_per_weight(batch: int) -> float:
    """FLOPs torch counts for a Linear applied to `batch` token vectors, per weight."""
    with torch.device("meta"):
        layer = torch.nn.Linear(256, 192, bias=False)
        x = torch.empty(batch, 256)
    counter = FlopCounterMode(display=False)
    with counter:
        layer(x)
    return counter.get_total_flops() / layer.weight.numel()


def test_a_decode_step_does_two_flops_per_weight_per_sequence() -> None:
    assert decode_flops_per_weight(1) == 2
    assert decode_flops_per_weight(16) == 32


def test_answers_match_torch_counted_bytes_and_flops() -> None:
    seen = set()
    for seed in SEEDS:
        question = generate("decode-roofline", {}, seed)
        p, answer = question.params, question.answer()
        params, fmt = p["parameters"], p["format"]
        nbytes = torch_weight_bytes(params, fmt, p.get("group_size"))
        bandwidth = p["bandwidth_gb_s"] * 1e9
        peak = p["fp16_tflops"] * 1e12
        flops = decode_flops_per_weight(1) * params

        assert answer["step_ms"] == pytest.approx(nbytes / bandwidth * 1e3, rel=1e-12), seed
        assert answer["intensity"] == pytest.approx(flops / nbytes, rel=1e-12), seed
        # at the crossover batch the FLOPs take exactly as long as the weight bytes
        batch = answer["crossover_batch"]
        assert batch * flops / peak == pytest.approx(nbytes / bandwidth, rel=1e-12), seed
        # below it memory is the roof, above it compute is
        assert math.floor(batch) * flops / peak <= nbytes / bandwidth
        assert math.ceil(batch + 1e-9) * flops / peak > nbytes / bandwidth
        assert ("group_size" in p) == fmt.startswith("int4")
        seen.add((fmt, p["gpu"]))
    assert {fmt for fmt, _ in seen} == {"fp16", "int8", "int4-scale", "int4-scale-zero"}
    assert {gpu for _, gpu in seen} == set(GPUS)


def test_fewer_weight_bytes_mean_a_faster_step_and_an_earlier_crossover() -> None:
    """Weight-only quantization moves the memory roof, never the compute roof."""
    for model in ("llm-7b", "llm-70b"):
        for gpu in GPUS:
            by_format = {
                fmt: generate(
                    "decode-roofline",
                    {"model": model, "format": fmt, "gpu": gpu, "group_size": 128},
                    0,
                ).answer()
                for fmt in ("fp16", "int8", "int4-scale-zero", "int4-scale")
            }
            times = [a["step_ms"] for a in by_format.values()]
            batches = [a["crossover_batch"] for a in by_format.values()]
            assert times == sorted(times, reverse=True)
            assert batches == sorted(batches, reverse=True)
            # FP16 weights: intensity 1 FLOP/byte, so the crossover batch is the ridge point
            fp16 = by_format["fp16"]
            assert fp16["intensity"] == 1
            spec = GPUS[gpu]
            assert fp16["crossover_batch"] == pytest.approx(
                spec.fp16_tflops * 1e12 / (spec.bandwidth_gb_s * 1e9)
            )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("group_size", [32, 64, 128])
def test_scale_and_zero_layout_is_the_one_torchao_builds_for_tinygemm(group_size: int) -> None:
    """torchao's CPU int4 weight-only tensor (tinygemm): packed nibbles plus a bf16 scale and
    zero per group. Its real bytes per weight are the generator's `int4-scale-zero`."""
    pytest.importorskip("torchao")
    from torchao.prototype.quantization.int4.inference_workflow import (
        PrototypeInt4WeightOnlyConfig,
    )
    from torchao.quantization import quantize_

    model = torch.nn.Sequential(torch.nn.Linear(512, 256, bias=False)).to(torch.bfloat16)
    quantize_(model, PrototypeInt4WeightOnlyConfig(group_size=group_size))
    weight = model[0].weight
    stored = weight.qdata.nbytes + weight.scale_and_zero.nbytes
    assert weight.scale_and_zero.dtype == torch.bfloat16
    assert stored / (512 * 256) == weight_bytes(512 * 256, "int4-scale-zero", group_size) / (
        512 * 256
    )


def test_pinned_example_a100_fp16_7b() -> None:
    """7B FP16 on an A100 80GB: 14 GB / 2039 GB/s = 6.87 ms; ridge 312/2.039 = 153."""
    answer = generate(
        "decode-roofline", {"model": "llm-7b", "format": "fp16", "gpu": "a100"}, 0
    ).answer()
    assert answer["step_ms"] == pytest.approx(6.866, abs=1e-3)
    assert answer["crossover_batch"] == pytest.approx(153.0, abs=0.1)


def test_the_learners_answer_is_graded_with_its_units() -> None:
    generated = generate("decode-roofline", {"model": "llm-8b", "format": "int8"}, 5)
    question = Question(
        deck="t",
        card="decode-roofline",
        kind="generated",
        prompt=generated.prompt,
        answer_text=generated.answer_text,
        fields=generated.fields,
        working=generated.working,
        params=generated.params,
        seed=5,
    )
    values = {f.name: f.value for f in generated.fields}
    typed = {
        "step_ms": f"{values['step_ms']:.4g} ms",
        "intensity": f"{values['intensity']:.4g}",
        "crossover_batch": f"{values['crossover_batch']:.4g}",
    }
    assert check_fields(question, typed).correct
    typed["step_ms"] = f"{values['step_ms'] * 2:.4g} ms"  # forgot that INT8 halves the bytes
    assert not check_fields(question, typed).correct


def test_default_models_are_the_llm_sizes_model_size_knows() -> None:
    from quizapp.core.generators import get_generator
    from quizapp.core.generators.model_size import LLMS

    params = get_generator("decode-roofline").Params()
    assert sorted(params.model) == sorted(LLMS)  # type: ignore[attr-defined]
