"""The hardware-kernels deck's computable claims outside its numeric answers, checked here.

Each test names the card whose prompt, answer or explanation it backs; where a card quotes
figures, the test reads them from the card itself, so an edit that breaks the arithmetic fails.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from quizapp.core.loader import load_deck_file  # noqa: E402

DECK = Path(__file__).resolve().parents[2] / "content" / "hardware-kernels.yaml"


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():  # type: ignore[no-untyped-def]
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@functools.cache
def card_text(card_id: str) -> str:
    card = next(c for c in load_deck_file(DECK).cards if c.id == card_id)
    parts = [card.prompt, getattr(card, "answer", ""), card.explanation or ""]
    parts += list(getattr(card, "options", None) or [])
    return " ".join(str(p) for p in parts)


def macs(a: torch.Tensor, b: torch.Tensor) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        torch.matmul(a, b)
    return counter.get_total_flops() // 2


# --- x86 -----------------------------------------------------------------------------------


def test_u8_shift_and_compensation_give_the_exact_s8_dot_product() -> None:
    """u8-s8-operands-why: (X + 128)·W − 128·ΣW = X·W for any int8 X, W."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(-128, 128, (64, 256), generator=gen, dtype=torch.int32)
    w = torch.randint(-128, 128, (256, 32), generator=gen, dtype=torch.int32)
    shifted = x + 128
    assert int(shifted.min()) >= 0 and int(shifted.max()) <= 255  # really u8
    compensation = 128 * w.sum(dim=0)
    assert torch.equal(shifted @ w - compensation, x @ w)


def test_int16_pair_sums_saturate_only_with_full_range_activations() -> None:
    """vpmaddubsw-saturation-example: 7-bit activations keep every pair within int16."""
    int16 = torch.iinfo(torch.int16)
    weights = torch.arange(-128, 128, dtype=torch.int32)
    for top, fits in ((127, True), (255, False)):
        pair = 2 * top * weights  # the extreme pair sum: both activations at `top`
        inside = bool(((pair >= int16.min) & (pair <= int16.max)).all())
        assert inside is fits
    assert int((2 * 127 * weights).abs().max()) == 32512
    assert "32,512" in card_text("vpmaddubsw-saturation-example")


# --- Arm ------------------------------------------------------------------------------------


def test_smmla_does_twice_the_multiply_accumulates_of_sdot() -> None:
    """arm-smmla, arm-sdot-udot: 16 MACs (4 lanes × 4) vs 32 (2×8 by 8×2) per 128 bits."""
    with torch.device("meta"):
        sdot = macs(torch.empty(4, 1, 4), torch.empty(4, 4, 1))  # four length-4 dot products
        smmla = macs(torch.empty(2, 8), torch.empty(8, 2))
    assert (sdot, smmla) == (16, 32)
    assert "16" in card_text("arm-sdot-udot") and "32" in card_text("arm-smmla")


# --- tensor cores -----------------------------------------------------------------------------


def test_datasheet_figures_on_the_cards_give_the_ratios_they_state() -> None:
    """tensor-core-generations and the per-GPU cards: the quoted figures and their ratios."""
    text = card_text("tensor-core-generations")
    for figure in ("65 / 130 / 260", "624 vs 312", "1,248", "1,979 vs 989.5"):
        assert figure in text
    t4 = {"fp16": 65, "int8": 130, "int4": 260}
    a100 = {"fp16": 312, "int8": 624, "int4": 1248}
    h100 = {"fp16": 989.5, "fp8": 1979, "int8": 1979}
    b200_sparse = {"fp16": 4.5, "fp8": 9, "int8": 9, "fp4": 18}
    for gpu in (t4, a100):
        assert gpu["int8"] / gpu["fp16"] == 2 and gpu["int4"] / gpu["fp16"] == 4
    assert h100["fp8"] == h100["int8"] and h100["fp8"] / h100["fp16"] == pytest.approx(2, 1e-3)
    assert b200_sparse["fp4"] / b200_sparse["fp8"] == 2 == b200_sparse["fp8"] / b200_sparse["fp16"]
    assert "4.5 PFLOPS" in card_text("blackwell-fp4-vs-fp8")


def test_sparse_peaks_double_the_ridge_point() -> None:
    """datasheet-sparsity-asterisk: 1,979 / 3.35 ≈ 590 against 989.5 / 3.35 ≈ 295."""
    text = card_text("datasheet-sparsity-asterisk")
    assert round(1979 / 3.35) == 591 and "590" in text  # "≈ 590": 590.7
    assert round(989.5 / 3.35) == 295 and "295" in text
    assert round(624e12 / 2039e9) == 306 and "306" in card_text("a100-ridge-point")


