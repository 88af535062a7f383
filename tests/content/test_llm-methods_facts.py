"""The computable claims of the llm-methods deck, checked with torch and torchao.

The deck's numeric answers are recomputed in figures_llm-methods.py; this module checks the
statements inside flashcard, choice and free cards that a machine can verify: a rotation
leaves a (norm-folded) block's output unchanged and spreads an outlier, the NF4 table's shape,
the E8P codebook's count, I-BERT's polynomial approximations, BitNet's absmean rounding,
KIVI's choice of axes, LoftQ's initialization, and the torchao configs the cards name. Data
are seeded and bounds are loose, so any CPU gives the same verdicts.
"""

from __future__ import annotations

import functools
import inspect
import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchao")

from quizapp.core.loader import load_deck_file  # noqa: E402
from quizapp.core.models import ChoiceCard, Deck  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():  # type: ignore[no-untyped-def]
    """Small tensors on a shared 2-core machine: one thread is faster and steadier."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@functools.cache
def deck() -> Deck:
    return load_deck_file(CONTENT / "llm-methods.yaml")


def card(card_id: str):  # type: ignore[no-untyped-def]
    return next(c for c in deck().cards if c.id == card_id)


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def hadamard(size: int) -> torch.Tensor:
    matrix = torch.ones(1, 1, dtype=torch.float64)
    while matrix.shape[0] < size:
        matrix = torch.cat([torch.cat([matrix, matrix], 1), torch.cat([matrix, -matrix], 1)], 0)
    return matrix / math.sqrt(size)


def fake_quant(x: torch.Tensor, bits: int, dim: int) -> torch.Tensor:
    """Symmetric round-to-nearest with one absmax scale per slice along `dim`."""
    qmax = 2 ** (bits - 1) - 1
    scale = x.abs().amax(dim=dim, keepdim=True).clamp(min=1e-12) / qmax
    return (x / scale).round().clamp(-qmax - 1, qmax) * scale


def asymmetric_fake_quant(x: torch.Tensor, bits: int, dim: int) -> torch.Tensor:
    """Min/max affine quantization per slice along `dim` (KIVI stores a scale and a minimum)."""
    low = x.amin(dim=dim, keepdim=True)
    scale = (x.amax(dim=dim, keepdim=True) - low).clamp(min=1e-12) / (2**bits - 1)
    return ((x - low) / scale).round().clamp(0, 2**bits - 1) * scale + low


# --- the deck itself ---------------------------------------------------------------------------


def test_the_deck_has_its_size_mix_and_sources() -> None:
    cards = deck().cards
    kinds = {kind: sum(c.type == kind for c in cards) for kind in ("choice", "numeric", "free")}
    assert len(cards) >= 35
    assert kinds["choice"] / len(cards) >= 0.2
    assert kinds["numeric"] / len(cards) >= 0.12 and kinds["free"] / len(cards) >= 0.12
    assert any(isinstance(c, ChoiceCard) and c.multiple for c in cards)
    assert all((c.source or "").strip() and (c.explanation or "").strip() for c in cards)


# --- rotations ---------------------------------------------------------------------------------


def test_an_orthogonal_rotation_commutes_with_a_scale_free_rmsnorm_and_cancels_in_a_linear() -> (
    None
):
    """rotation-invariance: RMSNorm(xQ) = RMSNorm(x)Q once its scale is folded away, and
    (xQ)(QᵀW) = xW."""
    x = torch.randn(5, 256, dtype=torch.float64, generator=generator(0))
    weight = torch.randn(256, 64, dtype=torch.float64, generator=generator(1))
    q = torch.linalg.qr(torch.randn(256, 256, dtype=torch.float64, generator=generator(2)))[0]
    norm = torch.nn.RMSNorm(256, elementwise_affine=False, eps=0.0, dtype=torch.float64)
    torch.testing.assert_close(norm(x @ q), norm(x) @ q)
    torch.testing.assert_close((x @ q) @ (q.T @ weight), x @ weight)
    h = hadamard(256)
    torch.testing.assert_close(h @ h.T, torch.eye(256, dtype=torch.float64))


def test_a_hadamard_rotation_spreads_outlier_channels_and_cuts_4bit_error() -> None:
    """hadamard-spreads-outlier, rotation cards: tokens with a few large fixed channels
    quantize far better per token after the rotation."""
    tokens = torch.randn(64, 1024, dtype=torch.float64, generator=generator(3))
    tokens[:, [5, 300, 777]] *= 50.0  # outlier channels, the same for every token
    rotated = tokens @ hadamard(1024)

    def peak_to_rms(x: torch.Tensor) -> float:
        return float((x.abs().amax(dim=1) / x.pow(2).mean(dim=1).sqrt()).mean())

    assert peak_to_rms(rotated) < peak_to_rms(tokens) / 4
    error_plain = (fake_quant(tokens, 4, dim=1) - tokens).pow(2).mean()
    # Quantize in the rotated basis, rotate back (H is symmetric and orthogonal), compare.
    error_rotated = (fake_quant(rotated, 4, dim=1) @ hadamard(1024) - tokens).pow(2).mean()
    assert error_rotated < error_plain / 4


# --- HQQ, W4A8 ---------------------------------------------------------------------------------


def test_torchao_int4_config_offers_hqq_and_the_w4a8_config_is_per_token_int8() -> None:
    """hqq-in-torchao, w4a8-where-it-wins."""
    from torchao.quantization import Int4WeightOnlyConfig, Int8DynamicActivationIntxWeightConfig
    from torchao.quantization.granularity import PerGroup
    from torchao.quantization.quant_primitives import MappingType

    int4 = inspect.signature(Int4WeightOnlyConfig).parameters
    assert int4["group_size"].default == 128
    assert "hqq" in (Int4WeightOnlyConfig.__doc__ or "").lower()
    algorithm = type(int4["int4_choose_qparams_algorithm"].default)
    assert {member.value for member in algorithm} >= {"tinygemm", "hqq"}
    assert Int4WeightOnlyConfig(int4_choose_qparams_algorithm="hqq") is not None

    w4a8 = inspect.signature(Int8DynamicActivationIntxWeightConfig).parameters
    assert w4a8["weight_granularity"].default == PerGroup(32)
    assert w4a8["act_mapping_type"].default == MappingType.ASYMMETRIC
    doc = Int8DynamicActivationIntxWeightConfig.__doc__ or ""
    assert "per-token" in doc and "ExecuTorch" in doc


def test_hqq_lowers_weight_error_without_data() -> None:
    """hqq-objective: torchao's HQQ primitive (the proximal l_0.7 solver on the zero point)
    reconstructs 4-bit group-64 weights better than plain min/max, from the weights alone."""
    from torchao.quantization.quant_primitives import (
        _choose_qparams_and_quantize_affine_hqq as hqq_quantize,
    )

    weight = torch.randn(256, 512, generator=generator(10))
    weight *= 1 + 4 * (torch.rand(256, 512, generator=generator(11)) < 0.01)  # some outliers

    def mean_abs_error(optimize: bool) -> float:
        codes, scale, zero, shape = hqq_quantize(
            weight,
            4,
            64,
            optimize=optimize,
            axis=1,
            compute_dtype=torch.float32,
            device="cpu",
            raw_output=True,
        )
        restored = (codes.float().reshape(-1, 64) - zero.reshape(-1, 1)) * scale.reshape(-1, 1)
        return float((restored.reshape(shape) - weight).abs().mean())

    assert mean_abs_error(optimize=True) < 0.98 * mean_abs_error(optimize=False)


# --- vector quantization -----------------------------------------------------------------------


def test_the_e8p_codebook_counts_as_its_docstring_says() -> None:
    """quip-sharp-method: 227 points of D8 + 1/2 (even coordinate sum, squared norm <= 10) up to
    sign, plus 29 more, make 256 patterns; 2^7 sign patterns and a ±1/4 shift make 2^16."""
    half_integers = torch.arange(-4, 4, dtype=torch.float64) + 0.5
    points = torch.cartesian_prod(*[half_integers] * 8)
    kept = points[(points.sum(dim=1) % 2 == 0) & (points.pow(2).sum(dim=1) <= 10)]
    patterns = torch.unique(kept.abs(), dim=0)
    assert patterns.shape == (227, 8)
    assert (patterns.shape[0] + 29) * 2**7 * 2 == 2**16


# --- KV cache ----------------------------------------------------------------------------------


def test_keys_with_outlier_channels_quantize_better_per_channel_values_per_token() -> None:
    """kivi-axes, kivi-why-axes: on keys with fixed outlier channels, 2-bit per-channel groups
    beat per-token groups; on values without channel structure per-token is no worse."""
    keys = torch.randn(128, 128, dtype=torch.float64, generator=generator(4))
    keys[:, [3, 40, 97]] = keys[:, [3, 40, 97]] * 0.5 + 20.0  # large in every token
    values = torch.randn(128, 128, dtype=torch.float64, generator=generator(5))

    def error(x: torch.Tensor, dim: int) -> float:
        return float((asymmetric_fake_quant(x, 2, dim=dim) - x).pow(2).mean())

    # dim=0 reduces over tokens (one scale per channel); dim=1 over channels (per token).
    assert error(keys, dim=0) < error(keys, dim=1) / 4
    assert error(values, dim=1) <= error(values, dim=0) * 1.5


# --- QLoRA, LoftQ ------------------------------------------------------------------------------


def test_nf4_table_and_torchao_defaults() -> None:
    """nf4-codebook-shape, nf4-double-quant-overhead: 16 levels in [-1, 1] with an exact 0, 7 below
    and 8 above, denser near 0; blocks of 64 and scaler blocks of 256, int8 scales."""
    from torchao.quantization.quantize_.workflows.nf4.nf4_tensor import to_nf4

    signature = inspect.signature(to_nf4).parameters
    assert signature["block_size"].default == 64
    assert signature["scaler_block_size"].default == 256
    weight = torch.randn(32, 512, dtype=torch.bfloat16, generator=generator(6))  # 64 x 256 weights
    nf4 = to_nf4(weight)
    levels = nf4.nf4.float()
    assert levels.numel() == 16 and levels.min() == -1 and levels.max() == 1
    assert (levels == 0).sum() == 1 and (levels < 0).sum() == 7 and (levels > 0).sum() == 8
    gaps = levels.diff()
    assert gaps[7] < gaps[-1] and gaps[6] < gaps[0]  # finer steps next to zero
    assert nf4.quantized_scalers.dtype == torch.int8
    assert nf4.quantized_scalers.numel() == weight.numel() // 64
    error = (nf4.get_original_weight().float() - weight.float()).abs().mean()
    assert error < 0.15 * weight.float().abs().mean()


def test_loftq_initialization_starts_closer_to_the_pretrained_weight_than_qlora() -> None:
    """loftq-init: alternating quantization and rank-r SVD of the residual leaves
    W - (Q + AB) smaller than QLoRA's W - Q(W) with AB = 0."""
    weight = torch.randn(256, 256, dtype=torch.float64, generator=generator(7))
    weight += torch.randn(256, 8, dtype=torch.float64, generator=generator(8)) @ torch.randn(
        8, 256, dtype=torch.float64, generator=generator(9)
    )
    qlora_error = torch.linalg.norm(weight - fake_quant(weight, 4, dim=1))
    low_rank = torch.zeros_like(weight)
    for _ in range(5):
        quantized = fake_quant(weight - low_rank, 4, dim=1)
        u, s, vh = torch.linalg.svd(weight - quantized, full_matrices=False)
        low_rank = u[:, :16] @ torch.diag(s[:16]) @ vh[:16]
    loftq_error = torch.linalg.norm(weight - quantized - low_rank)
    assert loftq_error < 0.9 * qlora_error


