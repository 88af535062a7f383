"""Every INT8 question generator against PyTorch itself, over hundreds of seeds.

The generators live in quizapp.core (no torch); here torch is the oracle: observers for
qparams, quantize_per_tensor / quantize_per_channel / dequantize for stored values, the
quantized linear kernel for requantization, real tensor sizes for model size.
"""

from __future__ import annotations

import functools
import math
import random
from fractions import Fraction

import pytest

torch = pytest.importorskip("torch")
import torch.ao.nn.quantized.functional as qF  # noqa: E402
from pydantic import ValidationError  # noqa: E402
from torch.ao.quantization import MinMaxObserver, PerChannelMinMaxObserver  # noqa: E402
from torch.ao.quantization.observer import weight_observer_range_neg_127_to_127  # noqa: E402

from quizapp.core import int8  # noqa: E402
from quizapp.core.generators import GENERATORS, generate, get_generator  # noqa: E402
from quizapp.core.generators.model_size import CNNS  # noqa: E402
from quizapp.core.questions import Question, check_fields  # noqa: E402

# torch.ao.quantization and quantized tensors warn that they are deprecated, on every call;
# recording thousands of warnings would cost seconds.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*quantized tensor creation:UserWarning"),
    pytest.mark.filterwarnings("ignore:.*quant_min:UserWarning"),
]

