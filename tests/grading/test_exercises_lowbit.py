"""qat-resnet18 and layer-sensitivity (the W4A4 exercises) through the real runner: the
starters fail saying what is missing, the solutions pass, and the usual wrong answers fail on
the check written for them (plain PTQ or an 8-bit qconfig handed in as QAT, QAT without
training or freezing; an SQNR off by a factor with too many layers above 4 bits, no layer
kept above 4 bits, a big layer kept in float).

Every baseline is trained anew on each machine and its floats differ with the CPU, so these
tests assert what the exercises promise: the structure of ResNet-18 (20 convolutions, 30
compared layers), which checks fail and why, and bounds that hold for any sane baseline. The
layers a test names come from the grader's own ranking in the result (or from the learner
file's own measurement), never from one run's figures. The soft QAT checks only show what
the learner's run reported: they score nothing, and the verdict rests on what the checker
measured.

All the files are graded once, two at a time with one thread each, against the session's
shared baseline. The QAT solution trains for a few minutes and sets the pace; the other
files are graded beside it, and only the layer-sensitivity solution searches for layers (the
others keep fixed ones or train for three steps).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from grading.grading_support import by_name, grade_all, grade_threads, home_with_baseline

from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import GradeResult

pytestmark = pytest.mark.grading

QAT, SENS = "qat-resnet18", "layer-sensitivity"

FAKE_QUANT = "trained with 4-bit fake quantization"
FROZEN = "BN and observers frozen before convert"
WEIGHTS = "weights are 4-bit"
ACTIVATIONS = "activations are 4-bit"
BEATS_PTQ = "beats W4A4 PTQ by >= 3 points"
NEAR_FP32 = "within 2.5 points of FP32"
QAT_CHECKS = [
    "returns a module",
    "all convolutions quantized",
    "conv+bn+relu fused",
    "fc quantized",
    FAKE_QUANT,
    FROZEN,
    "runs on INT8 kernels",
    WEIGHTS,
    ACTIVATIONS,
    BEATS_PTQ,
    NEAR_FP32,
]
QAT_SOFT = (FAKE_QUANT, FROZEN)  # the learner's run's report: shown, never worth a point
REPORTED = "Reported by your run, not verified by the grader"

SQNR = "layer_sqnr matches torch"
BUDGET = "at most 3 layers above 4 bits"
PACKED = "packed weights <= 0.25 of FP32"
RECOVERED = "wins back >= 33% of PTQ's loss"
SENS_CHECKS = ["layer_sqnr matches torch", "returns a module", "conv+bn+relu fused", BUDGET]
SENS_CHECKS += [PACKED, RECOVERED]

# ResNet-18's structure, the same on every machine.
CONVS = 20
COMPARED_LAYERS = 30  # the input quantizer, 20 convolutions, 8 residual adds, fc

# Plain W4A4 PTQ, calibrated on the very images the grader calibrates its own PTQ with (the
# training batches are a seeded shuffle, undone here): the grader's PTQ measured again, so
# its gain is about zero on any baseline.
QAT_AS_PTQ = """
import torch
from torch.ao.quantization import MinMaxObserver, QConfig, convert, prepare

from quizapp.grading.lowbit import TRAIN_SEED
from quizapp.grading.resnet_job import calibration_batches


def quantize(model, train_batches, qconfig):
    shuffled = torch.cat([images for images, _ in train_batches])
    order = torch.randperm(len(shuffled), generator=torch.Generator().manual_seed(TRAIN_SEED))
    images = torch.empty_like(shuffled)
    images[order] = shuffled
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
        for batch in calibration_batches(images):
            model(batch)
    return convert(model, inplace=True)
