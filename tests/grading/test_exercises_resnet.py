"""fix-the-lesson, eager-plain-resnet18 and fx-ptq-resnet18 through the real runner: every
starter fails saying what is wrong, every solution passes with the promised figures, and
the typical wrong answer of each exercise fails on the check written for it.

All the files are graded once, two at a time with one thread each (two 2-thread gradings
on two cores would spin-wait), against the session's shared baseline.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from grading.grading_support import by_name, grade_all, grade_threads, home_with_baseline

from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import GradeResult

pytestmark = [pytest.mark.grading, pytest.mark.slow]

FIX, EAGER, FX = "fix-the-lesson", "eager-plain-resnet18", "fx-ptq-resnet18"

COMMON_HEAD = [
    "returns a module",
    "all convolutions quantized",
    "conv+bn+relu fused",
    "fc quantized",
]
COMMON_TAIL = [
    "size <= 0.30 of FP32",
    "input range fits the data",
    "runs on INT8 kernels",
    "ReLU after every residual add",
    "runs on new batch sizes",
    "accuracy drop <= 1 point",
    "top-1 agreement >= 97%",
    "speedup at batch 1",
    "speedup at batch 64",
]
CHECKS = {
    FIX: COMMON_HEAD + COMMON_TAIL,
    EAGER: [*COMMON_HEAD, "residual adds are QFunctional", *COMMON_TAIL],
    FX: [*COMMON_HEAD, "quantized ops in the graph", *COMMON_TAIL],
}
SOFT = ("speedup at batch 1", "speedup at batch 64")
# Figures of a wrong network's predictions: how far they fall depends on the baseline.
FIDELITY = {"runs on new batch sizes", "accuracy drop <= 1 point", "top-1 agreement >= 97%"}

# (exercise, text replaced in its solution, replacement): the usual wrong answers.
VARIANTS = {
    "fix-randn": (
        FIX,
        "        for batch in calibration_batches:\n            model(batch)",
        "        model(torch.randn(1, 3, 224, 224))",
    ),
    "eager-relu-reused": (
        EAGER,
        "return self.skip_add.add_relu(out, identity)",
        "return self.relu(self.skip_add.add(out, identity))",
    ),
    "eager-plus-equal": (
        EAGER,
        "return self.skip_add.add_relu(out, identity)",
        "out += identity\n        return torch.relu(out)",
    ),
    "fx-uncalibrated": (
        FX,
        "        for batch in calibration_batches:\n            prepared(batch)",
        "        pass",
    ),
}

# Appended to the eager solution (its quantize renamed): a network whose INT8 modules are a
# front, while the forward runs a float copy kept out of sight.
HIDDEN_FLOAT = """

import copy


class Front(torch.nn.Module):
    def __init__(self, quantized, hidden):
        super().__init__()
        self.quantized = quantized
        self.hidden = hidden  # a plain list: not a submodule

    def forward(self, x):
        self.quantized(x)
        return self.hidden[0](x)


def quantize(model, calibration_batches):
    float_copy = copy.deepcopy(model).requires_grad_(False)  # constants in a trace
    return Front(quantize_for_real(model, calibration_batches), [float_copy])
