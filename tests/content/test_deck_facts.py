"""The executable claims of five shipped decks, checked against torch, torchvision and torchao.

ptq-vs-qat, pytorch-workflow, deployment, debugging and llm-quantization state facts about
PyTorch's behaviour (which class `convert` produces, which error a broken model raises, what
a qconfig contains) and numeric answers that can be recomputed (sizes, memory arithmetic,
SQNR, CLE scales). Each test here runs the real library and compares with the card, so a
card goes stale loudly when the pinned versions change. The deck format rules the brief
sets for these decks (type mix, explanation, source, unit, key points) are checked too.
"""

from __future__ import annotations

import copy
import functools
import inspect
import io
import math
import re
import warnings
from collections import Counter
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
import torch.ao.nn.intrinsic as nni  # noqa: E402
import torch.ao.nn.intrinsic.qat as nniqat  # noqa: E402
import torch.ao.nn.intrinsic.quantized as nniq  # noqa: E402
import torch.ao.nn.quantized as nnq  # noqa: E402
import torch.ao.nn.quantized.dynamic as nnqd  # noqa: E402
import torch.ao.quantization as tq  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torchvision.models import quantization as qmodels  # noqa: E402

from quizapp.core.loader import load_deck_file  # noqa: E402
from quizapp.core.models import ChoiceCard, Deck, FreeCard, NumericCard  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

CONTENT = Path(__file__).resolve().parents[2] / "content"
MIN_CARDS = {
    "ptq-vs-qat": 28,
    "pytorch-workflow": 30,
    "deployment": 25,
    "debugging": 25,
    "llm-quantization": 28,
}


@functools.cache
def deck(deck_id: str) -> Deck:
    return load_deck_file(CONTENT / f"{deck_id}.yaml")


def numeric(deck_id: str, card_id: str) -> NumericCard:
    card = deck(deck_id).card(card_id)
    assert isinstance(card, NumericCard), f"{deck_id}/{card_id} is not numeric"
    return card


def choice(deck_id: str, card_id: str) -> ChoiceCard:
    card = deck(deck_id).card(card_id)
    assert isinstance(card, ChoiceCard), f"{deck_id}/{card_id} is not a choice card"
    return card


def assert_answer(deck_id: str, card_id: str, computed: float) -> None:
    """The card's answer accepts the value computed here (within the card's own tolerance)."""
    card = numeric(deck_id, card_id)
    assert card.tolerance.accepts(computed, card.answer), (
        f"{deck_id}/{card_id}: card says {card.answer}, computed {computed}"
    )


def correct_options(deck_id: str, card_id: str) -> list[str]:
    card = choice(deck_id, card_id)
    return [card.options[i] for i in sorted(card.correct)]


def raised(fn) -> BaseException:
    with pytest.raises(Exception) as info:
        fn()
    return info.value


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # The checks are tiny; on a shared 2-core box, OpenMP threads fighting other processes
    # make a 32x32 ResNet forward take seconds instead of milliseconds.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def saved_bytes(module: nn.Module) -> int:
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    return buffer.tell()


# --------------------------------------------------------------------------- deck format


@pytest.mark.parametrize("deck_id", sorted(MIN_CARDS))
def test_deck_meets_the_mix_and_sourcing_rules(deck_id: str) -> None:
    cards = deck(deck_id).cards
    counts = Counter(card.type for card in cards)
    total = len(cards)
    assert total >= MIN_CARDS[deck_id]
    assert counts["generated"] == 0
    assert counts["choice"] >= 0.22 * total
    assert counts["numeric"] >= 0.12 * total
    assert counts["free"] >= 0.12 * total
    assert any(isinstance(c, ChoiceCard) and c.multiple for c in cards), "no select-all card"
    for card in cards:
        assert card.explanation, f"{card.id}: no explanation"
        assert card.source, f"{card.id}: no source"
        assert card.tags, f"{card.id}: no tags"
        if isinstance(card, NumericCard):
            assert card.unit, f"{card.id}: numeric card without a unit"
            assert card.tolerance is not None
        if isinstance(card, FreeCard):
            assert 3 <= len(card.key_points) <= 5, f"{card.id}: {len(card.key_points)} key points"


