"""qat-resnet18 and layer-sensitivity (the W4A4 exercises) through the real runner: the
starters fail saying what is missing, the solutions pass with the promised figures, and the
usual wrong answers fail on the check written for them (plain PTQ or an 8-bit qconfig
handed in as QAT, QAT without training or freezing; an SQNR off by a factor with too many
layers above 4 bits, the wrong layers, a big layer kept in float).

All the files are graded once, two at a time with one thread each, against the session's
shared baseline. The QAT solution trains for a minute or two and sets the pace; every other
file is graded beside it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from grading.grading_support import by_name, grade_all, home_with_baseline

from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import GradeResult

QAT, SENS = "qat-resnet18", "layer-sensitivity"

QAT_CHECKS = [
    "returns a module",
    "all convolutions quantized",
    "conv+bn+relu fused",
    "fc quantized",
    "trained with 4-bit fake quantization",
    "BN and observers frozen before convert",
    "runs on INT8 kernels",
    "weights are 4-bit",
    "activations are 4-bit",
    "beats W4A4 PTQ by >= 3 points",
    "within 2.5 points of FP32",
]
SENS_CHECKS = [
    "layer_sqnr matches torch",
    "returns a module",
    "conv+bn+relu fused",
    "at most 3 layers above 4 bits",
    "packed weights <= 0.25 of FP32",
    "wins back >= 33% of PTQ's loss",
]

# Plain W4A4 PTQ of the same network, calibrated on the training images it was given.
QAT_AS_PTQ = """
import torch
from torch.ao.quantization import QConfig, MinMaxObserver, convert, prepare


def quantize(model, train_batches, qconfig):
    model.eval()
    model.fuse_model()
    model.qconfig = QConfig(
        activation=MinMaxObserver.with_args(dtype=torch.quint8, quant_min=0, quant_max=15),
        weight=MinMaxObserver.with_args(
            dtype=torch.qint8, qscheme=torch.per_tensor_symmetric, quant_min=-8, quant_max=7
        ),
    )
    prepare(model, inplace=True)
    with torch.no_grad():
        for images, _ in train_batches[:8]:
            model(images)
    return convert(model, inplace=True)