# --- requantization ---------------------------------------------------------------------------


def cpu_flags() -> set[str] | None:
    """The CPU's feature flags (Linux), or None where /proc/cpuinfo does not say."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), None)
    return set(line.split(":", 1)[1].split()) if line else None


@pytest.fixture
def quantized_engine():  # type: ignore[no-untyped-def]
    before = torch.backends.quantized.engine
    yield
    torch.backends.quantized.engine = before


def conv_against_exact_requantization(engine: str, top: int) -> torch.Tensor:
    """|engine's stored codes − clamp(z_out + round(M·acc))| for a random uint8 conv whose
    activations lie in [0, top], acc being the exact integer sum of (q_x − z_in)·q_w."""
    import torch.ao.nn.quantized.functional as qF

    torch.backends.quantized.engine = engine
    gen = torch.Generator().manual_seed(1)
    s_in, z_in, s_w, s_out, z_out = 0.02, 7, 0.004, 0.05, 60
    q_x = torch.randint(0, top + 1, (1, 8, 10, 10), generator=gen, dtype=torch.uint8)
    q_w = torch.randint(-127, 128, (16, 8, 3, 3), generator=gen, dtype=torch.int8)
    x = torch._make_per_tensor_quantized_tensor(q_x, s_in, z_in)
    w = torch._make_per_tensor_quantized_tensor(q_w, s_w, 0)
    out = qF.conv2d(x, w, bias=None, scale=s_out, zero_point=z_out)
    # float64 holds these integer sums exactly
    acc = torch.nn.functional.conv2d(q_x.to(torch.float64) - z_in, q_w.to(torch.float64))
    multiplier = s_in * s_w / s_out
    assert multiplier < 1  # the fixed-point form M0 · 2^-n assumes it
    expected = (torch.round(acc.round() * multiplier) + z_out).clamp(0, 255)
    return (out.int_repr().to(torch.float64) - expected).abs()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.usefixtures("quantized_engine")
def test_a_quantized_conv_stores_round_m_times_the_int32_accumulator_plus_z_out() -> None:
    """conv-requant-why: q_out = clamp(z_out + round(M·acc)), M = s_in·s_w / s_out, with
    7-bit activations (safe on every x86 kernel) on each engine this build has."""
    engines = [
        e for e in ("x86", "fbgemm", "qnnpack") if e in torch.backends.quantized.supported_engines
    ]
    assert engines
    for engine in engines:
        diff = conv_against_exact_requantization(engine, top=127)
        assert float(diff.max()) <= 1, engine  # float32 requantization may round a .5 away
        assert float((diff == 0).double().mean()) > 0.99, engine


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.usefixtures("quantized_engine")
def test_bias_joins_the_accumulator_in_int32_and_relu_is_the_clamp_at_z_out() -> None:
    """conv-requant-why: the bias enters as round(b / (s_in·s_w)) added to acc; a fused
    ConvReLU stores max(q_out, z_out)."""
    import torch.ao.nn.intrinsic.quantized as nniq
    import torch.ao.nn.quantized.functional as qF

    gen = torch.Generator().manual_seed(3)
    s_in, z_in, s_w, s_out, z_out = 0.02, 7, 0.004, 0.05, 60
    q_x = torch.randint(0, 128, (1, 8, 10, 10), generator=gen, dtype=torch.uint8)
    q_w = torch.randint(-127, 128, (16, 8, 3, 3), generator=gen, dtype=torch.int8)
    bias = torch.randn(16, generator=gen)
    acc = torch.nn.functional.conv2d(q_x.to(torch.float64) - z_in, q_w.to(torch.float64))
    acc = acc.round() + torch.round(bias.to(torch.float64) / (s_in * s_w)).view(1, -1, 1, 1)
    expected = (torch.round(acc * (s_in * s_w / s_out)) + z_out).clamp(0, 255)
    for engine in ("x86", "qnnpack"):
        if engine not in torch.backends.quantized.supported_engines:
            continue
        torch.backends.quantized.engine = engine
        x = torch._make_per_tensor_quantized_tensor(q_x, s_in, z_in)
        w = torch._make_per_tensor_quantized_tensor(q_w, s_w, 0)
        out = qF.conv2d(x, w, bias=bias, scale=s_out, zero_point=z_out).int_repr()
        assert float((out.to(torch.float64) - expected).abs().max()) <= 1, engine
        fused = nniq.ConvReLU2d(8, 16, 3)
        fused.set_weight_bias(w, bias)
        fused.scale, fused.zero_point = s_out, z_out
        relu = fused(x).int_repr().to(torch.float64)
        assert float((relu - expected.clamp(min=z_out)).abs().max()) <= 1, engine
        assert bool((relu == z_out).any())  # some outputs really were negative


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.usefixtures("quantized_engine")
def test_full_range_activations_saturate_fbgemm_on_avx2_without_vnni() -> None:
    """fbgemm-full-range-saturation-measured: on an AVX2 CPU without VNNI the x86 engine's
    VPMADDUBSW path saturates with 0..255 activations; qnnpack stays exact."""
    if "qnnpack" in torch.backends.quantized.supported_engines:
        assert float(conv_against_exact_requantization("qnnpack", top=255).max()) <= 1
    flags = cpu_flags()
    if "x86" not in torch.backends.quantized.supported_engines or flags is None:
        pytest.skip("no x86 quantized engine, or no /proc/cpuinfo to read the CPU's flags")
    if "avx2" not in flags or flags & {"avx512_vnni", "avx_vnni", "amx_int8"}:
        pytest.skip("the card's case is an AVX2 CPU without VNNI")
    diff = conv_against_exact_requantization("x86", top=255)
    assert float(diff.max()) > 1  # far more than a rounding difference
    assert float((diff > 1).double().mean()) > 0.1


# --- INT4 kernels -----------------------------------------------------------------------------


def tinygemm_roundtrip(group: torch.Tensor):  # type: ignore[no-untyped-def]
    from torchao.quantization.quant_primitives import (
        MappingType,
        _choose_qparams_affine_tinygemm,
        _dequantize_affine_tinygemm,
        _quantize_affine_tinygemm,
    )

    block = (1, group.shape[-1])
    scale, zero = _choose_qparams_affine_tinygemm(
        group, MappingType.ASYMMETRIC, block, torch.int32, 0, 15
    )
    q = _quantize_affine_tinygemm(group, block, scale, zero, torch.int32, 0, 15)
    x_hat = _dequantize_affine_tinygemm(
        q, block, scale, zero, torch.int32, 0, 15, output_dtype=group.dtype
    )
    return scale, zero, q, x_hat


def test_tinygemm_zero_is_the_float_at_code_8_and_dequantizes_as_the_card_says() -> None:
    """tinygemm-float-zero: zero = min + 8·scale, x ≈ (q − 8)·scale + zero, 0.0 not exact."""
    pytest.importorskip("torchao")
    gen = torch.Generator().manual_seed(2)
    groups = torch.randn(64, 128, generator=gen)
    scale, zero, q, x_hat = tinygemm_roundtrip(groups)
    mins, maxs = groups.amin(dim=1, keepdim=True), groups.amax(dim=1, keepdim=True)
    assert torch.allclose(scale.view(-1, 1), (maxs - mins) / 15)
    assert torch.allclose(zero.view(-1, 1), mins + 8 * scale.view(-1, 1))
    assert torch.allclose(x_hat, (q - 8) * scale.view(-1, 1) + zero.view(-1, 1))
    assert float(((x_hat - groups).abs() / scale.view(-1, 1)).max()) <= 0.5 + 1e-9
    # no code lands exactly on 0.0 in these groups: the grid need not contain zero
    grid = (torch.arange(16, dtype=torch.float32) - 8) * scale.view(-1, 1) + zero.view(-1, 1)
    assert not bool((grid == 0).any())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_bits_per_weight_quoted_for_tinygemm_and_marlin() -> None:
    """tinygemm-bits-per-weight: 4.25 at group 128 (torchao's real layout); Marlin 4.125."""
    pytest.importorskip("torchao")
    from torchao.prototype.quantization.int4.inference_workflow import (
        PrototypeInt4WeightOnlyConfig,
    )
    from torchao.quantization import quantize_

    model = torch.nn.Sequential(torch.nn.Linear(512, 256, bias=False)).to(torch.bfloat16)
    quantize_(model, PrototypeInt4WeightOnlyConfig(group_size=128))
    weight = model[0].weight
    assert tuple(weight.scale_and_zero.shape) == (4, 256, 2)
    assert (weight.qdata.nbytes + weight.scale_and_zero.nbytes) * 8 / (512 * 256) == 4.25
    count = 128 * 64
    marlin = torch.empty(count // 2, dtype=torch.uint8, device="meta").nbytes
    marlin += torch.empty(count // 128, dtype=torch.float16, device="meta").nbytes
    assert marlin * 8 / count == 4.125
    assert "4.125" in card_text("tinygemm-bits-per-weight")


# --- roofline ---------------------------------------------------------------------------------


def intensity(bytes_per_weight: float, batch: int = 1) -> float:
    with torch.device("meta"):
        flops = 2 * macs(torch.empty(batch, 256), torch.empty(256, 64))
    return flops / (256 * 64 * bytes_per_weight)


def test_decode_intensities_and_crossovers_quoted_on_the_cards() -> None:
    """decode-gemv-intensity, weight-only-no-gain-regimes, marlin-macs-per-weight,
    int4-decode-crossover-a100: the side figures in their explanations."""
    int4_g128 = 0.5 + 2 / 128
    assert intensity(1.0) == 2  # INT8 weights
    assert round(intensity(int4_g128), 1) == 3.9  # "about 3.9"
    assert round(intensity(int4_g128, batch=4)) == 16  # "4 × 3.9 ≈ 16", below the ridge
    assert intensity(int4_g128, batch=4) < 150
    assert 100 * 0.5 / 2 == 25  # MACs per 4-bit weight at 100 FLOP/byte
    ridge = 312e12 / 2039e9
    assert round(ridge / intensity(2.0)) == 153  # FP16 weights: memory-bound up to ~153
    assert "153" in card_text("int4-decode-crossover-a100")
    assert "3.9" in card_text("decode-gemv-intensity")


def test_batching_reuses_weights_but_not_the_kv_cache() -> None:
    """batching-kv-cache-traffic: per-step weight bytes are constant, KV bytes grow with B."""

    def step_bytes(batch: int, context: int) -> tuple[int, int]:
        weights = torch.empty(4096, 4096, dtype=torch.float16, device="meta").nbytes
        kv = torch.empty(batch, context, 2, 8, 128, dtype=torch.float16, device="meta").nbytes
        return weights, kv

    w1, kv1 = step_bytes(1, 4096)
    w8, kv8 = step_bytes(8, 4096)
    assert w1 == w8 and kv8 == 8 * kv1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing here should warn
        assert intensity(2.0, batch=8) == 8 * intensity(2.0)


def test_the_generators_gpu_figures_are_the_ones_the_cards_quote() -> None:
    """decode-roofline (the generator) and the cards that name the same GPUs agree."""
    from quizapp.core.generators.roofline import GPUS

    a100, h100 = GPUS["a100"], GPUS["h100"]
    assert (a100.fp16_tflops, a100.bandwidth_gb_s) == (312, 2039)
    assert "312" in card_text("a100-ridge-point") and "2,039" in card_text("a100-ridge-point")
    assert h100.fp16_tflops * 2 == 1979  # the datasheet's sparse figure
    assert h100.bandwidth_gb_s / 1000 == 3.35 and "3.35" in card_text("datasheet-sparsity-asterisk")


def test_past_every_crossover_only_activation_quantization_is_faster() -> None:
    """large-batch-w8a8-vs-w4a16, w8a8-decode-crossover-a100: step times at batch 256 on an
    A100 (weights only), max(bytes / bandwidth, operations / math rate)."""
    params, bandwidth = 7e9, 2039e9
    schemes = {  # bytes per weight, math rate
        "fp16": (2.0, 312e12),
        "w4a16": (0.5 + 2 / 128, 312e12),
        "w8a8": (1.0, 624e12),
    }
    ops_per_weight = intensity(1.0, batch=256)  # operations per weight at batch 256 (1 byte)

    def step(scheme: str, batch: int = 256) -> float:
        per_weight, rate = schemes[scheme]
        ops = ops_per_weight * batch / 256 * params
        return max(per_weight * params / bandwidth, ops / rate)

    assert step("w4a16") == step("fp16")  # compute-bound: same FP16 math
    assert step("fp16") / step("w8a8") == pytest.approx(2)
    assert step("fp16", batch=1) / step("w4a16", batch=1) == pytest.approx(2 / (0.5 + 2 / 128))
    assert step("fp16", batch=1) / step("w8a8", batch=1) == pytest.approx(2)
    for scheme, crossover in (("fp16", 153), ("w4a16", 39), ("w8a8", 153)):
        per_weight, rate = schemes[scheme]
        found = rate * per_weight / (2 * bandwidth)
        assert round(found) == crossover, scheme