# --------------------------------------------------------------------------- eager workflow


@pytest.fixture(scope="module")
def resnet18_pair() -> tuple[nn.Module, nn.Module]:
    """torchvision's QuantizableResNet-18 (1000 classes) in FP32 and after eager x86 PTQ."""
    torch.manual_seed(0)
    torch.backends.quantized.engine = "x86"
    fp32 = qmodels.resnet18(weights=None, quantize=False).eval()
    int8 = copy.deepcopy(fp32)
    int8.fuse_model()
    int8.qconfig = tq.get_default_qconfig("x86")
    tq.prepare(int8, inplace=True)
    with torch.no_grad():
        int8(torch.randn(2, 3, 32, 32))
    tq.convert(int8, inplace=True)
    return fp32, int8


def test_only_the_quantizable_resnet18_has_fuse_model() -> None:
    plain = torchvision.models.resnet18()
    error = raised(lambda: plain.fuse_model())
    assert isinstance(error, AttributeError)
    assert str(error) in correct_options("pytorch-workflow", "lesson-fault-fuse-model")[0]
    assert hasattr(qmodels.resnet18(weights=None, quantize=False), "fuse_model")


def test_fusion_classes_and_the_eval_assertion() -> None:
    def block() -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())

    error = raised(lambda: tq.fuse_modules(block().train(), [["0", "1", "2"]]))
    assert "Fusion only for eval!" in str(error)
    assert "Fusion only for eval!" in deck("pytorch-workflow").card("fuse-needs-eval").answer

    fused = tq.fuse_modules(block().eval(), [["0", "1", "2"]])
    assert [type(m) for m in fused] == [nni.ConvReLU2d, nn.Identity, nn.Identity]
    assert correct_options("pytorch-workflow", "fuse-result-classes")[0].startswith(
        "torch.ao.nn.intrinsic.ConvReLU2d, Identity, Identity"
    )

    qat = tq.fuse_modules_qat(block().train(), [["0", "1", "2"]])
    assert type(qat[0]) is nni.ConvBnReLU2d
    qat.qconfig = tq.get_default_qat_qconfig("x86")
    tq.prepare_qat(qat, inplace=True)
    assert type(qat[0]) is nniqat.ConvBnReLU2d
    converted = tq.convert(qat.eval())
    assert type(converted[0]) is nniq.ConvReLU2d
    assert correct_options("ptq-vs-qat", "prepare-qat-module-class")[0] == (
        "torch.ao.nn.intrinsic.qat.ConvBnReLU2d, then torch.ao.nn.intrinsic.quantized.ConvReLU2d"
    )


def test_converted_resnet18_layers(resnet18_pair: tuple[nn.Module, nn.Module]) -> None:
    _, int8 = resnet18_pair
    kinds = Counter(type(m) for m in int8.modules())
    assert_answer("pytorch-workflow", "resnet18-convrelu-count", kinds[nniq.ConvReLU2d])
    assert_answer("pytorch-workflow", "resnet18-plain-conv-count", kinds[nnq.Conv2d])
    assert_answer("pytorch-workflow", "resnet18-qfunctional-count", kinds[nnq.QFunctional])
    assert kinds[nnq.Linear] == 1
    assert kinds[nn.BatchNorm2d] == 0
    assert type(int8.quant) is nnq.Quantize and type(int8.dequant) is nnq.DeQuantize
    assert type(int8.conv1) is nniq.ConvReLU2d
    assert "torch.ao.nn.intrinsic.quantized.ConvReLU2d" in correct_options(
        "pytorch-workflow", "convert-fused-conv-relu"
    )
    printed = repr(int8.conv1)
    expected = correct_options("pytorch-workflow", "lesson-fault-print")[0]
    assert printed.startswith("QuantizedConvReLU2d(3, 64, kernel_size=(7, 7), stride=(2, 2)")
    assert expected.startswith(printed.split(", scale=")[0])

    weight = int8.conv1.weight()
    assert weight.qscheme() == torch.per_channel_affine
    assert bool((weight.q_per_channel_zero_points() == 0).all())
    assert correct_options("pytorch-workflow", "symmetric-stored-as-affine")[0].startswith(
        "torch.per_channel_affine"
    )