"""

# (exercise, [(text replaced in its solution, replacement), ...]): the usual wrong answers.
VARIANTS = {
    # torch's own 8-bit QAT qconfig instead of the one handed in (a few steps of training).
    "qat-8bit": (
        QAT,
        [
            (
                "    model.qconfig = qconfig\n",
                "    model.qconfig = torch.ao.quantization.get_default_qat_qconfig('x86')\n",
            ),
            ("in train_batches:", "in train_batches[:3]:"),
        ],
    ),
    # prepare_qat, then straight to convert: no training, nothing frozen.
    "qat-untrained": (QAT, [("EPOCHS = 2\n", "EPOCHS = 0\n")]),
    # 20 log10 of the power ratio: every figure twice torch's.
    # 20 log10 of the power ratio (every figure twice torch's), and five layers at 8 bits.
    "sens-doubled-sqnr-five-layers": (
        SENS,
        [
            (
                "return (10 * torch.log10(reference.pow(2).sum() / noise)).item()",
                "return (20 * torch.log10(reference.pow(2).sum() / noise)).item()",
            ),
            (
                "    kept = most_sensitive(model, calibration_batches, qconfig)\n",
                "    kept = ['layer4.0.downsample.0', 'fc', 'layer2.0.downsample.0',"
                " 'layer2.1.conv2', 'layer1.0.conv2']\n",
            ),
        ],
    ),
    # Three layers that measure as the least sensitive.
    "sens-wrong-layers": (
        SENS,
        [
            (
                "    kept = most_sensitive(model, calibration_batches, qconfig)\n",
                "    kept = ['layer4.1.conv2', 'layer1.1.add_relu', 'layer3.1.conv1']\n",
            )
        ],
    ),
    # The biggest layer in float, between a DeQuantStub and a QuantStub.
    "sens-float-conv": (
        SENS,
        [
            (
                "    kept = most_sensitive(model, calibration_batches, qconfig)\n",
                "    kept = []\n"
                "    block = model.layer4[1]\n"
                "    block.conv2 = torch.nn.Sequential(\n"
                "        torch.ao.quantization.DeQuantStub(),\n"
                "        block.conv2,\n"
                "        torch.ao.quantization.QuantStub(),\n"
                "    )\n"
                "    block.conv2[1].qconfig = None\n",
            )
        ],
    ),
}


@pytest.fixture(scope="module")
def graded(
    baseline_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, GradeResult]:
    catalogue = load_catalogue()
    folder = tmp_path_factory.mktemp("lowbit-learners")
    home = home_with_baseline(baseline_cache, tmp_path_factory, "lowbit-home")

    jobs: dict[str, tuple[str, Path]] = {
        f"{QAT}-solution": (QAT, catalogue.get(QAT).solution),  # the longest: first
        f"{SENS}-solution": (SENS, catalogue.get(SENS).solution),
    }
    ptq = folder / "qat_as_ptq.py"
    ptq.write_text(QAT_AS_PTQ)
    jobs["qat-as-ptq"] = (QAT, ptq)
    for name, (exercise_id, edits) in VARIANTS.items():
        source = catalogue.get(exercise_id).solution.read_text()
        for old, new in edits:
            assert old in source, name
            source = source.replace(old, new)
        path = folder / f"{name.replace('-', '_')}.py"
        path.write_text(source)
        jobs[name] = (exercise_id, path)
    for exercise_id in (QAT, SENS):
        jobs[f"{exercise_id}-starter"] = (exercise_id, catalogue.get(exercise_id).starter)
    # A generous limit: these tests are about verdicts, and CI machines can be busy.
    return grade_all(jobs, home, timeout=900)


def _failing(result: GradeResult) -> list[str]:
    return [c.name for c in result.checks if c.status in ("fail", "error")]


# --- qat-resnet18 -----------------------------------------------------------------------


def test_qat_solution_passes_with_the_promised_figures(graded) -> None:
    result = graded[f"{QAT}-solution"]
    assert result.status == "pass", result.message
    assert [c.name for c in result.checks] == QAT_CHECKS
    assert result.score == result.max_score == len(QAT_CHECKS)
    checks = by_name(result)
    assert checks["trained with 4-bit fake quantization"].measured == (
        "21 QAT layers, 51 fake quantizers, 0 PTQ observers"
    )
    assert checks["BN and observers frozen before convert"].measured == (
        "20 of 20 conv+BN frozen, 0 of 51 observers running"
    )
    assert checks["weights are 4-bit"].measured == "21 of 21 layers; integers in -8..7"
    assert checks["activations are 4-bit"].measured.startswith("30 of 30;")
    gain = checks["beats W4A4 PTQ by >= 3 points"].measured
    drop = checks["within 2.5 points of FP32"].measured
    assert gain >= 3 and drop <= 2.5
    # gain + drop is what the grader's PTQ lost against FP32 in the same run: at least 3
    # points, or the setting would not be one QAT is needed for.
    assert gain + drop >= 3
    assert result.env.threads == 1


def test_qat_starter_fails_unconverted(graded) -> None:
    result = graded[f"{QAT}-starter"]
    assert result.status == "fail"
    checks = by_name(result)
    assert checks["returns a module"].status == "pass"
    assert "0 of 20 convolutions are INT8" in checks["all convolutions quantized"].message
    fake_quant = checks["trained with 4-bit fake quantization"]
    assert fake_quant.status == "fail" and "convert() was never called" in fake_quant.message
    assert checks["beats W4A4 PTQ by >= 3 points"].status == "skip"


def test_plain_ptq_is_not_qat(graded) -> None:
    """W4A4 PTQ converts fine and is 4-bit, but convert() got observers, not fake
    quantizers, and it does not beat the grader's own PTQ."""
    result = graded["qat-as-ptq"]
    assert result.status == "fail"
    checks = by_name(result)
    fake_quant = checks["trained with 4-bit fake quantization"]
    assert fake_quant.status == "fail"
    assert "PTQ observers: prepare() calibrates, it does not train" in fake_quant.message
    assert checks["weights are 4-bit"].status == "pass"
    assert checks["activations are 4-bit"].status == "pass"
    assert checks["beats W4A4 PTQ by >= 3 points"].measured < 3
    assert _failing(result) == [
        "trained with 4-bit fake quantization",
        "beats W4A4 PTQ by >= 3 points",
        "within 2.5 points of FP32",
    ]
    assert checks["BN and observers frozen before convert"].status == "skip"


