"""The low-bit generators (MX FP4, NF4, group-wise INT4) against torchao, over hundreds of seeds.

The generators live in quizapp.core (plain Python); here torchao is the oracle: `to_mx` for
the MX block, `NF4Tensor` for NF4, `choose_qparams_affine` / `quantize_affine` for INT4 and a
torch packing of two nibbles per byte.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

torch = pytest.importorskip("torch")
pytest.importorskip("torchao")
from torchao.prototype.mx_formats.kernels import (  # noqa: E402
    f4_unpacked_to_f32,
    pack_uint4,
    unpack_uint4,
)
from torchao.prototype.mx_formats.mx_tensor import to_mx  # noqa: E402
from torchao.quantization import NF4Tensor  # noqa: E402
from torchao.quantization.quant_primitives import (  # noqa: E402
    MappingType,
    choose_qparams_affine,
    quantize_affine,
)

from quizapp.core import lowbit  # noqa: E402
from quizapp.core.generators import generate, get_generator  # noqa: E402

SEEDS = range(300)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():  # type: ignore[no-untyped-def]
    """Tiny tensors: on a busy 2-core machine two OpenMP threads make each op ~100x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- MX FP4 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("block_size", [32, 16])
def test_mx_fp4_block_matches_torchao_to_mx(block_size: int) -> None:
    saturated = 0
    seen_exponents = set()
    for seed in SEEDS:
        question = generate("mx-fp4-block", {"block_size": block_size}, seed)
        p = question.params
        block = torch.tensor([p["block"]], dtype=torch.float32)
        scale_e8m0, packed = to_mx(block, torch.float4_e2m1fn_x2, block_size)
        biased = scale_e8m0.view(torch.uint8).item()
        elements = f4_unpacked_to_f32(unpack_uint4(packed.view(torch.uint8).contiguous()))
        element = elements.flatten()[p["asked"]].item()
        answer = question.answer()
        assert answer["scale_exponent"] == biased - 127, (seed, p)
        assert answer["element"] == element, (seed, p)
        # inside E2M1's range the error is at most half the widest step (4 to 6): one X
        x, x_scale = p["block"][p["asked"]], 2.0 ** (biased - 127)
        if abs(x) <= 6 * x_scale:
            assert abs(x - element * x_scale) <= x_scale, (seed, p)
        seen_exponents.add(answer["scale_exponent"])
        saturated += abs(element) == 6.0
    assert len(seen_exponents) >= 6  # blocks of very different magnitudes
    assert saturated >= 10  # the FLOOR rule's clipping of the block maximum is asked


def test_mx_fp4_ask_max_asks_the_block_maximum() -> None:
    for seed in range(100):
        question = generate("mx-fp4-block", {"ask_max": True, "block_size": 8}, seed)
        p = question.params
        asked = abs(p["block"][p["asked"]])
        assert asked == max(abs(v) for v in p["block"])
        # the largest element is always 4 or 6 (amax / X is in [4, 8) under FLOOR)
        assert abs(question.answer()["element"]) in (4.0, 6.0)


def test_e2m1_rounding_matches_torchao_on_every_tie_and_edge() -> None:
    # every midpoint, every level, just around each, and beyond the saturation point
    probes = sorted(
        {v * s for v in [i / 8 for i in range(0, 64)] for s in (1, -1)}
        | {7.99, -7.99, 0.2499, 0.2501, 2.4999, 2.5001}
    )
    # to_mx with an exponent-0 scale: a block whose amax has floor(log2) == 2 (4 <= amax < 8)
    for start in range(0, len(probes), 31):
        chunk = probes[start : start + 31]
        block = torch.tensor([[*chunk, 4.0] + [0.0] * (31 - len(chunk))], dtype=torch.float32)
        scale, packed = to_mx(block, torch.float4_e2m1fn_x2, 32)
        assert scale.view(torch.uint8).item() == 127
        codes = unpack_uint4(packed.view(torch.uint8).contiguous()).flatten().tolist()
        for value, code in zip(chunk, codes, strict=False):
            mine = lowbit.e2m1_code(value)
            # -0 and +0 both dequantize to 0; torchao keeps the sign bit of negative zeros
            assert lowbit.e2m1_value(mine) == lowbit.e2m1_value(code), value
            if lowbit.e2m1_value(code) != 0:
                assert mine == code, value


# --- NF4 ------------------------------------------------------------------------------------


def nf4_block(w: float, absmax: float, position: int, block_size: int, seed: int) -> torch.Tensor:
    """A block holding w at `position` and the absmax elsewhere, the rest smaller."""
    generator = torch.Generator().manual_seed(seed)
    block = (torch.rand(block_size, generator=generator) * 1.8 - 0.9) * absmax
    block[position] = w
    block[(position + 1) % block_size] = -absmax if seed % 2 else absmax
    return block