def test_state_dict_sizes(resnet18_pair: tuple[nn.Module, nn.Module]) -> None:
    fp32, int8 = resnet18_pair
    fp32_bytes, int8_bytes = saved_bytes(fp32), saved_bytes(int8)
    assert_answer("pytorch-workflow", "int8-state-dict-ratio", fp32_bytes / int8_bytes)
    assert_answer("pytorch-workflow", "fp32-state-dict-mb", fp32_bytes / 1e6)
    # The prompt quotes the measured byte counts; they must still be (almost) what torch saves.
    prompt = numeric("pytorch-workflow", "int8-state-dict-ratio").prompt
    quoted = [int(n.replace(",", "")) for n in re.findall(r"\d{1,3}(?:,\d{3})+", prompt)]
    assert quoted[0] == pytest.approx(int8_bytes, rel=0.005)
    assert quoted[1] == pytest.approx(fp32_bytes, rel=0.005)
    params = sum(p.numel() for p in fp32.parameters())
    assert params == 11_689_512


def test_qconfigs() -> None:
    assert inspect.signature(tq.get_default_qconfig).parameters["backend"].default == "x86"
    x86 = tq.get_default_qconfig("x86")
    act, weight = x86.activation(), x86.weight()
    assert type(act) is tq.HistogramObserver and act.reduce_range
    assert (act.quant_min, act.quant_max, act.dtype) == (0, 127, torch.quint8)
    assert_answer("pytorch-workflow", "x86-activation-quant-max", act.quant_max)
    assert type(weight) is tq.PerChannelMinMaxObserver
    assert (weight.dtype, weight.qscheme) == (torch.qint8, torch.per_channel_symmetric)
    assert choice("pytorch-workflow", "x86-default-qconfig").answer == 0

    qnnpack = tq.get_default_qconfig("qnnpack")
    act, weight = qnnpack.activation(), qnnpack.weight()
    assert not act.reduce_range and act.quant_max == 255
    assert type(weight) is tq.MinMaxObserver and weight.qscheme == torch.per_tensor_symmetric

    assert repr(tq.get_default_qconfig("fbgemm")) == repr(x86)
    engines = torch.backends.quantized.supported_engines
    assert str(engines) in deck("pytorch-workflow").card("quantized-engine").answer
    assert torch.quantization.get_default_qconfig is tq.get_default_qconfig

    qat = tq.get_default_qat_qconfig("x86")
    fake_act, fake_weight = qat.activation(), qat.weight()
    assert type(fake_act) is tq.FusedMovingAvgObsFakeQuantize
    assert type(fake_act.activation_post_process) is tq.MovingAverageMinMaxObserver
    assert fake_act.activation_post_process.averaging_constant == 0.01
    assert fake_act.activation_post_process.reduce_range
    assert type(fake_weight.activation_post_process) is tq.MovingAveragePerChannelMinMaxObserver
    assert fake_weight.qscheme == torch.per_channel_symmetric


def test_prepare_returns_a_copy() -> None:
    model = nn.Sequential(tq.QuantStub(), nn.Conv2d(3, 3, 1), tq.DeQuantStub()).eval()
    model.qconfig = tq.get_default_qconfig("x86")
    prepared = tq.prepare(model)
    assert prepared is not model
    assert hasattr(prepared[1], "activation_post_process")
    assert not hasattr(model[1], "activation_post_process")
    assert choice("pytorch-workflow", "prepare-convert-inplace").answer == 0