"""

KEPT_LINE = "    kept = most_sensitive(model, calibration_batches, qconfig)\n"
# Five layers at 8 bits, chosen by position (the first five convolutions), not measured.
FIRST_FIVE = ["conv1", "layer1.0.conv1", "layer1.0.conv2", "layer1.1.conv1", "layer1.1.conv2"]
FLOAT_LAYER = "layer4.1.conv2"  # the variant's choice: 512 x 512 x 3 x 3 weights

# (exercise, [(text replaced in its solution, replacement), ...]): the usual wrong answers.
VARIANTS = {
    # torch's own 8-bit QAT qconfig instead of the one handed in (three steps of training).
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
    "qat-untrained": (
        QAT,
        [("EPOCHS = 2\n", "EPOCHS = 0\n"), ("    model.apply(freeze_bn_stats)\n", "")],
    ),
    # 20 log10 of the power ratio (every figure twice torch's), and five layers at 8 bits.
    "sens-doubled-sqnr-five-layers": (
        SENS,
        [
            (
                "return (10 * torch.log10(reference.pow(2).sum() / noise)).item()",
                "return (20 * torch.log10(reference.pow(2).sum() / noise)).item()",
            ),
            (KEPT_LINE, f"    kept = {FIRST_FIVE!r}\n"),
        ],
    ),
    # The budget unspent: every layer at 4 bits, which is the grader's own PTQ again.
    "sens-none-kept": (SENS, [(KEPT_LINE, "    kept = []\n")]),
    # The biggest kind of layer in float, between a DeQuantStub and a QuantStub.
    "sens-float-conv": (
        SENS,
        [
            (
                KEPT_LINE,
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
    for name, (exercise_id, edits) in VARIANTS.items():
        source = catalogue.get(exercise_id).solution.read_text()
        for old, new in edits:
            assert old in source, name
            source = source.replace(old, new)
        path = folder / f"{name.replace('-', '_')}.py"
        path.write_text(source)
        jobs[name] = (exercise_id, path)
    ptq = folder / "qat_as_ptq.py"
    ptq.write_text(QAT_AS_PTQ)
    jobs["qat-as-ptq"] = (QAT, ptq)
    for exercise_id in (QAT, SENS):
        jobs[f"{exercise_id}-starter"] = (exercise_id, catalogue.get(exercise_id).starter)
    # A generous limit: these tests are about verdicts, and CI machines can be busy.
    return grade_all(jobs, home, timeout=900)


def _failing(result: GradeResult) -> list[str]:
    return [c.name for c in result.checks if c.status in ("fail", "error")]


def _count(measured: object) -> int:
    """The first number of a measured figure such as '3 of 30 (0 float)'."""
    match = re.match(r"\s*(\d+)", str(measured))
    assert match, measured
    return int(match.group(1))


def _above_names(message: str) -> list[str]:
    """The layers the budget check lists as above 4 bits ('name (float)', 'name (weights
    ...)')."""
    listed = message.split("above 4 bits: ", 1)[1] if "above 4 bits: " in message else message
    return re.findall(r"([\w.]+) \(", listed)


# --- qat-resnet18 -----------------------------------------------------------------------


def test_qat_solution_passes_on_what_the_grader_measures(graded) -> None:
    result = graded[f"{QAT}-solution"]
    assert result.status == "pass", result.message
    assert [c.name for c in result.checks] == QAT_CHECKS
    checks = by_name(result)
    # The report of the learner's run is shown and worth nothing: the score is the measured
    # checks' alone.
    hard = len(QAT_CHECKS) - len(QAT_SOFT)
    assert result.score == result.max_score == hard
    for name in QAT_SOFT:
        assert checks[name].max_score == 0 and checks[name].status == "pass"
        assert REPORTED in checks[name].message
    assert checks["all convolutions quantized"].measured == CONVS
    assert checks["runs on INT8 kernels"].measured == "20 conv, 1 linear, 8 add in INT8; 0 float"
    weights = checks[WEIGHTS].measured
    assert weights.startswith(f"{CONVS + 1} of {CONVS + 1} layers; integers in ")
    activations = checks[ACTIVATIONS].measured
    assert _count(activations) == int(activations.split(" of ")[1].split(";")[0])
    gain, drop = checks[BEATS_PTQ].measured, checks[NEAR_FP32].measured
    assert gain >= 3 and drop <= 2.5
    # gain + drop is what the grader's PTQ lost against FP32 in the same run: more than 3
    # points, or the setting would not be one QAT is needed for.
    assert gain + drop >= 3
    assert result.env.threads == grade_threads()


def test_qat_starter_fails_unconverted(graded) -> None:
    result = graded[f"{QAT}-starter"]
    assert result.status == "fail"
    checks = by_name(result)
    assert checks["returns a module"].status == "pass"
    convs = checks["all convolutions quantized"]
    assert convs.status == "fail" and convs.measured == 0
    assert f"0 of {CONVS} convolutions ran as INT8 kernels" in convs.message
    fake_quant = checks[FAKE_QUANT]
    assert fake_quant.status == "warn" and "convert() was never called" in fake_quant.message
    assert checks[BEATS_PTQ].status == "skip"


def test_plain_ptq_is_not_qat(graded) -> None:
    """W4A4 PTQ converts fine and is 4-bit; the run's report shows observers where fake
    quantizers belong (soft), and the measured accuracy is the grader's own PTQ's."""
    result = graded["qat-as-ptq"]
    assert result.status == "fail"
    checks = by_name(result)
    fake_quant = checks[FAKE_QUANT]
    assert fake_quant.status == "warn" and REPORTED in fake_quant.message
    assert "PTQ observers: prepare() calibrates, it does not train" in fake_quant.message
    assert checks[FROZEN].status == "warn"  # no conv+BN module reached convert()
    assert checks[WEIGHTS].status == "pass" and checks[ACTIVATIONS].status == "pass"
    assert abs(checks[BEATS_PTQ].measured) < 1  # the same PTQ, measured twice
    failing = _failing(result)
    assert BEATS_PTQ in failing and set(failing) <= {BEATS_PTQ, NEAR_FP32}
    assert result.score == result.max_score - len(failing)


def test_an_8bit_qconfig_fails_the_measured_bit_widths(graded) -> None:
    result = graded["qat-8bit"]
    assert result.status == "fail"
    checks = by_name(result)
    fake_quant = checks[FAKE_QUANT]
    assert fake_quant.status == "warn" and "integer ranges" in fake_quant.message
    weights = checks[WEIGHTS]
    assert weights.status == "fail" and "weights wider than 4 bits" in weights.message.lower()
    assert "per-channel weights" in weights.message  # torch's x86 QAT qconfig
    activations = checks[ACTIVATIONS]
    assert activations.status == "fail" and "quant (" in activations.message  # the input
    assert _count(activations.measured) < COMPARED_LAYERS
    assert _failing(result) == [WEIGHTS, ACTIVATIONS]
    assert checks[BEATS_PTQ].status == "skip"


