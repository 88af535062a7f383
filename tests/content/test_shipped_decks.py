"""The shipped decks stay honest: they load, ids are unique, every card explains itself, the
type mix holds, generated cards generate, and every numeric answer is recomputed here.

These tests cover ALL decks in content/, whoever wrote them. A new numeric card needs an entry
in COMPUTED below, or, for a deck of its own, in `tests/content/figures_<deck>.py` (a module
with a `COMPUTED` dict of its own, merged here): its answer recomputed, with torch where torch
can compute it.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import io
import math
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from quizapp.core.deck_yaml import Marks, parse_yaml
from quizapp.core.generators import GENERATORS
from quizapp.core.loader import load_deck_file, load_decks
from quizapp.core.models import Deck, NumericCard
from quizapp.core.questions import instantiate
from quizapp.library import load_library

torch = pytest.importorskip("torch")

CONTENT = Path(__file__).resolve().parents[2] / "content"

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

# The floors: per named deck, and over all hand-written cards.
MIN_HAND_WRITTEN = {
    "int8-math": 32,
    "calibration": 27,
    "number-formats": 22,
    "ptq-vs-qat": 25,
    "pytorch-workflow": 25,
}
MY_DECKS = ("int8-math", "calibration", "number-formats")


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():  # type: ignore[no-untyped-def]
    """Tiny tensors: on a busy 2-core machine two OpenMP threads make each op ~100x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@functools.cache
def shipped() -> tuple[Deck, ...]:
    result = load_decks([CONTENT])
    assert not result.errors, "\n".join(map(str, result.errors))
    return tuple(result.decks)


def all_cards():  # type: ignore[no-untyped-def]
    return [(deck, card) for deck in shipped() for card in deck.cards]


def hand_written():  # type: ignore[no-untyped-def]
    return [(deck, card) for deck, card in all_cards() if card.type != "generated"]


# --- loading and ids -------------------------------------------------------------------------


def test_the_library_loads_every_shipped_file_without_errors() -> None:
    result = load_library()  # shipped + (empty) user decks, under the test's QUIZAPP_HOME
    assert result.errors == [], "\n".join(map(str, result.errors))
    files = sorted(CONTENT.glob("*.yaml"))
    assert len(files) >= 3
    loaded = {Path(deck.path).resolve() for deck in result.decks if deck.path}
    assert {f.resolve() for f in files} <= loaded


@pytest.mark.parametrize("path", sorted(CONTENT.glob("*.yaml")), ids=lambda p: p.name)
def test_each_file_loads_on_its_own(path: Path) -> None:
    deck = load_deck_file(path)
    assert deck.cards


def test_deck_ids_and_card_ids_are_unique() -> None:
    decks = [deck.deck for deck in shipped()]
    assert len(decks) == len(set(decks))
    for deck in shipped():
        ids = Counter(card.id for card in deck.cards)
        assert [i for i, n in ids.items() if n > 1] == [], deck.deck


def card_id_places(path: Path) -> list[tuple[str, int, int]]:
    """Each card id of a deck file with the 1-based line and column of its value."""
    marks = Marks()
    data = parse_yaml(path.read_text(encoding="utf-8"), marks)
    places = []
    for index, card in enumerate(data["cards"]):
        mark = marks.value(("cards", index, "id"))
        assert mark is not None
        places.append((card["id"], mark.line + 1, mark.column + 1))
    return places


def test_card_ids_are_unique_across_shipped_decks() -> None:
    """Progress is keyed by deck and card id, so a repeated id breaks nothing in storage; but
    `deck/card` names a card everywhere else (sample, mocks, export, talk), and one id with
    two meanings across the shipped decks is a trap. Each repeat is named where it occurs
    a second time, like a compiler error, with the first place beside it."""
    first: dict[str, str] = {}
    repeats = []
    for path in sorted(CONTENT.glob("*.yaml")):
        for card_id, line, col in card_id_places(path):
            place = f"{path.relative_to(CONTENT.parent)}:{line}:{col}"
            if card_id in first:
                repeats.append(f"{place}: card id {card_id!r} is already used at {first[card_id]}")
            else:
                first[card_id] = place
    assert repeats == [], "\n".join(repeats)