def test_broken_eager_models_fail_as_the_cards_say() -> None:
    x = torch.randn(2, 3, 32, 32)

    def convert(model: nn.Module) -> nn.Module:
        # MinMax observers: the failures below do not depend on the observer, and it is fast.
        model.qconfig = tq.default_qconfig
        tq.prepare(model, inplace=True)
        with torch.no_grad():
            model(x)
        return tq.convert(model, inplace=True)

    no_stubs = convert(torchvision.models.resnet18().eval())
    error = str(raised(lambda: no_stubs(x)))
    option = correct_options("pytorch-workflow", "missing-quantstub-error")[0]
    assert "Could not run 'quantized::conv2d.new' with arguments from the 'CPU' backend" in error
    assert option.endswith(
        "Could not run 'quantized::conv2d.new' with arguments from the 'CPU' backend"
    )

    class Stubbed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.quant, self.net, self.dequant = (
                tq.QuantStub(),
                torchvision.models.resnet18(),
                tq.DeQuantStub(),
            )

        def forward(self, t: torch.Tensor) -> torch.Tensor:
            return self.dequant(self.net(self.quant(t)))

    stubbed = convert(Stubbed().eval())
    error = str(raised(lambda: stubbed(x)))
    assert "Could not run 'aten::add.out' with arguments from the 'QuantizedCPU' backend" in error
    assert "aten::add.out" in correct_options("pytorch-workflow", "residual-add-error")[0]

    # torchvision's fuse_model() in train mode picks QAT fusion; static convert leaves it float.
    trap = qmodels.resnet18(weights=None, quantize=False)
    trap.fuse_model()
    assert type(trap.conv1) is nni.ConvBnReLU2d
    trap = convert(trap)
    error = str(raised(lambda: trap.eval()(x)))
    assert "aten::_slow_conv2d_forward" in error and "QuantizedCPU" in error
    assert (
        "aten::_slow_conv2d_forward"
        in deck("pytorch-workflow").card("train-mode-fuse-model-trap").answer
    )


def test_shared_relu_vanishes_when_fused() -> None:
    from torchvision.models.resnet import BasicBlock

    torch.manual_seed(0)
    block = BasicBlock(8, 8).eval()
    tq.fuse_modules(block, [["conv1", "bn1", "relu"]], inplace=True)
    assert type(block.relu) is nn.Identity
    assert bool((block(torch.randn(1, 8, 4, 4)) < 0).any()), "the post-add ReLU should be gone"


def test_deprecation_and_pretrained_warnings() -> None:
    model = nn.Sequential(nn.Conv2d(3, 3, 1)).eval()
    model.qconfig = tq.get_default_qconfig("x86")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tq.prepare(model)
    messages = " ".join(
        str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)
    )
    assert "torch.ao.quantization is deprecated and will be removed in 2.10" in messages
    assert "will be removed in 2.10" in correct_options("pytorch-workflow", "deprecation-status")[0]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torchvision.models.resnet18(pretrained=False)  # False: nothing is downloaded
    text = deck("pytorch-workflow").card("lesson-fault-pretrained").answer
    quoted = re.search(r'"(The parameter .*?)"', text.replace("\n", " ").replace("  ", " "))
    assert quoted is not None
    assert any(quoted.group(1) == " ".join(str(w.message).split()) for w in caught)


def test_quantize_dynamic_defaults() -> None:
    # Same order as the card's options: Linear, LSTM, GRU, Conv2d.
    model = nn.Sequential(nn.Linear(3, 3), nn.LSTM(3, 3), nn.GRU(3, 3), nn.Conv2d(3, 3, 1))
    dynamic = tq.quantize_dynamic(model, dtype=torch.qint8)
    converted = [not isinstance(m, (nn.Conv2d, nn.Linear, nn.LSTM, nn.GRU)) for m in dynamic]
    assert converted == [True, True, True, False]
    assert type(dynamic[0]) is nnqd.Linear
    card = choice("pytorch-workflow", "quantize-dynamic-defaults")
    assert sorted(card.correct) == [i for i, done in enumerate(converted) if done]


def test_fx_quantizes_the_plain_resnet18() -> None:
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    example = (torch.randn(1, 3, 32, 32),)
    # x86 patterns (fusions, add_relu) with MinMax observers: same graph, cheaper observers.
    mapping = tq.get_default_qconfig_mapping("x86").set_global(tq.default_qconfig)
    prepared = prepare_fx(torchvision.models.resnet18().eval(), mapping, example)
    prepared(*example)
    converted = convert_fx(prepared)
    assert converted(torch.randn(2, 3, 32, 32)).shape == (2, 1000)
    targets = [str(n.target) for n in converted.graph.nodes]
    assert targets.count("quantized.add_relu") == 8
    assert "quantized.add_relu" in choice("pytorch-workflow", "fx-automates").explanation


