"""The low-bit-formats deck's computable claims, checked against torch and torchao.

Each test names the card it backs. Sampled figures (INT4 vs FP4 error) assert the direction
and a margin that any sane CPU reproduces, not one run's digits.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchao")
from torchao.prototype.mx_formats.kernels import (  # noqa: E402
    f4_unpacked_to_f32,
    f32_to_f4_unpacked,
    pack_uint4,
)
from torchao.prototype.mx_formats.mx_tensor import to_mx  # noqa: E402
from torchao.quantization import NF4Tensor  # noqa: E402

from quizapp.core import lowbit  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():  # type: ignore[no-untyped-def]
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_e2m1_grid() -> None:
    """e2m1-grid: the eight magnitudes, negatives on codes 8..15, largest 6."""
    codes = torch.arange(16, dtype=torch.uint8)
    values = f4_unpacked_to_f32(codes).tolist()
    assert values[:8] == [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    assert values[8:] == [-v for v in values[:8]]
    assert [lowbit.e2m1_value(c) for c in range(16)] == [v if v else 0.0 for v in values]


def test_mx_floor_scale_clips_the_block_maximum() -> None:
    """mx-floor-clipping: amax 7.5 gives X = 1 (E8M0 byte 127) and is stored as 6."""
    block = torch.tensor([[7.5, 1.0, -0.5] + [0.25] * 29])
    scale, packed = to_mx(block, torch.float4_e2m1fn_x2, 32)
    assert scale.view(torch.uint8).item() == 127
    first = f4_unpacked_to_f32(packed.view(torch.uint8)[0, :1] & 0xF).item()
    assert first == 6.0
    assert lowbit.mx_scale_exponent(7.5) == 0


def test_e8m0_is_a_biased_power_of_two() -> None:
    """mx-e8m0-scale: stored byte b means 2^(b - 127)."""
    stored = torch.tensor([0, 120, 127, 130, 254], dtype=torch.uint8)
    values = stored.view(torch.float8_e8m0fnu).float().tolist()
    assert values == [2.0 ** (b - 127) for b in stored.tolist()]
    assert torch.tensor([255], dtype=torch.uint8).view(torch.float8_e8m0fnu).float().isnan()


def test_e4m3_block_scale_range() -> None:
    """nvfp4-why-two-levels: E4M3 spans 2^-9 (smallest subnormal) to 448."""
    assert torch.finfo(torch.float8_e4m3fn).max == 448.0
    tiny = torch.tensor([2.0**-9, 2.0**-10]).to(torch.float8_e4m3fn).float().tolist()
    assert tiny == [2.0**-9, 0.0]


def test_nf4_levels_are_normal_quantiles_with_an_exact_zero() -> None:
    """nf4-levels: 7 negative levels, 0, 8 positive; normal quantiles rescaled to [-1, 1]."""
    table = NF4Tensor.from_tensor(torch.randn(128), 64, 2).nf4
    assert (table < 0).sum() == 7 and (table == 0).sum() == 1 and (table > 0).sum() == 8
    normal = torch.distributions.Normal(0.0, 1.0)
    offset = 0.9677083  # the outermost quantile QLoRA's construction uses
    positive = normal.icdf(torch.linspace(offset, 0.5, 9)[:-1])
    negative = -normal.icdf(torch.linspace(offset, 0.5, 8)[:-1])
    levels = torch.cat([positive, torch.zeros(1), negative]).sort().values
    levels = levels / levels.abs().max()
    assert torch.allclose(levels, table.float(), atol=1e-4)


def test_nf4tensor_double_quantizes_absmax_to_int8() -> None:
    """nf4-double-quant-implementations: int8 scalers, one float factor per 256 blocks."""
    nf4 = NF4Tensor.from_tensor(torch.randn(64 * 512), 64, 256)
    assert nf4.quantized_scalers.dtype == torch.int8
    assert nf4.quantized_scalers.numel() == 512
    assert nf4.quantization_factor.numel() == 2
    # the mean is subtracted first, so the stored int8 values use both signs
    assert nf4.quantized_scalers.min() < 0 < nf4.quantized_scalers.max()


def test_nibble_orders_differ_between_nf4tensor_and_pack_uint4() -> None:
    """nibble-order: NF4Tensor puts the first code high, pack_uint4 puts it low."""
    # two weights in a 64-block whose absmax is 1: -1.0 is code 0, 1.0 is code 15
    weight = torch.zeros(64)
    weight[0], weight[1] = -1.0, 1.0
    blocks = NF4Tensor.convert_to_norm_float_weight(
        weight, 1, 64, NF4Tensor.from_tensor(torch.randn(128), 64, 2).nf4
    )
    assert blocks[0].item() == (0 << 4 | 15)  # first (code 0) high, second (code 15) low
    packed = pack_uint4(torch.tensor([[0, 15]], dtype=torch.uint8))
    assert packed.item() == (0 | 15 << 4)  # first low, second high
    assert lowbit.pack_pair(0, 15) == packed.item()


def test_torchao_float8_defaults_and_recipes() -> None:
    """fp8-hybrid-format, fp8-torchao-recipes, fp8-delayed-vs-current."""
    from torchao.float8.config import Float8LinearConfig, Float8LinearRecipeName, ScalingType

    default = Float8LinearConfig()
    assert default.cast_config_input.target_dtype == torch.float8_e4m3fn
    assert default.cast_config_weight.target_dtype == torch.float8_e4m3fn
    assert default.cast_config_grad_output.target_dtype == torch.float8_e5m2
    rowwise = Float8LinearConfig.from_recipe_name("rowwise")
    assert rowwise.cast_config_grad_output.target_dtype == torch.float8_e4m3fn
    assert {r.value for r in Float8LinearRecipeName} == {
        "tensorwise",
        "rowwise",
        "rowwise_with_gw_hp",
    }
    assert {s.value for s in ScalingType} == {"dynamic", "disabled"}  # no delayed scaling


def test_int4_symmetric_scale_and_the_absmax_code() -> None:
    """int4-symmetric-half-step: s = 0.3 / 7.5, and +0.3 is stored as 7 (float32: 7.4999995)."""
    from torchao.quantization.quant_primitives import (
        MappingType,
        choose_qparams_affine,
        quantize_affine,
    )

    group = torch.tensor([[0.3, -0.3, 0.1, 0.05]])
    scale, zero_point = choose_qparams_affine(
        group, MappingType.SYMMETRIC, (1, 4), torch.int8, quant_min=-8, quant_max=7
    )
    assert scale.item() == pytest.approx(0.04) and int(zero_point) == 0
    q = quantize_affine(group, (1, 4), scale, zero_point, torch.int8, -8, 7).flatten().tolist()
    assert q[:2] == [7, -7]
    # an exact tie (0.9375 / 7.5 = 0.125 is dyadic) rounds half to even: -7.5 -> -8
    exact = torch.tensor([[0.9375, -0.9375, 0.0, 0.0]])
    scale, zero_point = choose_qparams_affine(
        exact, MappingType.SYMMETRIC, (1, 4), torch.int8, quant_min=-8, quant_max=7
    )
    q = quantize_affine(exact, (1, 4), scale, zero_point, torch.int8, -8, 7).flatten().tolist()
    assert q[:2] == [7, -8]


def fp4_over_int4(x: torch.Tensor, block: int) -> float:
    x = x.reshape(-1, block)
    amax = x.abs().amax(-1, keepdim=True)
    int4 = (x / (amax / 7)).round().clamp(-7, 7) * (amax / 7)
    fp4 = f4_unpacked_to_f32(f32_to_f4_unpacked(x / (amax / 6))) * (amax / 6)
    return ((x - fp4) ** 2).mean().item() / ((x - int4) ** 2).mean().item()


def test_int4_beats_fp4_on_small_gaussian_blocks_and_loses_on_heavy_tails() -> None:
    """fp4-vs-int4-gaussian, fp4-int4-choice-reasoning (measured 1.2x and about 0.5x)."""
    generator = torch.Generator().manual_seed(0)
    gaussian = torch.randn(2**18, generator=generator)
    assert 1.1 < fp4_over_int4(gaussian, 16) < 1.35  # the card says "about 1.2x"
    normal = torch.randn(2**18, generator=generator)
    chi2 = torch.randn(2**18, 3, generator=generator).pow(2).sum(-1)
    student_t = normal / (chi2 / 3).sqrt()
    assert fp4_over_int4(student_t, 32) < 0.8
    # the Gaussian gap closes as blocks grow: FP4 catches up by 128
    assert fp4_over_int4(gaussian, 128) < fp4_over_int4(gaussian, 16)