def test_every_card_has_an_explanation() -> None:
    missing = [f"{d.deck}/{c.id}" for d, c in all_cards() if not (c.explanation or "").strip()]
    assert missing == []


FIGURE = re.compile(r"\d(?:\.\d+)?\s?(?:%|×|x\b|MB\b|GB\b|MiB\b|GiB\b|ms\b|dB\b)")


def test_every_card_that_states_a_figure_names_its_source() -> None:
    unsourced = []
    for deck, card in hand_written():
        text = " ".join(
            str(getattr(card, name, "") or "") for name in ("prompt", "answer", "explanation")
        )
        text += " ".join(getattr(card, "options", None) or [])
        if (card.type == "numeric" or FIGURE.search(text)) and not (card.source or "").strip():
            unsourced.append(f"{deck.deck}/{card.id}")
    assert unsourced == []


def test_free_cards_have_three_to_five_key_points() -> None:
    bad = [
        f"{d.deck}/{c.id}: {len(c.key_points)}"
        for d, c in hand_written()
        if c.type == "free" and not 3 <= len(c.key_points) <= 5
    ]
    assert bad == []


# --- type mix ----------------------------------------------------------------------------------


def mix(cards) -> dict[str, float]:  # type: ignore[no-untyped-def]
    counts = Counter(card.type for card in cards)
    total = sum(counts.values())
    return {kind: counts[kind] / total for kind in ("choice", "numeric", "free", "flashcard")}


def test_library_type_mix_and_size() -> None:
    cards = [card for _, card in hand_written()]
    shares = mix(cards)
    assert len(shipped()) >= 11
    assert len(cards) >= 430
    assert shares["choice"] >= 0.20, shares
    assert shares["numeric"] >= 0.10, shares
    assert shares["free"] >= 0.10, shares


@pytest.mark.parametrize("deck_id", sorted(MIN_HAND_WRITTEN))
def test_named_decks_reach_their_size(deck_id: str) -> None:
    deck = next((d for d in shipped() if d.deck == deck_id), None)
    assert deck is not None, f"deck {deck_id} is missing"
    assert deck.hand_written >= MIN_HAND_WRITTEN[deck_id]


@pytest.mark.parametrize("deck_id", MY_DECKS)
def test_my_decks_mix_types_and_use_multi_answer_choices(deck_id: str) -> None:
    deck = next(d for d in shipped() if d.deck == deck_id)
    cards = [c for c in deck.cards if c.type != "generated"]
    shares = mix(cards)
    assert shares["choice"] >= 0.22 and shares["numeric"] >= 0.12 and shares["free"] >= 0.12
    assert any(c.type == "choice" and c.multiple for c in cards)


# --- generated cards -------------------------------------------------------------------------


def test_every_generated_card_instantiates_for_fifty_seeds() -> None:
    generated = [(d, c) for d, c in all_cards() if c.type == "generated"]
    assert generated
    for deck, card in generated:
        for seed in range(50):
            question = instantiate(deck.deck, card, seed)
            assert question.fields and question.working and question.prompt.strip()
            assert all(math.isfinite(f.value) for f in question.fields), (card.id, seed)


def test_every_generator_is_used_by_a_shipped_card() -> None:
    used = {c.generator for _, c in all_cards() if c.type == "generated"}
    assert set(GENERATORS) <= used, set(GENERATORS) - used


# --- numeric answers, recomputed -----------------------------------------------------------------


def observer_qparams(x_min: float, x_max: float, **kwargs) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from torch.ao.quantization import MinMaxObserver

    observer = MinMaxObserver(**kwargs)
    observer(torch.tensor([x_min, x_max]))
    scale, zero_point = observer.calculate_qparams()
    return float(scale), int(zero_point)


@functools.cache
def torchvision_parameters(name: str) -> int:
    import torchvision.models

    with torch.device("meta"):
        return sum(p.numel() for p in getattr(torchvision.models, name)(weights=None).parameters())