SEEDS = range(300)
TORCH_DTYPE = {"quint8": torch.quint8, "qint8": torch.qint8}
INT_DTYPE = {"quint8": torch.uint8, "qint8": torch.int8}
NEW_GENERATORS = sorted(set(GENERATORS) - {"affine-qparams"})


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():  # type: ignore[no-untyped-def]
    """Tiny tensors: on a busy 2-core machine two OpenMP threads make each op ~100x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def stored(values: list[int], scale: float, zero_point: int, dtype: str) -> torch.Tensor:
    return torch._make_per_tensor_quantized_tensor(
        torch.tensor(values, dtype=INT_DTYPE[dtype]), scale, zero_point
    )


def test_at_least_eight_generators_besides_affine_qparams() -> None:
    assert len(NEW_GENERATORS) >= 8, NEW_GENERATORS


# --- each generator against torch ---------------------------------------------------------


def test_quantize_value_matches_quantize_per_tensor() -> None:
    kinds = set()
    for seed in SEEDS:
        question = generate("quantize-value", {}, seed)
        p = question.params
        q = torch.quantize_per_tensor(
            torch.tensor([p["x"]]), p["scale"], p["zero_point"], TORCH_DTYPE[p["dtype"]]
        )
        assert question.answer() == {"q": q.int_repr().item()}, (seed, p)
        kinds.add((p["dtype"], p["outside"]))
    assert len(kinds) == 4  # both dtypes, in range and clamped


def test_quantize_value_ties_round_half_to_even_like_torch() -> None:
    for seed in SEEDS:
        question = generate("quantize-value", {"tie": True}, seed)
        p = question.params
        assert p["tie"] and p["zero_point"] % 2 == 1
        q = torch.quantize_per_tensor(
            torch.tensor([p["x"]]), p["scale"], p["zero_point"], TORCH_DTYPE[p["dtype"]]
        )
        assert question.answer()["q"] == q.int_repr().item(), (seed, p)
        # the lesson's round(x/S + Z) would be off by one here: the working says so
        assert "round(x/S + Z)" in question.working


def test_dequantize_value_matches_dequantize() -> None:
    for seed in SEEDS:
        question = generate("dequantize-value", {}, seed)
        p = question.params
        t = stored([p["q"]], p["scale"], p["zero_point"], p["dtype"])
        assert question.answer()["x_hat"] == t.dequantize().item(), (seed, p)


@pytest.mark.parametrize("restricted", [False, True])
def test_symmetric_weight_scale_matches_weight_observer(restricted: bool) -> None:
    asked = set()
    for seed in SEEDS:
        question = generate("symmetric-weight-scale", {"restricted": restricted}, seed)
        p = question.params
        observer = (
            weight_observer_range_neg_127_to_127()
            if restricted
            else MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
        )
        observer(torch.tensor([p["w_min"], p["w_max"]]))
        scale, zero_point = observer.calculate_qparams()
        assert int(zero_point) == 0
        q = torch.quantize_per_tensor(torch.tensor([p["w"]]), float(scale), 0, torch.qint8)
        q = q.int_repr().item()
        if restricted:
            assert -127 <= q <= 127
        assert question.answer() == {"scale": float(scale), "q": q}, (seed, p)
        asked.add(q)
    if not restricted:  # both extremes were asked: +amax clips to 127, -amax lands on -128
        assert {127, -128} <= asked


@pytest.mark.parametrize(
    "params",
    [{}, {"qscheme": "affine", "dtype": "quint8"}, {"qscheme": "affine", "dtype": "qint8"}],
)
def test_per_channel_qparams_match_perchannelminmaxobserver(params: dict) -> None:
    for seed in SEEDS:
        question = generate("per-channel-qparams", params, seed)
        p = question.params
        weight = torch.tensor(p["weight"])
        observer = PerChannelMinMaxObserver(
            ch_axis=0,
            dtype=TORCH_DTYPE[p["dtype"]],
            qscheme={
                "symmetric": torch.per_channel_symmetric,
                "affine": torch.per_channel_affine,
            }[p["qscheme"]],
        )
        observer(weight)
        scales, zero_points = observer.calculate_qparams()
        expected: dict[str, float | int] = {}
        for ch, (s, z) in enumerate(zip(scales.tolist(), zero_points.tolist(), strict=True)):
            expected[f"scale_{ch}"] = s
            if p["qscheme"] == "affine":
                expected[f"zero_point_{ch}"] = z
        c, k = p["asked"]
        q = torch.quantize_per_channel(weight, scales, zero_points, 0, TORCH_DTYPE[p["dtype"]])
        expected["q"] = q.int_repr()[c][k].item()
        assert question.answer() == expected, (seed, p)


def test_quant_error_matches_fake_quantization() -> None:
    for seed in SEEDS:
        question = generate("quant-error", {}, seed)
        p, answer = question.params, question.answer()
        s, z, dtype = p["scale"], p["zero_point"], p["dtype"]
        quant_min, quant_max = int8.qrange(dtype)
        x_hat = torch.quantize_per_tensor(torch.tensor([p["x"]]), s, z, TORCH_DTYPE[dtype])
        x_hat = x_hat.dequantize().item()
        assert answer["x_hat"] == x_hat, (seed, p)
        assert answer["clamp_error"] == abs(p["x"] - x_hat)
        # s/2 is the worst rounding error inside the range: just off each half-way point.
        low, high = (quant_min - z) * s, (quant_max - z) * s
        steps = torch.arange(quant_max - quant_min, dtype=torch.float64)
        xs = (low + (steps + 0.5) * s - 1e-4 * s).float()
        err = (xs - torch.fake_quantize_per_tensor_affine(xs, s, z, quant_min, quant_max)).abs()
        assert answer["max_round_error"] == pytest.approx(err.max().item(), rel=1e-3)
        inside = torch.empty(2000).uniform_(low, high)
        err = inside - torch.fake_quantize_per_tensor_affine(inside, s, z, quant_min, quant_max)
        assert err.abs().max().item() <= answer["max_round_error"] * (1 + 1e-4)


def gemmlowp_requantize(acc: int, m0: int, shift: int, zero_point: int) -> int:
    """SaturatingRoundingDoublingHighMul + RoundingDivideByPOT, as gemmlowp/TFLite do it."""
    product = acc * m0
    nudge = 1 << 30 if product >= 0 else 1 - (1 << 30)
    nudged = product + nudge
    high = nudged // 2**31 if nudged >= 0 else -(-nudged // 2**31)  # C truncates toward zero
    mask = (1 << shift) - 1
    remainder = high & mask
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    scaled = (high >> shift) + (1 if remainder > threshold else 0)
    return min(max(scaled + zero_point, 0), 255)


def test_requant_multiplier_is_the_one_the_quantized_linear_kernel_uses() -> None:
    rng = random.Random(5)
    torch.manual_seed(5)
    gemmlowp_mismatches = total = 0
    for seed in SEEDS:
        question = generate("requant-multiplier", {"fixed_point": True}, seed)
        p, answer = question.params, question.answer()
        s_in, s_w, s_out = p["input_scale"], p["weight_scale"], p["output_scale"]
        # float32 arithmetic, as torch computes it
        expected = (torch.tensor(s_in) * torch.tensor(s_w) / torch.tensor(s_out)).item()
        assert answer["M"] == expected, (seed, p)
        # the quantized linear kernel's outputs are reproduced by round(M * acc) + z
        z_in, z_out = rng.randint(0, 255), rng.randint(0, 255)
        q_x = torch.randint(0, 256, (16, 8), dtype=torch.uint8)
        q_w = torch.randint(-64, 65, (4, 8), dtype=torch.int8)
        x = torch._make_per_tensor_quantized_tensor(q_x, s_in, z_in)
        w = torch._make_per_tensor_quantized_tensor(q_w, s_w, 0)
        out = qF.linear(x, w, None, s_out, z_out).int_repr().flatten().tolist()
        accs = ((q_x.int() - z_in) @ q_w.int().T).flatten().tolist()
        mine = [int8.requantize(a, answer["M"], z_out, 0, 255) for a in accs]
        assert mine == out, (seed, p)
        # the fixed-point form: M0 in [2^30, 2^31), M0 * 2^-(31+n) == M to int32 precision
        m0, shift = answer["M0"], answer["shift"]
        assert 2**30 <= m0 < 2**31 and shift >= 0
        assert m0 * 2.0 ** (-31 - shift) == pytest.approx(expected, rel=2**-30)
        for acc, q in zip(accs, out, strict=True):
            fixed = gemmlowp_requantize(acc, m0, shift, z_out)
            if fixed != q:
                # gemmlowp rounds twice (high mul, then the shift): within 2^-(n+1) of a .5
                # tie that can land one step away from the float kernel's single rounding.
                real = Fraction(acc * m0, 2 ** (31 + shift))
                tie_distance = abs(real - math.floor(real) - Fraction(1, 2))
                assert abs(fixed - q) == 1 and tie_distance <= Fraction(1, 2 ** (shift + 1))
                gemmlowp_mismatches += 1
            total += 1
    assert gemmlowp_mismatches <= total * 0.01


def test_integer_linear_matches_the_quantized_linear_kernel() -> None:
    for seed in SEEDS:
        question = generate("integer-linear", {}, seed)
        p = question.params
        x = stored(p["q_x"], p["input_scale"], p["input_zero_point"], "quint8").reshape(1, -1)
        w = stored(p["q_w"], p["weight_scale"], 0, "qint8").reshape(1, -1)
        out = qF.linear(x, w, None, p["output_scale"], p["output_zero_point"])
        acc = ((x.int_repr().int() - p["input_zero_point"]) * w.int_repr().int()).sum()
        expected = {"acc": int(acc), "q_out": out.int_repr().item()}
        assert question.answer() == expected, (seed, p)


@functools.cache
def torchvision_parameters(model: str) -> tuple[int, int, int]:
    """(count, fp32 bytes, fp16 bytes) of a torchvision model built on the meta device."""
    import torchvision.models

    with torch.device("meta"):
        net = getattr(torchvision.models, model)(weights=None)
    fp32 = sum(p.nbytes for p in net.parameters())
    count = sum(p.numel() for p in net.parameters())
    return count, fp32, sum(p.nbytes for p in net.half().parameters())


def meta_bytes(count: int, dtype: torch.dtype) -> int:
    return torch.empty(count, dtype=dtype, device="meta").nbytes


def test_model_size_matches_real_tensor_sizes() -> None:
    formats = set()
    for seed in SEEDS:
        question = generate("model-size", {}, seed)
        p, answer = question.params, question.answer()
        count, fmt = p["parameters"], p["format"]
        if p["model"] in CNNS:
            real_count, fp32_bytes, fp16_bytes = torchvision_parameters(p["model"])
            assert real_count == count
        else:
            fp32_bytes, fp16_bytes = meta_bytes(count, torch.float32), meta_bytes(count, torch.half)
        if fmt in ("fp16", "bf16"):
            target = fp16_bytes if fmt == "fp16" else meta_bytes(count, torch.bfloat16)
        elif fmt == "int8":
            target = meta_bytes(count, torch.int8)
        else:  # two 4-bit values per byte, one fp16 scale per group
            groups = math.ceil(count / p["group_size"])
            target = meta_bytes(math.ceil(count / 2), torch.uint8) + meta_bytes(groups, torch.half)
        divisor = {"MB": 1e6, "MiB": 2**20, "GB": 1e9, "GiB": 2**30}[p["unit"]]
        assert answer["fp32_size"] == pytest.approx(fp32_bytes / divisor, rel=1e-12), seed
        assert answer["size"] == pytest.approx(target / divisor, rel=1e-12), seed
        assert answer["ratio"] == pytest.approx(fp32_bytes / target, rel=1e-12), seed
        formats.add(fmt)
    assert formats == {"fp16", "bf16", "int8", "int4"}


@pytest.mark.parametrize("dtype", ["quint8", "qint8"])
def test_reduce_range_matches_minmaxobserver(dtype: str) -> None:
    for seed in SEEDS:
        question = generate("reduce-range", {"dtype": dtype}, seed)
        p = question.params
        expected = {}
        for suffix, reduce_range in (("", False), ("_reduced", True)):
            observer = MinMaxObserver(dtype=TORCH_DTYPE[dtype], reduce_range=reduce_range)
            observer(torch.tensor([p["x_min"], p["x_max"]]))
            scale, zero_point = observer.calculate_qparams()
            expected[f"scale{suffix}"] = float(scale)
            expected[f"zero_point{suffix}"] = int(zero_point)
        assert question.answer() == expected, (seed, p)


def test_accumulator_bounds_match_torch_integer_overflow() -> None:
    seen = set()
    for seed in SEEDS:
        question = generate("accumulator-bounds", {}, seed)
        p, answer = question.params, question.answer()
        a_lo, a_hi = p["activation_range"]
        w_lo, w_hi = p["weight_range"]
        products = torch.outer(
            torch.arange(a_lo, a_hi + 1, dtype=torch.int32),
            torch.arange(w_lo, w_hi + 1, dtype=torch.int32),
        )
        p_min, p_max = products.min().item(), products.max().item()
        assert answer["largest_product"] == max(-p_min, p_max)
        acc_dtype = {32: torch.int32, 16: torch.int16}[p["acc_bits"]]
        info = torch.iinfo(acc_dtype)
        k = answer["k_max"]
        for extreme in (p_min, p_max):  # K worst-case products fit ...
            total = torch.full((k,), extreme, dtype=torch.int64).sum().item()
            assert info.min <= total <= info.max
        # ... and K + 1 of one of them wrap around in the accumulator's own dtype
        wrapped = [
            torch.full((k + 1,), extreme, dtype=acc_dtype).sum(dtype=acc_dtype).item()
            != (k + 1) * extreme
            for extreme in (p_min, p_max)
        ]
        assert any(wrapped), (seed, p)
        seen.add((p["activations"], p["acc_bits"]))
    assert len(seen) == 5  # int8 activations are never asked with int16 (vpmaddubsw is u8*s8)


def test_affine_qparams_matches_minmaxobserver() -> None:
    for seed in SEEDS:
        question = generate("affine-qparams", {}, seed)
        p = question.params
        observer = MinMaxObserver(
            dtype=TORCH_DTYPE[p["dtype"]],
            qscheme={"affine": torch.per_tensor_affine, "symmetric": torch.per_tensor_symmetric}[
                p["qscheme"]
            ],
            reduce_range=p["reduce_range"],
        )
        observer(torch.tensor([p["x_min"], p["x_max"]]))
        scale, zero_point = observer.calculate_qparams()
        assert question.answer() == {"scale": float(scale), "zero_point": int(zero_point)}


# --- properties every generator has -------------------------------------------------------


def as_question(name: str, seed: int, params: dict | None = None) -> Question:
    generated = generate(name, params or {}, seed)
    return Question(
        deck="t",
        card=name,
        kind="generated",
        prompt=generated.prompt,
        answer_text=generated.answer_text,
        fields=generated.fields,
        working=generated.working,
        params=generated.params,
        seed=seed,
    )


def typed(value: float, integer: bool, exact: bool) -> str:
    """What a careful human types: exact integers, other numbers to 4 significant digits."""
    if integer and exact:
        return str(int(value))
    return f"{value:.4g}"


def is_exact(answer_field) -> bool:  # type: ignore[no-untyped-def]
    tol = answer_field.tolerance
    return tol.rel is None and tol.abs == 0


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_working_shows_every_answer_and_seeds_reproduce(name: str) -> None:
    prompts = set()
    for seed in range(100):
        question = generate(name, {}, seed)
        assert question == generate(name, {}, seed)
        for answer_field in question.fields:
            assert answer_field.display() in question.working, (seed, answer_field)
        assert question.prompt.strip() and "None" not in question.prompt
        prompts.add(question.prompt)
    assert len(prompts) >= 8  # fresh numbers, not a fixed question


@pytest.mark.parametrize("name", NEW_GENERATORS)
def test_four_significant_digits_pass_and_real_mistakes_fail(name: str) -> None:
    for seed in SEEDS:
        question = as_question(name, seed)
        right = {f.name: typed(f.value, f.integer, is_exact(f)) for f in question.fields}
        verdict = check_fields(question, right)
        assert verdict.correct, (seed, right, verdict)
        for f in question.fields:
            if is_exact(f):
                wrong = [f.value + 1, f.value - 1]  # an off-by-one zero point or q
            elif f.value != 0:
                wrong = [f.value * 2, f.value / 2]  # a 2x scale (e.g. 127.5 vs 255)
            else:
                continue
            for value in wrong:
                given = {**right, f.name: typed(value, f.integer, is_exact(f))}
                assert not check_fields(question, given).correct, (seed, f.name, value)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_params_reject_unknown_knobs(name: str) -> None:
    with pytest.raises(ValidationError):
        get_generator(name).parse_params({"no_such_knob": 1})


def test_pinned_params_are_respected() -> None:
    q = generate(
        "quantize-value", {"x": 3.0, "scale": 0.015686, "zero_point": 64, "dtype": "quint8"}, 1
    )
    assert q.answer() == {"q": 255}  # clamped (3.0/s + 64 = 255.25)
    q = generate(
        "dequantize-value", {"q": 255, "scale": 0.0156863, "zero_point": 64, "dtype": "quint8"}, 1
    )
    assert q.answer()["x_hat"] == pytest.approx(2.996, abs=1e-3)
    q = generate("reduce-range", {"x_min": -1.0, "x_max": 3.0}, 1)
    assert q.answer()["zero_point"] == 64 and q.answer()["zero_point_reduced"] == 32
    q = generate("model-size", {"model": "resnet18", "format": "int8", "binary": False}, 3)
    assert q.answer()["fp32_size"] == pytest.approx(46.758048)
    assert q.answer()["size"] == pytest.approx(11.689512)
    q = generate("accumulator-bounds", {"activations": "uint8", "acc_bits": 16}, 0)
    assert q.answer()["k_max"] == 1
    q = generate("accumulator-bounds", {"activations": "uint8_reduced", "acc_bits": 16}, 0)
    assert q.answer()["k_max"] == 2
    for seed in range(20):
        q = generate("per-channel-qparams", {"channels": 2, "qscheme": "affine"}, seed)
        assert {f.name for f in q.fields} >= {"scale_0", "scale_1", "zero_point_0", "zero_point_1"}


# --- the int8 helpers the generators build on, property-tested against torch ----------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

finite = st.floats(min_value=-50, max_value=50, allow_nan=False, width=32)


@settings(max_examples=200, deadline=None)
@given(a=finite, b=finite)
def test_restricted_symmetric_qparams_match_the_neg_127_to_127_observer(a: float, b: float) -> None:
    x_min, x_max = min(a, b), max(a, b)
    observer = weight_observer_range_neg_127_to_127()
    observer(torch.tensor([x_min, x_max]))
    scale, zero_point = observer.calculate_qparams()
    mine = int8.choose_qparams(
        x_min, x_max, -127, 127, "qint8", "symmetric", 2.0**-12, customized_range=True
    )
    assert mine == (float(scale), int(zero_point))


@settings(max_examples=200, deadline=None)
@given(
    acc=st.integers(min_value=-(2**20), max_value=2**20),
    s_in=st.floats(min_value=1e-3, max_value=0.1),
    s_w=st.floats(min_value=1e-4, max_value=0.05),
    s_out=st.floats(min_value=1e-2, max_value=1.0),
    z_out=st.integers(min_value=0, max_value=255),
)
def test_requantize_matches_float32_torch_arithmetic(
    acc: int, s_in: float, s_w: float, s_out: float, z_out: int
) -> None:
    multiplier = int8.requant_multiplier(s_in, s_w, s_out)
    m = torch.tensor(s_in) * torch.tensor(s_w) / torch.tensor(s_out)
    assert multiplier == m.item()
    expected = (torch.tensor(float(acc)) * m).round().add(z_out).clamp(0, 255).item()
    assert int8.requantize(acc, multiplier, z_out, 0, 255) == int(expected)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=1e-9, max_value=0.999))
def test_quantize_multiplier_reconstructs_m(multiplier: float) -> None:
    # (an M within 2^-32 of 1 rounds to M0 = 2^31 and needs shift -1; no layer has that)
    m0, shift = int8.quantize_multiplier(multiplier)
    assert 2**30 <= m0 < 2**31 and shift >= 0
    assert abs(m0 * 2.0 ** (-31 - shift) - multiplier) <= multiplier * 2**-31