"""


@pytest.fixture(scope="module")
def graded(
    baseline_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, GradeResult]:
    catalogue = load_catalogue()
    folder = tmp_path_factory.mktemp("resnet-learners")
    home = home_with_baseline(baseline_cache, tmp_path_factory, "resnet-home")

    jobs: dict[str, tuple[str, Path]] = {}
    for exercise_id in (FIX, EAGER, FX):  # the full gradings first: they take longest
        jobs[f"{exercise_id}-solution"] = (exercise_id, catalogue.get(exercise_id).solution)
    for name, (exercise_id, old, new) in VARIANTS.items():
        solution = catalogue.get(exercise_id).solution.read_text()
        assert old in solution, name
        path = folder / f"{name.replace('-', '_')}.py"
        path.write_text(solution.replace(old, new))
        jobs[name] = (exercise_id, path)
    hidden = folder / "hidden_float.py"
    eager = catalogue.get(EAGER).solution.read_text()
    hidden.write_text(eager.replace("def quantize(", "def quantize_for_real(") + HIDDEN_FLOAT)
    jobs["fix-hidden-float"] = (FIX, hidden)
    for exercise_id in (FIX, EAGER, FX):
        jobs[f"{exercise_id}-starter"] = (exercise_id, catalogue.get(exercise_id).starter)
    # A generous limit: these tests are about verdicts, and CI machines can be busy.
    return grade_all(jobs, home, timeout=600)


def _failing(result: GradeResult) -> list[str]:
    return [c.name for c in result.checks if c.status in ("fail", "error")]


@pytest.mark.parametrize("exercise_id", [FIX, EAGER, FX])
def test_the_solution_passes_with_the_promised_figures(graded, exercise_id: str) -> None:
    result = graded[f"{exercise_id}-solution"]
    assert result.status == "pass", result.message
    names = CHECKS[exercise_id]
    assert [c.name for c in result.checks] == names
    hard = len(names) - len(SOFT)
    assert result.score == result.max_score == hard
    checks = by_name(result)
    assert all(checks[n].status == "pass" for n in names if n not in SOFT)
    assert checks["all convolutions quantized"].measured == 20
    assert checks["conv+bn+relu fused"].measured == "0 BatchNorm, 9 conv+ReLU"
    assert 0.2 < checks["size <= 0.30 of FP32"].measured <= 0.30
    assert checks["input range fits the data"].measured <= 0.05
    assert checks["runs on INT8 kernels"].measured == "20 conv, 1 linear, 8 add in INT8; 0 float"
    assert checks["ReLU after every residual add"].measured == 0
    assert checks["accuracy drop <= 1 point"].measured <= 1.0
    assert checks["top-1 agreement >= 97%"].measured >= 97
    for soft in SOFT:  # measured, never failing
        assert checks[soft].status in ("pass", "warn") and checks[soft].measured > 0
    assert result.env.threads == grade_threads()


def test_the_plain_reference_is_the_trained_baseline(graded, baseline_cache: Path) -> None:
    """Baseline.plain_model() (the FP32 reference of these exercises) scores what the
    quantizable baseline scored when it was trained: the same weights, the same network."""
    sidecars = [json.loads(p.read_text()) for p in baseline_cache.glob("resnet18-digits-*.json")]
    seed = int(os.environ["QUIZAPP_TEST_BASELINE_SEED"])
    (shipped,) = [
        s for s in sidecars if s["recipe"]["train_limit"] is None and s["recipe"]["seed"] == seed
    ]
    trained = 100 * shipped["held_out_accuracy"]
    for exercise_id in (FIX, EAGER, FX):
        message = by_name(graded[f"{exercise_id}-solution"])["accuracy drop <= 1 point"].message
        assert f"vs {trained:.2f}% in FP32" in message


def test_the_lesson_as_printed_stops_at_fuse_model(graded) -> None:
    result = graded[f"{FIX}-starter"]
    assert result.status == "error"
    assert "AttributeError: 'ResNet' object has no attribute 'fuse_model'" in result.message
    assert "model_fp32.fuse_model()" in result.message  # the learner's own line
    assert "site-packages" not in result.message
    assert all(c.status == "skip" for c in result.checks)


def test_the_eager_starter_fails_naming_each_missing_piece(graded) -> None:
    result = graded[f"{EAGER}-starter"]
    assert result.status == "fail"
    checks = by_name(result)
    assert checks["returns a module"].status == "pass"
    convs = checks["all convolutions quantized"].message
    assert "0 of 20 convolutions ran as INT8 kernels" in convs
    assert "Still float: conv1, layer1.0.conv1" in convs  # named after the grader's network
    assert "fuse_modules" in checks["conv+bn+relu fused"].message
    adds = checks["residual adds are QFunctional"]
    assert adds.status == "fail" and "FloatFunctional" in adds.message
    assert "No input quantizer" in checks["input range fits the data"].message
    assert checks["accuracy drop <= 1 point"].status == "skip"  # a float model is not measured


def test_the_fx_starter_must_return_a_graph_module(graded) -> None:
    result = graded[f"{FX}-starter"]
    assert result.status == "fail" and result.score == 0
    first = result.checks[0]
    assert first.status == "fail"
    assert "returned a ResNet, not the GraphModule that convert_fx() returns" in first.message
    assert {c.status for c in result.checks[1:]} == {"skip"}


def test_noise_calibration_fails_the_range_check(graded) -> None:
    """The lesson's snippet: on these easy digits noise calibration may even keep the
    accuracy, so the range check is the one that must tell (the INT8 network is right)."""
    result = graded["fix-randn"]
    assert result.status == "fail"
    failing = _failing(result)
    assert failing[0] == "input range fits the data"
    assert set(failing) <= {"input range fits the data", *FIDELITY}
    message = by_name(result)["input range fits the data"].message
    assert "the calibration images span [" in message
    assert "not random data" in message


def test_a_reused_relu_is_caught_by_its_own_check(graded) -> None:
    result = graded["eager-relu-reused"]
    assert result.status == "fail"
    relu = by_name(result)["ReLU after every residual add"]
    assert relu.status == "fail" and relu.measured > 0
    assert "`self.relu`" in relu.message and "add_relu" in relu.message
    # The structure is right: only what the network computes is wrong.
    failing = _failing(result)
    assert failing[0] == "ReLU after every residual add"
    assert set(failing) <= {"ReLU after every residual add", *FIDELITY}


def test_a_quantized_plus_equal_is_explained(graded) -> None:
    result = graded["eager-plus-equal"]
    assert result.status == "fail"
    convs = by_name(result)["all convolutions quantized"]  # the first check that runs it
    assert convs.status == "fail" and convs.measured == "crashed"
    assert convs.message.startswith("The residual `out += identity` ran on quantized tensors")
    assert "with arguments from the 'QuantizedCPU' backend" in convs.message
    assert "This could be because" not in convs.message  # the dispatcher's backend list
    assert "out += identity" in convs.message.split("Traceback (your code only")[1]


def test_fx_without_calibration_fails_range_and_accuracy(graded) -> None:
    result = graded["fx-uncalibrated"]
    assert result.status == "fail"
    checks = by_name(result)
    assert checks["quantized ops in the graph"].status == "pass"  # the graph is built anyway
    assert "step 1.0000" in checks["input range fits the data"].message  # never observed
    failing = _failing(result)
    assert failing[0] == "input range fits the data"
    # Every activation at scale 1.0 and zero point 0: the predictions collapse.
    assert "accuracy drop <= 1 point" in failing
    assert set(failing) <= {"input range fits the data", *FIDELITY}


def test_int8_modules_in_front_of_a_float_forward_fail(graded) -> None:
    """INT8 modules as a front, a float copy computing the answer: what runs is float."""
    result = graded["fix-hidden-float"]
    assert result.status == "fail"
    convs = by_name(result)["all convolutions quantized"]
    assert convs.status == "fail" and "Still float" in convs.message
    assert by_name(result)["accuracy drop <= 1 point"].status == "skip"