def meta_bytes(count: int, dtype) -> int:  # type: ignore[no-untyped-def]
    return torch.empty(int(count), dtype=dtype, device="meta").nbytes


def unique_levels(lo: float, hi: float, scale: float, dtype) -> int:  # type: ignore[no-untyped-def]
    q = torch.quantize_per_tensor(torch.linspace(lo, hi, 1001), scale, 0, dtype)
    return q.int_repr().unique().numel()


def largest_exact_integer(dtype) -> int:  # type: ignore[no-untyped-def]
    values = torch.arange(0, 2**13, dtype=torch.float64)
    exact = values.to(dtype).to(torch.float64) == values
    return int(values[~exact][0].item()) - 1


def uniform_sqnr_db() -> float:
    """A uniform signal on [-1, 1], 256 levels spanning it (step 2/256), quantized by torch."""
    x = torch.linspace(-1, 1, 200_001)[:-1]
    x_hat = torch.fake_quantize_per_tensor_affine(x, 2 / 256, 128, 0, 255)
    return float(10 * torch.log10(x.pow(2).mean() / (x - x_hat).pow(2).mean()))


def sqnr_of_norms(signal: float, noise: float) -> float:
    from torch.ao.ns.fx.utils import compute_sqnr

    x = torch.tensor([signal, 0.0])
    return float(compute_sqnr(x, x - torch.tensor([0.0, noise])))


def moving_average_min() -> float:
    from torch.ao.quantization import MovingAverageMinMaxObserver

    observer = MovingAverageMinMaxObserver()
    observer(torch.tensor([-2.0, 1.0]))
    observer(torch.tensor([-4.0, 1.0]))
    return float(observer.min_val)


def dequantize_code(q: int, scale: float, zero_point: int) -> float:
    stored = torch._make_per_tensor_quantized_tensor(
        torch.tensor([q], dtype=torch.uint8), scale, zero_point
    )
    return stored.dequantize().item()


@functools.cache
def converted_resnet18() -> dict[str, int]:
    """Eager PTQ of torchvision's QuantizableResNet-18 (x86 qconfig): module counts, sizes."""
    import torch.ao.nn.intrinsic.quantized as nniq
    import torch.ao.nn.quantized as nnq
    import torchvision.models.quantization as qmodels
    from torch.ao.quantization import convert, get_default_qconfig, prepare

    torch.backends.quantized.engine = "x86"
    model = qmodels.resnet18(weights=None, quantize=False).eval()
    fp32 = io.BytesIO()
    torch.save(model.state_dict(), fp32)
    model.fuse_model()
    model.qconfig = get_default_qconfig("x86")
    prepare(model, inplace=True)
    with torch.no_grad():  # the counts and sizes do not depend on the calibration data
        model(torch.rand(1, 3, 64, 64))
    convert(model, inplace=True)
    int8 = io.BytesIO()
    torch.save(model.state_dict(), int8)
    modules = list(model.modules())
    return {
        "conv_relu": sum(isinstance(m, nniq.ConvReLU2d) for m in modules),
        "plain_conv": sum(
            isinstance(m, nnq.Conv2d) and not isinstance(m, nniq.ConvReLU2d) for m in modules
        ),
        "qfunctional": sum(isinstance(m, nnq.QFunctional) for m in modules),
        "fp32_bytes": len(fp32.getvalue()),
        "int8_bytes": len(int8.getvalue()),
    }


def x86_activation_observer():  # type: ignore[no-untyped-def]
    from torch.ao.quantization import get_default_qconfig

    return get_default_qconfig("x86").activation()


def finfo(dtype_name: str) -> Callable[[], float]:
    return lambda: float(torch.finfo(getattr(torch, dtype_name)).max)