# --- BitNet ------------------------------------------------------------------------------------


def test_bitnet_absmean_rounding_of_the_card_example() -> None:
    """bitnet-ternary-example, bitnet-absmean: scale by 1/mean|W|, round, clip to [-1, 1]."""
    weight = torch.tensor([0.2, -0.05, 0.6, -0.35])
    scale = 1.0 / weight.abs().mean().clamp(min=1e-5)
    ternary = (weight * scale).round().clamp(-1, 1)
    assert ternary.tolist() == [1.0, 0.0, 1.0, -1.0]
    assert torch.isclose(1 / scale, torch.tensor(0.3))
    options = card("bitnet-ternary-example").options
    assert options[card("bitnet-ternary-example").answer] == "[1, 0, 1, -1]"
    assert 3**5 <= 256 < 3**6  # five trits fit a byte, six do not (ternary-bits)


# --- I-BERT ------------------------------------------------------------------------------------


def test_ibert_exp_polynomial_and_its_vertex_form() -> None:
    """ibert-integer-exp: the reference coefficients, their vertex form, error below 0.5%."""
    a, b, c = 0.35815147, 0.96963238, 1.0
    assert math.isclose(a, 0.358, abs_tol=5e-4)
    assert math.isclose(b / (2 * a), 1.354, abs_tol=5e-4)
    assert math.isclose(c - b * b / (4 * a), 0.344, abs_tol=5e-4)
    p = torch.linspace(-math.log(2), 0, 10_001, dtype=torch.float64)
    relative = ((a * p * p + b * p + c) - p.exp()).abs() / p.exp()
    assert relative.max() < 0.005
    # The shift part: x = -ln2 * z + p gives exp(x) = 2^-z exp(p).
    x = torch.tensor([-5.3, -0.2, -11.0], dtype=torch.float64)
    z = torch.floor(x / -math.log(2))
    remainder = x + z * math.log(2)
    assert ((remainder > -math.log(2)) & (remainder <= 0)).all()
    torch.testing.assert_close(2.0**-z * remainder.exp(), x.exp())


def test_ibert_gelu_polynomial_stays_within_002_of_gelu() -> None:
    """ibert-gelu: sign(x)[a(min(|x|, -b) + b)^2 + 1] for erf, a = -0.2888, b = -1.769."""
    a, b = -0.2888, -1.769
    x = torch.linspace(-10, 10, 20_001, dtype=torch.float64)
    u = x / math.sqrt(2)
    erf = torch.sign(u) * (a * (u.abs().clamp(max=-b) + b) ** 2 + 1)
    approx = x / 2 * (1 + erf)
    exact = torch.nn.functional.gelu(x)
    assert (approx - exact).abs().max() < 0.02