def test_qat_without_training_or_freezing(graded) -> None:
    result = graded["qat-untrained"]
    assert result.status == "fail"
    checks = by_name(result)
    assert checks[FAKE_QUANT].status == "pass"  # the right fake quantizers, reported
    frozen = checks[FROZEN]
    assert frozen.status == "warn" and REPORTED in frozen.message
    assert frozen.measured.startswith(f"0 of {CONVS} conv+BN frozen, ")
    assert "freeze_bn_stats" in frozen.message and "disable_observer" in frozen.message
    # Whatever the run reports, the verdict is what the checker measured.
    assert set(_failing(result)) & {WEIGHTS, ACTIVATIONS, BEATS_PTQ, NEAR_FP32}


# --- layer-sensitivity ------------------------------------------------------------------


def test_sensitivity_solution_passes(graded) -> None:
    result = graded[f"{SENS}-solution"]
    assert result.status == "pass", result.message
    assert [c.name for c in result.checks] == SENS_CHECKS
    assert result.score == result.max_score == len(SENS_CHECKS)
    checks = by_name(result)
    sqnr = checks[SQNR]
    assert sqnr.measured == f"{COMPARED_LAYERS} of {COMPARED_LAYERS} layers"
    # The grader's ranking: three layers, lowest first, named as the quantized network's.
    lowest = re.findall(r"([\w.]+) (-?\d+\.\d+) dB", sqnr.message.split("The lowest: ")[1])
    assert len(lowest) == 3
    figures = [float(db) for _, db in lowest]
    assert figures == sorted(figures)
    assert all(re.fullmatch(r"quant|conv1|fc|layer[1-4]\.[01]\.[\w.]+", n) for n, _ in lowest)
    budget = checks[BUDGET]
    above = _above_names(budget.message)
    assert budget.measured == f"{len(above)} of {COMPARED_LAYERS} (0 float)"
    # Every layer above 4 bits is one the solution measured and chose to keep.
    printed = re.search(r"kept at 8 bits: (.+)", result.output)
    assert printed, result.output
    kept = printed.group(1).strip().split(", ")
    assert len(kept) == 3 and set(above) <= set(kept)
    assert 0.125 < checks[PACKED].measured < 0.25
    assert checks[RECOVERED].measured >= 1 / 3


def test_sensitivity_starter_fails_both_parts(graded) -> None:
    result = graded[f"{SENS}-starter"]
    assert result.status == "fail"
    checks = by_name(result)
    sqnr = checks[SQNR]
    missing = f"no figure for {COMPARED_LAYERS} of the {COMPARED_LAYERS} layers"
    assert sqnr.status == "fail" and missing in sqnr.message
    budget = checks[BUDGET]
    assert budget.status == "fail" and budget.measured == f"{CONVS + 1} of {CONVS + 1} (21 float)"
    assert "conv1 (float), layer1.0.conv1 (float)" in budget.message  # the grader's names
    assert "never converted" in budget.message or "prepare, calibrate" in budget.message
    assert checks[RECOVERED].status == "skip"


def test_a_doubled_sqnr_and_five_layers_fail_their_own_checks(graded) -> None:
    result = graded["sens-doubled-sqnr-five-layers"]
    assert _failing(result) == [SQNR, BUDGET]
    checks = by_name(result)
    assert "twice torch's" in checks[SQNR].message
    budget = checks[BUDGET]
    assert _count(budget.measured) >= len(FIRST_FIVE)
    assert budget.measured.endswith(f"of {COMPARED_LAYERS} (0 float)")
    assert set(FIRST_FIVE) <= set(_above_names(budget.message))
    assert checks[RECOVERED].status == "skip"


def test_plain_w4a4_ptq_wins_back_nothing(graded) -> None:
    """Within the budget and small, but it is the grader's own PTQ: nothing won back."""
    result = graded["sens-none-kept"]
    assert _failing(result) == [RECOVERED]
    checks = by_name(result)
    assert checks[BUDGET].measured.endswith(f"of {COMPARED_LAYERS} (0 float)")
    assert _count(checks[BUDGET].measured) <= 3
    assert checks[PACKED].measured < 0.25
    assert abs(checks[RECOVERED].measured) < 0.05  # the same PTQ, measured twice


def test_a_big_float_layer_costs_packed_size(graded) -> None:
    result = graded["sens-float-conv"]
    checks = by_name(result)
    budget = checks[BUDGET]
    assert budget.status == "pass" and budget.measured.endswith("(1 float)")
    # Named after the grader's own network: the 19th weighted layer op is layer4.1.conv2.
    assert f"{FLOAT_LAYER} (float)" in budget.message
    packed = checks[PACKED]
    assert packed.status == "fail" and packed.measured > 0.25