# card -> its answer recomputed. Arithmetic on cited figures (accuracies, timings, file sizes)
# checks the arithmetic; everything torch can compute is computed by torch.
COMPUTED: dict[str, Callable[[], float]] = {
    # int8-math
    "int8-math/reduce-range-scale-factor": lambda: (
        observer_qparams(0.0, 6.0, reduce_range=True)[0] / observer_qparams(0.0, 6.0)[0]
    ),
    "int8-math/resnet18-int8-mb": lambda: (
        meta_bytes(torchvision_parameters("resnet18"), torch.int8) / 1e6
    ),
    "int8-math/resnet18-fp32-mib": lambda: (
        meta_bytes(torchvision_parameters("resnet18"), torch.float32) / 2**20
    ),
    "int8-math/llm-7b-fp16-gb": lambda: meta_bytes(7e9, torch.float16) / 2**30,
    "int8-math/int4-group-bits": lambda: (
        (meta_bytes(128 // 2, torch.uint8) + meta_bytes(1, torch.float16)) * 8 / 128
    ),
    "int8-math/dequant-qmin": lambda: dequantize_code(0, 0.02, 64),
    "int8-math/worked-example-zero-point": lambda: observer_qparams(-1.0, 3.0)[1],
    "int8-math/relu6-reduce-range-scale": lambda: observer_qparams(0.0, 6.0, reduce_range=True)[0],
    "int8-math/symmetric-scale-example": lambda: observer_qparams(
        -0.51, 0.34, dtype=torch.qint8, qscheme=torch.per_tensor_symmetric
    )[0],
    # calibration
    "calibration/torchvision-calibration-images": lambda: 32 * 32,
    "calibration/tutorial-calibration-images": lambda: 32 * 30,
    "calibration/outlier-steps": lambda: observer_qparams(0.0, 100.0)[0] / 2,
    "calibration/moving-average-update": moving_average_min,
    "calibration/default-activation-levels": lambda: (
        x86_activation_observer().quant_max - x86_activation_observer().quant_min + 1
    ),
    # number-formats
    "number-formats/fp16-max": finfo("float16"),
    "number-formats/fp16-integer-limit": lambda: largest_exact_integer(torch.float16),
    "number-formats/fp16-eps": lambda: torch.finfo(torch.float16).eps,
    "number-formats/e5m2-max": finfo("float8_e5m2"),
    # debugging
    "debugging/sqnr-compute": lambda: sqnr_of_norms(10.0, 0.1),
    "debugging/sqnr-per-bit": lambda: 4 * 20 * math.log10(2),  # 8 -> 4 bits
    "debugging/sqnr-8bit-uniform": uniform_sqnr_db,
    "debugging/resnet18-fc-share": lambda: (
        (512 * 1000 + 1000) / torchvision_parameters("resnet18") * 100
    ),
    "debugging/bias-correction-numeric": lambda: float(
        0.1 - (torch.tensor([0.52, -0.28]) - torch.tensor([0.5, -0.3])) @ torch.tensor([1.0, 2.0])
    ),
    "debugging/cle-scale-numeric": lambda: math.sqrt(8.0 / 0.5),
    "debugging/minmax-outlier-levels": lambda: unique_levels(0, 4, 100 / 255, torch.quint8),
    "debugging/depthwise-levels-numeric": lambda: unique_levels(-0.1, 0.1, 10 / 127.5, torch.qint8),
    # deployment
    "deployment/simd-int8-lanes": lambda: 512 // torch.iinfo(torch.int8).bits,
    "deployment/vpmaddubsw-overflow": lambda: 2 * 255 * abs(torch.iinfo(torch.int8).min),
    "deployment/blog-resnet50-speedup": lambda: 214 / 103,
    "deployment/tutorial-mobilenet-speedup": lambda: 61 / 20,
    "deployment/resnet18-size-ratio": lambda: 44.661 / 11.238,
    "deployment/mib-vs-mb": lambda: 44.661 * 2**20 / 1e6,
    "deployment/mobilenetv2-int8-mb": lambda: (
        meta_bytes(torchvision_parameters("mobilenet_v2"), torch.int8) / 1e6
    ),
    # llm-quantization
    "llm-quantization/mem-7b-fp16": lambda: meta_bytes(7e9, torch.float16) / 1e9,
    "llm-quantization/mem-7b-int8": lambda: meta_bytes(7e9, torch.int8) / 1e9,
    "llm-quantization/mem-7b-int4-g128": lambda: (
        (meta_bytes(7e9 / 2, torch.uint8) + 2 * meta_bytes(7e9 / 128, torch.bfloat16)) / 1e9
    ),
    "llm-quantization/decode-tokens-upper-bound": lambda: (
        1000 / (meta_bytes(7e9, torch.float16) / 1e9)
    ),
    "llm-quantization/kv-cache-llama2-7b": lambda: (
        torch.empty(2, 32, 4096, 4096, dtype=torch.float16, device="meta").nbytes / 2**30
    ),
    "llm-quantization/kv-cache-gqa": lambda: (
        torch.empty(2, 32, 8, 128, dtype=torch.float16, device="meta").nbytes / 1024
    ),
    "llm-quantization/group-overhead-bits": lambda: 4 + 2 * 16 / 64,
    "llm-quantization/int4-layer-size": lambda: (
        (
            meta_bytes(4096 * 4096 / 2, torch.uint8)
            + 2 * meta_bytes(4096 * 4096 / 128, torch.bfloat16)
        )
        / 2**20
    ),
    "llm-quantization/smoothquant-scale-numeric": lambda: 64**0.5 / 0.25 ** (1 - 0.5),
    # One head's 64 cached values: int8 codes and one FP32 scale, in bits a value.
    "llm-quantization/kv-int8-scale-overhead": lambda: (
        8
        * (torch.empty(64, dtype=torch.int8).nbytes + torch.empty(1, dtype=torch.float32).nbytes)
        / 64
    ),
    "llm-quantization/awq-scale-ratio": lambda: 16**0.5 / 1**0.5,
    "llm-quantization/fp8-e4m3-max": finfo("float8_e4m3fn"),
    # ptq-vs-qat
    "ptq-vs-qat/mobilenetv2-ptq-gap": lambda: 71.9 - 67.3,
    "ptq-vs-qat/qconfig-switch-gain": lambda: 67.3 - 56.7,
    "ptq-vs-qat/resnet18-ptq-drop": lambda: 69.758 - 69.494,
    "ptq-vs-qat/torchvision-mobilenetv2-qat-drop": lambda: 71.878 - 71.658,
    "ptq-vs-qat/fake-quant-value": lambda: torch.fake_quantize_per_tensor_affine(
        torch.tensor([1.234]), 0.05, 10, 0, 255
    ).item(),
    "ptq-vs-qat/fake-quant-clipped": lambda: torch.fake_quantize_per_tensor_affine(
        torch.tensor([20.0]), 0.05, 10, 0, 255
    ).item(),
    # pytorch-workflow
    "pytorch-workflow/x86-activation-quant-max": lambda: x86_activation_observer().quant_max,
    "pytorch-workflow/resnet18-convrelu-count": lambda: converted_resnet18()["conv_relu"],
    "pytorch-workflow/resnet18-plain-conv-count": lambda: converted_resnet18()["plain_conv"],
    "pytorch-workflow/resnet18-qfunctional-count": lambda: converted_resnet18()["qfunctional"],
    "pytorch-workflow/int8-state-dict-ratio": lambda: (
        converted_resnet18()["fp32_bytes"] / converted_resnet18()["int8_bytes"]
    ),
    "pytorch-workflow/fp32-state-dict-mb": lambda: (
        meta_bytes(torchvision_parameters("resnet18"), torch.float32) / 1e6
    ),
}
# Recomputed by a measurement rather than exact arithmetic: only the card's tolerance applies.
MEASURED = {"debugging/sqnr-8bit-uniform"}


def _per_deck_figures() -> dict[str, Callable[[], float]]:
    """The COMPUTED tables of `figures_<deck>.py` beside this file: one module per deck, so
    decks written side by side never edit the same table."""
    merged: dict[str, Callable[[], float]] = {}
    for path in sorted(Path(__file__).parent.glob("figures_*.py")):
        spec = importlib.util.spec_from_file_location(f"quizapp_tests_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        overlap = set(merged) & set(module.COMPUTED)
        assert not overlap, f"{path.name} recomputes cards recomputed elsewhere: {overlap}"
        merged.update(module.COMPUTED)
        MEASURED.update(getattr(module, "MEASURED", set()))
    return merged


COMPUTED.update(_per_deck_figures())


def numeric_cards() -> dict[str, NumericCard]:
    return {
        f"{deck.deck}/{card.id}": card
        for deck, card in all_cards()
        if isinstance(card, NumericCard)
    }


def test_every_numeric_card_has_a_recomputation() -> None:
    missing = sorted(set(numeric_cards()) - set(COMPUTED))
    assert missing == [], "add these to COMPUTED in tests/content/test_shipped_decks.py"


def test_the_recomputation_table_names_only_existing_cards() -> None:
    assert sorted(set(COMPUTED) - set(numeric_cards())) == []


def decimals(value: float) -> int:
    text = repr(float(value))
    return 0 if text.endswith(".0") else len(text.split(".")[1])


@pytest.mark.parametrize("key", sorted(COMPUTED))
def test_numeric_answer_matches_its_recomputation(key: str) -> None:
    card = numeric_cards().get(key)
    if card is None:
        pytest.fail(f"{key} is in COMPUTED but not in any shipped deck")
    computed = float(COMPUTED[key]())
    # The exact value must be accepted by the card's own tolerance ...
    assert card.tolerance.accepts(computed, card.answer), (key, card.answer, computed)
    # ... and the stated answer must be the computed value rounded to the digits it shows.
    if key not in MEASURED:
        assert abs(card.answer - computed) <= 0.5 * 10 ** -decimals(card.answer) + 1e-9, (
            key,
            card.answer,
            computed,
        )


# --- the claims behind the expert-read corrections ---------------------------------------------


def card_text(deck_id: str, card_id: str) -> str:
    card = next(d for d in shipped() if d.deck == deck_id).card(card_id)
    fields = ("prompt", "answer", "explanation", "source")
    parts = [value for name in fields if isinstance(value := getattr(card, name, None), str)]
    parts += list(getattr(card, "options", None) or [])
    parts += list(getattr(card, "key_points", None) or [])
    return " ".join(" ".join(parts).split())


def test_default_activation_observers_and_signed_pt2e_quantizers() -> None:
    """Every eager/FX default PTQ qconfig searches a clipping range (HistogramObserver); the
    PT2E XNNPACK and Arm quantizers put activations in int8 [-128, 127]; x86 PT2E does not."""
    from torch.ao.quantization import HistogramObserver, get_default_qconfig

    for backend in ("x86", "fbgemm", "qnnpack", "onednn"):
        assert isinstance(get_default_qconfig(backend).activation(), HistogramObserver), backend
    xnnpack = pytest.importorskip("torchao.testing.pt2e._xnnpack_quantizer")
    arm = pytest.importorskip("torchao.quantization.pt2e.quantizer.arm_inductor_quantizer")
    x86 = pytest.importorskip("torchao.quantization.pt2e.quantizer.x86_inductor_quantizer")
    for config in (
        xnnpack.get_symmetric_quantization_config(is_per_channel=True),
        arm.get_default_arm_inductor_quantization_config(),
    ):
        act = config.input_activation
        assert (act.dtype, act.quant_min, act.quant_max) == (torch.int8, -128, 127)
        assert act.qscheme == torch.per_tensor_affine
        assert "HistogramObserver" in repr(act.observer_or_fake_quant_ctr)
    x86_act = x86.get_default_x86_inductor_quantization_config().input_activation
    assert (x86_act.dtype, x86_act.quant_min, x86_act.quant_max) == (torch.uint8, 0, 255)
    text = card_text("int8-math", "lesson-minmax-mapping")
    assert "HistogramObserver" in text and "XNNPACK" in text and "[−128, 127]" in text


def test_fp8_flavours_and_the_fn_name() -> None:
    """torchao switches to the fnuz dtypes on MI300 (max 240); e4m3fn has no inf and only
    S.1111.111 is NaN, so S.1111.110 is a number (448)."""
    float8_config = pytest.importorskip("torchao.float8.config")
    source = inspect.getsource(float8_config.Float8TypeConfig)
    assert "float8_e4m3fnuz" in source and "is_MI300()" in source
    assert torch.finfo(torch.float8_e4m3fnuz).max == 240
    for deck_id, card_id in (
        ("llm-quantization", "fp8-formats"),
        ("number-formats", "fp8-e4m3-vs-e5m2"),
        ("number-formats", "int8-vs-fp8"),
    ):
        assert "240" in card_text(deck_id, card_id), card_id
    codes = torch.tensor([0x7E, 0x7F, 0xFE, 0xFF, 0x78], dtype=torch.uint8)
    values = codes.view(torch.float8_e4m3fn).float()
    assert values[0] == 448 and values[2] == -448 and values[4] == 256
    assert bool(values[1].isnan()) and bool(values[3].isnan())
    all_codes = torch.arange(256, dtype=torch.uint8).view(torch.float8_e4m3fn).float()
    assert int(all_codes.isnan().sum()) == 2 and int(all_codes.isinf().sum()) == 0
    assert "only S.1111.111 is NaN" in card_text("number-formats", "e4m3fn-name")


def test_normalized_images_are_bounded_unlike_noise() -> None:
    """random-batch-snippet: ImageNet normalization maps [0, 1] pixels into about [-2.1, 2.6],
    while one N(0, 1) batch of 3 x 224 x 224 values reaches well past it."""
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    low, high = float(((0 - mean) / std).min()), float(((1 - mean) / std).max())
    assert round(low, 1) == -2.1 and round(high, 1) == 2.6
    noise = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    assert float(noise.abs().max()) > 4
    text = card_text("calibration", "random-batch-snippet")
    assert "−2.1 to 2.6" in text and "spatial structure" in text and "mean 0" in text


def test_saved_size_depends_on_the_archive_name(tmp_path: Path) -> None:
    """pytorch-workflow/fp32-state-dict-mb: torch.save names every zip entry after the file's
    stem, so one state_dict's file size moves with the name; the card quotes two sizes."""
    import torchvision.models

    state = torchvision.models.resnet18(weights=None).state_dict()
    short, long = tmp_path / "a.pth", tmp_path / f"{'x' * 50}.pth"
    torch.save(state, short)
    torch.save(state, long)
    sizes = short.stat().st_size, long.stat().st_size
    assert sizes[1] - sizes[0] > 5_000
    text = card_text("pytorch-workflow", "fp32-state-dict-mb")
    numbers = [int(n.replace(",", "")) for n in re.findall(r"\d{1,3}(?:,\d{3})+", text)]
    quoted = [n for n in numbers if n > 40_000_000]  # the saved sizes, not the parameter count
    assert quoted[0] == pytest.approx(sizes[0], rel=1e-4)
    assert quoted[1] == pytest.approx(sizes[1], rel=1e-4)
    assert f"{len(long.name)}-character" in text


def test_round_to_nearest_caveats_are_stated() -> None:
    """'No gradients' and 'weights need no data' are qualified wherever they are stated."""
    for deck_id, card_id in (
        ("ptq-vs-qat", "define-ptq"),
        ("calibration", "weights-need-no-data"),
        ("calibration", "explain-calibration"),
        ("calibration", "no-calibration-modes"),
    ):
        text = card_text(deck_id, card_id)
        assert "round-to-nearest" in text, card_id
        assert any(m in text for m in ("AdaRound", "GPTQ", "AWQ")), card_id
    for deck_id, card_id in (
        ("ptq-vs-qat", "mobilenetv2-tutorial-ladder"),
        ("ptq-vs-qat", "qconfig-switch-gain"),
        ("calibration", "tutorial-observer-impact"),
        ("calibration", "tutorial-calibration-images"),
    ):
        assert "same 960 calibration images" not in card_text(deck_id, card_id), card_id