def test_an_8bit_qconfig_fails_the_bit_widths(graded) -> None:
    result = graded["qat-8bit"]
    assert result.status == "fail"
    checks = by_name(result)
    fake_quant = checks["trained with 4-bit fake quantization"]
    assert fake_quant.status == "fail" and "integer ranges" in fake_quant.message
    weights = checks["weights are 4-bit"]
    assert weights.status == "fail" and "weights wider than 4 bits" in weights.message.lower()
    activations = checks["activations are 4-bit"]
    assert activations.status == "fail" and activations.measured.startswith("0 of 30;")
    assert checks["beats W4A4 PTQ by >= 3 points"].status == "skip"


def test_qat_without_training_or_freezing(graded) -> None:
    result = graded["qat-untrained"]
    assert result.status == "fail"
    checks = by_name(result)
    assert checks["trained with 4-bit fake quantization"].status == "pass"
    frozen = checks["BN and observers frozen before convert"]
    assert frozen.status == "fail"
    assert frozen.measured == "0 of 20 conv+BN frozen, 51 of 51 observers running"
    assert "freeze_bn_stats" in frozen.message and "disable_observer" in frozen.message


# --- layer-sensitivity ------------------------------------------------------------------


def test_sensitivity_solution_passes_with_the_promised_figures(graded) -> None:
    result = graded[f"{SENS}-solution"]
    assert result.status == "pass", result.message
    assert [c.name for c in result.checks] == SENS_CHECKS
    assert result.score == result.max_score == len(SENS_CHECKS)
    checks = by_name(result)
    sqnr = checks["layer_sqnr matches torch"]
    assert sqnr.measured == "30 of 30 layers"
    assert "The lowest: layer4.0.downsample.0" in sqnr.message
    budget = checks["at most 3 layers above 4 bits"]
    assert budget.measured == "3 of 30 (0 float)"
    assert "layer4.0.downsample.0 (weights" in budget.message
    assert 0.125 < checks["packed weights <= 0.25 of FP32"].measured < 0.15
    assert checks["wins back >= 33% of PTQ's loss"].measured >= 1 / 3
    assert "kept at 8 bits: layer4.0.downsample.0" in result.output


def test_sensitivity_starter_fails_both_parts(graded) -> None:
    result = graded[f"{SENS}-starter"]
    assert result.status == "fail"
    checks = by_name(result)
    sqnr = checks["layer_sqnr matches torch"]
    assert sqnr.status == "fail" and "no figure for 30 of the 30 layers" in sqnr.message
    budget = checks["at most 3 layers above 4 bits"]
    assert budget.status == "fail" and budget.measured == "21 of 21 (21 float)"
    assert "never converted" in budget.message or "prepare, calibrate" in budget.message
    assert checks["wins back >= 33% of PTQ's loss"].status == "skip"


def test_a_doubled_sqnr_and_five_layers_fail_their_own_checks(graded) -> None:
    result = graded["sens-doubled-sqnr-five-layers"]
    assert _failing(result) == ["layer_sqnr matches torch", "at most 3 layers above 4 bits"]
    checks = by_name(result)
    assert "twice torch's" in checks["layer_sqnr matches torch"].message
    assert checks["at most 3 layers above 4 bits"].measured == "5 of 30 (0 float)"
    assert checks["wins back >= 33% of PTQ's loss"].status == "skip"


def test_the_wrong_layers_win_back_little(graded) -> None:
    result = graded["sens-wrong-layers"]
    assert _failing(result) == ["wins back >= 33% of PTQ's loss"]
    assert by_name(result)["at most 3 layers above 4 bits"].measured == "3 of 30 (0 float)"
    assert by_name(result)["wins back >= 33% of PTQ's loss"].measured < 1 / 3


def test_a_big_float_layer_costs_packed_size(graded) -> None:
    result = graded["sens-float-conv"]
    checks = by_name(result)
    budget = checks["at most 3 layers above 4 bits"]
    assert budget.status == "pass" and budget.measured == "1 of 31 (1 float)"
    assert "layer4.1.conv2.1 (float)" in budget.message
    packed = checks["packed weights <= 0.25 of FP32"]
    assert packed.status == "fail" and packed.measured > 0.25