def test_nf4_code_matches_torchao_nf4tensor() -> None:
    blocks, asked = [], []
    questions = [generate("nf4-code", {}, seed) for seed in SEEDS]
    for seed, question in enumerate(questions):
        p = question.params
        position = seed % p["block_size"]
        blocks.append(nf4_block(p["w"], p["absmax"], position, p["block_size"], seed))
        asked.append(len(asked) * p["block_size"] + position)
    weight = torch.cat(blocks)
    # one scaler block over all of them: the double quantization of the absmaxes is int8
    nf4 = NF4Tensor.from_tensor(weight, 64, len(blocks))
    packed = nf4.quantized_data
    codes = torch.stack([packed >> 4, packed & 0xF], dim=-1).flatten()  # first value high
    restored = nf4.get_original_weight().flatten()
    scalers = nf4.dequantize_scalers(
        nf4.quantized_scalers, nf4.quantization_factor, nf4.scaler_block_size
    )
    seen = set()
    for seed, (question, index) in enumerate(zip(questions, asked, strict=True)):
        p, answer = question.params, question.answer()
        code = int(codes[index])
        assert answer["code"] == code, (seed, p)
        expected = (nf4.nf4[code] * torch.tensor(p["absmax"], dtype=torch.float32)).item()
        assert answer["w_hat"] == expected, (seed, p)
        # NF4Tensor dequantizes with the double-quantized absmax: the same level times it
        stored_absmax = scalers[index // 64].item()
        assert restored[index].item() == pytest.approx(nf4.nf4[code].item() * stored_absmax)
        seen.add(code)
    assert len(seen) >= 14  # codes across the whole table, both signs


def test_nf4_table_is_torchaos() -> None:
    nf4 = NF4Tensor.from_tensor(torch.randn(128), 64, 2)
    assert nf4.nf4.tolist() == [lowbit.f32(v) for v in lowbit.NF4_TABLE]


# --- group-wise INT4 --------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["asymmetric", "symmetric"])
def test_int4_group_matches_torchao_affine_primitives(scheme: str) -> None:
    clamped = 0
    for seed in SEEDS:
        question = generate("int4-group", {"scheme": scheme}, seed)
        p = question.params
        group = torch.tensor([p["group"]], dtype=torch.float32)
        block = (1, group.shape[1])
        if scheme == "asymmetric":
            scale, zero_point = choose_qparams_affine(
                group, MappingType.ASYMMETRIC, block, torch.uint4
            )
            q = quantize_affine(group, block, scale, zero_point, torch.uint4)
            nibbles = q.to(torch.uint8)
        else:
            scale, zero_point = choose_qparams_affine(
                group, MappingType.SYMMETRIC, block, torch.int8, quant_min=-8, quant_max=7
            )
            assert int(zero_point) == 0
            q = quantize_affine(group, block, scale, zero_point, torch.int8, -8, 7)
            nibbles = (q & 0xF).to(torch.uint8)  # two's complement int4 nibbles
        # torchao's pack_uint4: even index in the low nibble
        packed = pack_uint4(nibbles.contiguous()).flatten()
        by_hand = (nibbles[0, 1::2] << 4 | nibbles[0, ::2]).flatten()
        assert packed.tolist() == by_hand.tolist()
        expected: dict[str, float | int] = {"scale": scale.item()}
        if scheme == "asymmetric":
            expected["zero_point"] = int(zero_point)
        expected["byte"] = int(packed[p["pair"] // 2])
        assert question.answer() == expected, (seed, p)
        pair = q.flatten()[p["pair"] : p["pair"] + 2].tolist()
        clamped += 7 in pair and scheme == "symmetric"
        # unpacking the byte gives back both values
        low, high = expected["byte"] & 0xF, expected["byte"] >> 4
        if scheme == "symmetric":
            low, high = (low ^ 8) - 8, (high ^ 8) - 8
        assert [low, high] == pair
    if scheme == "symmetric":
        assert clamped >= 10  # +amax at 7.5, clamped to 7, is asked often enough


def test_int4_symmetric_scale_is_amax_over_7_5() -> None:
    group = torch.tensor([[-0.3, 0.75, 0.1, -0.2]])
    scale, _ = choose_qparams_affine(
        group, MappingType.SYMMETRIC, (1, 4), torch.int8, quant_min=-8, quant_max=7
    )
    assert scale.item() == pytest.approx(0.75 / 7.5)
    assert lowbit.int4_qparams([-0.3, 0.75, 0.1, -0.2], "symmetric") == (scale.item(), 0)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("mx-fp4-block", {"block_size": 7}),
        ("mx-fp4-block", {"block_size": [8, 7]}),  # a list is checked whole, not by the draw
        ("int4-group", {"group_size": 32}),
        ("int4-group", {"scheme": "sym"}),
        ("nf4-code", {"block_size": 1}),
    ],
)
def test_params_reject_sizes_the_formats_do_not_have(name: str, raw: dict) -> None:
    with pytest.raises(ValidationError):
        get_generator(name).parse_params(raw)