# --------------------------------------------------------------------------- QAT mechanics


def test_fake_quant_values_and_straight_through_gradient() -> None:
    x = torch.tensor([1.234, 20.0, -1.0], requires_grad=True)
    y = torch.fake_quantize_per_tensor_affine(x, 0.05, 10, 0, 255)
    assert_answer("ptq-vs-qat", "fake-quant-value", y[0].item())
    assert_answer("ptq-vs-qat", "fake-quant-clipped", y[1].item())
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0]
    assert correct_options("ptq-vs-qat", "ste-clipped-gradient") == ["0"]


def test_disable_observer_keeps_fake_quant() -> None:
    fake = tq.FakeQuantize(observer=tq.MovingAverageMinMaxObserver, quant_min=0, quant_max=255)
    fake(torch.randn(100))
    scale = fake.scale.clone()
    tq.disable_observer(fake)
    out = fake(torch.randn(100) * 10)
    assert torch.equal(scale, fake.scale)
    assert (int(fake.observer_enabled), int(fake.fake_quant_enabled)) == (0, 1)
    assert len(torch.unique(out)) < 100  # still snapped to the grid
    assert choice("ptq-vs-qat", "disable-observer-effect").answer == 0


def test_bn_folding_formula_matches_torch() -> None:
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    torch.manual_seed(0)
    conv, bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    bn.weight.data.uniform_(0.5, 2)
    bn.bias.data.uniform_(-1, 1)
    conv.eval(), bn.eval()
    k = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    folded = fuse_conv_bn_eval(conv, bn)
    torch.testing.assert_close(folded.weight, conv.weight * k.view(-1, 1, 1, 1))
    torch.testing.assert_close(folded.bias, (conv.bias - bn.running_mean) * k + bn.bias)


def test_learnable_fake_quantize_exists_but_is_not_default() -> None:
    from torch.ao.quantization._learnable_fake_quantize import _LearnableFakeQuantize

    fake = tq.get_default_qat_qconfig("x86").activation()
    assert not isinstance(fake, _LearnableFakeQuantize)
    assert torch.nn.intrinsic.qat.freeze_bn_stats is torch.ao.nn.intrinsic.qat.freeze_bn_stats


# --------------------------------------------------------------------------- figures from sources


def test_torchvision_figures() -> None:
    from torchvision.models import (
        MobileNet_V2_Weights,
        MobileNet_V3_Large_Weights,
        ResNet18_Weights,
        ResNet50_Weights,
    )

    def top1(weights) -> float:
        return weights.meta["_metrics"]["ImageNet-1K"]["acc@1"]

    r18q = qmodels.ResNet18_QuantizedWeights.IMAGENET1K_FBGEMM_V1
    r18 = ResNet18_Weights.IMAGENET1K_V1
    mv2q = qmodels.MobileNet_V2_QuantizedWeights.IMAGENET1K_QNNPACK_V1
    mv2 = MobileNet_V2_Weights.IMAGENET1K_V1
    mv3q = qmodels.MobileNet_V3_Large_QuantizedWeights.IMAGENET1K_QNNPACK_V1
    mv3 = MobileNet_V3_Large_Weights.IMAGENET1K_V1
    r50q = qmodels.ResNet50_QuantizedWeights

    assert_answer("ptq-vs-qat", "resnet18-ptq-drop", top1(r18) - top1(r18q))
    assert_answer("ptq-vs-qat", "torchvision-mobilenetv2-qat-drop", top1(mv2) - top1(mv2q))
    assert_answer(
        "deployment", "resnet18-size-ratio", r18.meta["_file_size"] / r18q.meta["_file_size"]
    )
    assert_answer("deployment", "mib-vs-mb", r18.meta["_file_size"] * 2**20 / 1e6)
    assert_answer("deployment", "mobilenetv2-int8-mb", mv2.meta["num_params"] / 1e6)
    assert r50q.IMAGENET1K_FBGEMM_V1.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 75.92
    assert top1(ResNet50_Weights.IMAGENET1K_V1) == 76.13
    assert mv3q.meta["_file_size"] > mv3.meta["_file_size"]  # the QAT checkpoint quirk

    rows = {
        "ResNet-18, FBGEMM_V1": (top1(r18q), top1(r18)),
        "ResNet-50, FBGEMM_V2": (
            top1(r50q.IMAGENET1K_FBGEMM_V2),
            top1(ResNet50_Weights.IMAGENET1K_V2),
        ),
        "MobileNetV2, QNNPACK_V1": (top1(mv2q), top1(mv2)),
        "MobileNetV3-Large, QNNPACK_V1": (top1(mv3q), top1(mv3)),
    }
    card = choice("deployment", "torchvision-int8-results")
    for index, option in enumerate(card.options):
        name = next(key for key in rows if option.startswith(key))
        quoted = tuple(float(v) for v in re.findall(r"\d+\.\d+", option))
        matches = quoted == rows[name] and ("QAT" in option) == name.startswith("MobileNet")
        assert matches == (index in card.correct), option


def test_tutorial_and_blog_arithmetic() -> None:
    assert_answer("ptq-vs-qat", "mobilenetv2-ptq-gap", 71.9 - 67.3)
    assert_answer("ptq-vs-qat", "qconfig-switch-gain", 67.3 - 56.7)
    assert_answer("deployment", "blog-resnet50-speedup", 214 / 103)
    assert_answer("deployment", "tutorial-mobilenet-speedup", 61 / 20)
    assert_answer("deployment", "simd-int8-lanes", 512 // 8)
    assert_answer("deployment", "vpmaddubsw-overflow", 2 * 255 * 128)
    assert 2 * 255 * 128 > 2**15 - 1 >= 2 * 127 * 128


def test_benchmark_timer_and_op_coverage() -> None:
    from torch.utils.benchmark import Timer

    assert inspect.signature(Timer.__init__).parameters["num_threads"].default == 1
    assert correct_options("deployment", "timer-default-threads") == ["1"]

    x = torch.quantize_per_tensor(torch.randn(8), 0.1, 128, torch.quint8)
    ops = [F.relu, torch.sigmoid, F.gelu, F.silu, lambda t: torch.softmax(t, dim=0)]
    works = []
    for op in ops:
        try:
            op(x)
            works.append(True)
        except NotImplementedError as error:
            assert "QuantizedCPU" in str(error)
            works.append(False)
    card = choice("deployment", "quantized-op-coverage")
    assert sorted(card.correct) == [i for i, ok in enumerate(works) if ok]


# --------------------------------------------------------------------------- debugging


def test_sqnr_cards() -> None:
    from torch.ao.ns.fx.utils import compute_sqnr

    torch.manual_seed(0)
    x = torch.randn(1000)
    noise = torch.randn(1000)
    noise *= 0.01 * x.norm() / noise.norm()
    assert compute_sqnr(x, x + noise).item() == pytest.approx(40.0, abs=1e-3)
    assert_answer("debugging", "sqnr-compute", 20 * math.log10(10.0 / 0.1))
    assert_answer("debugging", "sqnr-per-bit", (8 - 4) * 20 * math.log10(2))

    signal = torch.rand(200_000) * 2 - 1  # uniform on [-1, 1]
    q = torch.quantize_per_tensor(signal, 2 / 255, 128, torch.quint8).dequantize()
    assert_answer("debugging", "sqnr-8bit-uniform", compute_sqnr(signal, q).item())


def test_numeric_suite_functions() -> None:
    import torch.ao.ns._numeric_suite as ns

    card = choice("debugging", "numeric-suite-eager")
    for index, option in enumerate(card.options):
        name = option.split(":")[0]
        assert hasattr(ns, name) == (index in card.correct), name


def test_unobserved_observer_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scale, zero_point = tq.MinMaxObserver().calculate_qparams()
    message = str(caught[0].message)
    assert (scale.item(), zero_point.item()) == (1.0, 0)
    assert message in correct_options("debugging", "unobserved-observer")[0]


def test_skipped_layer_stays_float() -> None:
    model = nn.Sequential(
        tq.QuantStub(), nn.Conv2d(3, 3, 1), tq.DeQuantStub(), nn.Conv2d(3, 3, 1)
    ).eval()
    model.qconfig = tq.get_default_qconfig("x86")
    model[3].qconfig = None
    tq.prepare(model, inplace=True)
    model(torch.randn(1, 3, 4, 4))
    tq.convert(model, inplace=True)
    assert type(model[1]) is nnq.Conv2d and type(model[3]) is nn.Conv2d
    assert model(torch.randn(1, 3, 4, 4)).dtype == torch.float32


def test_bias_correction_and_cle() -> None:
    w, wq = torch.tensor([0.5, -0.3]), torch.tensor([0.52, -0.28])
    mean_x = torch.tensor([1.0, 2.0])
    assert_answer("debugging", "bias-correction-numeric", 0.1 - ((wq - w) @ mean_x).item())

    r1, r2 = 8.0, 0.5
    s = math.sqrt(r1 / r2)
    assert_answer("debugging", "cle-scale-numeric", s)
    assert r1 / s == pytest.approx(r2 * s)

    # CLE leaves conv -> ReLU -> conv unchanged.
    torch.manual_seed(0)
    conv1, conv2 = nn.Conv2d(3, 4, 3), nn.Conv2d(4, 2, 1)
    x = torch.randn(2, 3, 8, 8)
    reference = conv2(F.relu(conv1(x)))
    scales = torch.tensor([4.0, 0.5, 2.0, 1.5])
    with torch.no_grad():
        conv1.weight /= scales.view(-1, 1, 1, 1)
        conv1.bias /= scales
        conv2.weight *= scales.view(1, -1, 1, 1)
    torch.testing.assert_close(conv2(F.relu(conv1(x))), reference, rtol=1e-4, atol=1e-5)

    t = torch.linspace(-10, 10, 101)
    activations = [F.relu, lambda v: F.leaky_relu(v, 0.1), F.relu6, torch.sigmoid]
    homogeneous = [torch.allclose(f(4 * t), 4 * f(t)) for f in activations]
    assert sorted(choice("debugging", "cle-activations").correct) == [
        i for i, ok in enumerate(homogeneous) if ok
    ]


def test_levels_left_by_outliers_and_per_tensor_scales() -> None:
    bulk = torch.quantize_per_tensor(torch.linspace(0, 4, 1001), 100 / 255, 0, torch.quint8)
    assert_answer("debugging", "minmax-outlier-levels", len(torch.unique(bulk.int_repr())))
    narrow = torch.quantize_per_tensor(torch.linspace(-0.1, 0.1, 1001), 10 / 127.5, 0, torch.qint8)
    assert_answer("debugging", "depthwise-levels-numeric", len(torch.unique(narrow.int_repr())))


def test_resnet18_fc_share() -> None:
    model = torchvision.models.resnet18()
    fc = sum(p.numel() for p in model.fc.parameters())
    total = sum(p.numel() for p in model.parameters())
    assert fc == 513_000
    assert_answer("debugging", "resnet18-fc-share", 100 * fc / total)


# --------------------------------------------------------------------------- LLM arithmetic


def test_llm_memory_arithmetic() -> None:
    params = 7e9
    assert_answer("llm-quantization", "mem-7b-fp16", params * 2 / 1e9)
    assert_answer("llm-quantization", "mem-7b-int8", params * 1 / 1e9)
    assert_answer("llm-quantization", "mem-7b-int4-g128", params * (4 + 32 / 128) / 8 / 1e9)
    assert_answer("llm-quantization", "decode-tokens-upper-bound", 1000 / (params * 2 / 1e9))
    assert_answer("llm-quantization", "kv-cache-llama2-7b", 2 * 32 * 4096 * 2 * 4096 / 2**30)
    assert_answer("llm-quantization", "kv-cache-gqa", 2 * 32 * 8 * 128 * 2 / 2**10)
    assert_answer("llm-quantization", "group-overhead-bits", 4 + 32 / 64)
    layer = 4096 * 4096 / 2 + 4096 * (4096 // 128) * 4
    assert_answer("llm-quantization", "int4-layer-size", layer / 2**20)


def test_fp8_limits() -> None:
    assert_answer("llm-quantization", "fp8-e4m3-max", torch.finfo(torch.float8_e4m3fn).max)
    assert torch.finfo(torch.float8_e5m2).max == 57344
    assert torch.finfo(torch.float8_e4m3fnuz).max == 240
    assert "max 448" in correct_options("llm-quantization", "fp8-formats")[0]
    assert "57344" in correct_options("llm-quantization", "fp8-formats")[0]


def test_smoothquant_and_awq_scales() -> None:
    # SmoothQuant reference: scales = act_scales.pow(alpha) / weight_scales.pow(1 - alpha)
    act, weight, alpha = torch.tensor([64.0]), torch.tensor([0.25]), 0.5
    s = act.pow(alpha) / weight.pow(1 - alpha)
    assert_answer("llm-quantization", "smoothquant-scale-numeric", s.item())
    assert (act / s).item() == pytest.approx((weight * s).item())
    # AWQ: scales = x_max.pow(ratio), then normalised by sqrt(max * min): ratios survive.
    s_x = torch.tensor([16.0, 1.0]).pow(0.5)
    s_x = s_x / (s_x.max() * s_x.min()).sqrt()
    assert_answer("llm-quantization", "awq-scale-ratio", (s_x[0] / s_x[1]).item())


# --------------------------------------------------------------------------- torchao / PT2E


def test_torchao_quantize_and_pt2e() -> None:
    torchao_quantization = pytest.importorskip("torchao.quantization")
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as xiq

    quantize_ = torchao_quantization.quantize_
    assert inspect.signature(quantize_).parameters["filter_fn"].default.__name__ == "_is_linear"
    config = torchao_quantization.Int4WeightOnlyConfig
    assert inspect.signature(config).parameters["group_size"].default == 128
    for name in (
        "Int8WeightOnlyConfig",
        "Int8DynamicActivationInt8WeightConfig",
        "Float8DynamicActivationFloat8WeightConfig",
    ):
        assert hasattr(torchao_quantization, name)

    # Default filter: Linear only; the module keeps its class, the weight becomes Int8Tensor.
    torch.manual_seed(0)
    mixed = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    quantize_(mixed, torchao_quantization.Int8WeightOnlyConfig())
    assert type(mixed[0].weight) is nn.Parameter and type(mixed[0].weight.data) is torch.Tensor
    assert type(mixed[2]) is nn.Linear and type(mixed[2].weight).__name__ == "Int8Tensor"

    mlp = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    before = saved_bytes(mlp)
    quantize_(mlp, torchao_quantization.Int8WeightOnlyConfig())
    after = saved_bytes(mlp)
    answer = deck("llm-quantization").card("torchao-quantize-api").answer
    assert f"{before:,}" in answer and f"{after:,}" in answer

    # PT2E: BN folded at prepare, Q/DQ graph with int8 weights after convert, static batch.
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU()).eval()
    example = (torch.randn(1, 3, 16, 16),)
    exported = torch.export.export(model, example).module()
    quantizer = xiq.X86InductorQuantizer()
    quantizer.set_global(xiq.get_default_x86_inductor_quantization_config())
    prepared = prepare_pt2e(exported, quantizer)
    assert not any("batch_norm" in str(n.target) for n in prepared.graph.nodes)
    error = raised(lambda: prepared(torch.randn(8, 3, 16, 16)))
    assert "Guard failed: input.size()[0] == 1" in str(error)
    assert (
        "Guard failed: input.size()[0] == 1"
        in deck("pytorch-workflow").card("pt2e-batch-guard").answer
    )
    prepared(*example)
    converted = convert_pt2e(prepared)
    targets = {str(n.target) for n in converted.graph.nodes if n.op == "call_function"}
    assert {
        "quantized_decomposed.quantize_per_tensor.default",
        "quantized_decomposed.dequantize_per_tensor.default",
        "quantized_decomposed.dequantize_per_channel.default",
        "aten.conv2d.default",
    } <= targets
    constants = [
        getattr(converted, n.target)
        for n in converted.graph.nodes
        if n.op == "get_attr" and hasattr(converted, n.target)
    ]
    assert any(c.dtype == torch.int8 and c.dim() == 4 for c in constants)
