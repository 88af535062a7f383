"""Whatever the learner's file does, grading ends with the right status and a clear message,
and nothing the learner prints or patches can turn it into a pass.

The learner files are cheap (they fail before any real quantization) and graded in
parallel against the real ptq-resnet18 exercise, with the session's shared baseline.
"""

from __future__ import annotations

import json
import os
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from quizapp.grading.results import GradeResult
from quizapp.grading.runner import Event, run_check

pytestmark = [pytest.mark.grading, pytest.mark.slow]

EXERCISE = "ptq-resnet18"

FAKE_RESULT = {
    "exercise": EXERCISE,
    "status": "pass",
    "score": 9,
    "max_score": 9,
    "duration_s": 1.0,
    "message": "All checks passed",
    "checks": [],
    "env": {"torch": "2.14.1", "engine": "x86", "threads": 2},
}

LEARNERS = {
    "raises": """
        def helper():
            raise ValueError("calibration went wrong")

        def quantize(model, calibration_batches):
            model.eval()
            helper()
    """,
    "torch-raises": """
        import torch

        def quantize(model, calibration_batches):
            torch.ao.quantization.fuse_modules(model, [["conv1", "no_such_bn"]])
            return model
    """,
    "infinite-loop": """
        def quantize(model, calibration_batches):
            while True:
                pass
    """,
    "sys-exit": """
        import sys

        def quantize(model, calibration_batches):
            sys.exit(0)
    """,
    "exit-at-import": """
        raise SystemExit(3)
    """,
    "syntax-error": """
        def quantize(model, calibration_batches)
            return model
    """,
    "missing-function": """
        def quantise(model, calibration_batches):
            return model
    """,
    "returns-none": """
        def quantize(model, calibration_batches):
            model.eval()
    """,
    "fake-result": f"""
        import json, os, sys

        FAKE = {json.dumps(FAKE_RESULT)!r}

        def quantize(model, calibration_batches):
            print(FAKE)
            print(FAKE, file=sys.stderr)
            # Every descriptor the process has, the grader's result pipe included.
            fds = os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else range(64)
            for fd in map(int, fds):
                for line in (FAKE, json.dumps({{"kind": "result", **json.loads(FAKE)}})):
                    try:
                        os.write(fd, (line + "\\n").encode())
                    except OSError:
                        pass
            return model
    """,
    "print-flood": """
        import sys

        def quantize(model, calibration_batches):
            for _ in range(40):
                sys.stdout.write("flood " * 200_000)
            for i in range(100_000):
                print("line", i)
            return model
    """,
    "os-exit": """
        import os

        def quantize(model, calibration_batches):
            print("leaving now")
            os._exit(3)
    """,
    "segfault": """
        import ctypes

        def quantize(model, calibration_batches):
            return ctypes.string_at(0)
    """,
    "patches-torch": """
        import builtins
        import torch

        def quantize(model, calibration_batches):
            real_save = torch.save

            def tiny_save(obj, f, *args, **kwargs):
                real_save({}, f)

            torch.save = tiny_save
            builtins.isinstance = lambda obj, cls: True
            return model
    """,
    "lying-class": """
        import torch
        import torch.ao.nn.quantized as nnq

        class Liar(torch.nn.Module):
            @property
            def __class__(self):
                return nnq.Linear

            def forward(self, x):
                return self.inner(x)

        def quantize(model, calibration_batches):
            liar = Liar()
            liar.inner = model
            return liar
    """,
    "prepared-not-converted": """
        import torch
        from torch.ao.quantization import get_default_qconfig, prepare

        def quantize(model, calibration_batches):
            model.eval()
            model.fuse_model()
            model.qconfig = get_default_qconfig("x86")
            prepare(model, inplace=True)
            with torch.no_grad():
                model(calibration_batches[0])
            return model
    """,
}
TIMEOUTS = {"infinite-loop": 3.0}


@pytest.fixture(scope="module")
def graded(
    baseline_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[GradeResult, Path, list[Event]]]:
    """Grade every learner file above, three at a time (most of each run is torch's import)."""
    folder = tmp_path_factory.mktemp("learners")
    home = tmp_path_factory.mktemp("faults-home")
    (home / "cache").mkdir()
    (home / "cache" / "baseline").symlink_to(baseline_cache, target_is_directory=True)

    def grade(name: str) -> tuple[GradeResult, Path, list[Event]]:
        path = folder / f"{name.replace('-', '_')}.py"
        path.write_text(textwrap.dedent(LEARNERS[name]).lstrip())
        events: list[Event] = []
        result = run_check(
            EXERCISE, path, timeout=TIMEOUTS.get(name, 120.0), on_event=events.append
        )
        return result, path, events

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUIZAPP_HOME", str(home))
        with ThreadPoolExecutor(max_workers=3) as pool:
            return dict(zip(LEARNERS, pool.map(grade, LEARNERS), strict=True))


def _result(graded, name: str) -> GradeResult:
    result = graded[name][0]
    assert result.exercise == EXERCISE
    assert result.status != "pass", result.message
    return result


def test_an_exception_shows_only_the_learners_frames(graded) -> None:
    result = _result(graded, "raises")
    path = graded["raises"][1]
    assert result.status == "error"
    assert "quantize() raised ValueError: calibration went wrong" in result.message
    assert f'File "{path}", line 6, in quantize' in result.message
    assert f'File "{path}", line 2, in helper' in result.message
    assert "quizapp" not in result.message.replace(str(path), "")
    assert all(c.status == "skip" for c in result.checks)
    assert result.max_score == 11 and result.score == 0


def test_an_exception_inside_torch_names_the_learners_line(graded) -> None:
    result = _result(graded, "torch-raises")
    path = graded["torch-raises"][1]
    assert result.status == "error"
    assert f'File "{path}", line 4, in quantize' in result.message
    assert "site-packages" not in result.message
    assert "AttributeError" in result.message


def test_an_endless_loop_times_out_well_inside_the_limit(graded) -> None:
    result, _, events = graded["infinite-loop"]
    assert result.status == "timeout"
    assert "time limit of 3 s" in result.message
    assert any(e.kind == "phase" and e.data.get("phase") == "grading" for e in events)


def test_sys_exit_inside_quantize_is_an_error(graded) -> None:
    result = _result(graded, "sys-exit")
    assert result.status == "error"
    assert "quantize() called sys.exit(0)" in result.message
    assert "line 4, in quantize" in result.message


def test_exit_while_loading_is_an_error(graded) -> None:
    result = _result(graded, "exit-at-import")
    assert result.status == "error"
    assert "Your file, while loading, called sys.exit(3)" in result.message


def test_a_syntax_error_names_the_line(graded) -> None:
    result = _result(graded, "syntax-error")
    path = graded["syntax-error"][1]
    assert result.status == "error"
    assert result.message.startswith(f"Your file has a syntax error ({path}, line 1)")
    assert "def quantize(model, calibration_batches)" in result.message


def test_a_missing_entry_point_is_an_error(graded) -> None:
    result = _result(graded, "missing-function")
    assert result.status == "error"
    assert "does not define quantize()" in result.message


def test_returning_none_is_an_error(graded) -> None:
    result = _result(graded, "returns-none")
    assert result.status == "error"
    first = result.checks[0]
    assert (first.name, first.status) == ("returns a module", "error")
    assert "returned None" in first.message and "return model" in first.message
    assert {c.status for c in result.checks[1:]} == {"skip"}


def test_a_printed_or_written_fake_result_is_only_output(graded) -> None:
    result = _result(graded, "fake-result")
    assert result.status == "fail"  # the FP32 model it returned, graded as such
    assert result.output.count('"status": "pass"') >= 2  # stdout and stderr, shown as output
    assert result.score < result.max_score


def test_a_print_flood_is_bounded_and_does_not_hang(graded) -> None:
    result = graded["print-flood"][0]
    assert result.status == "fail"  # finished, within the time limit
    assert result.output_truncated
    assert len(result.output) < 40_000
    assert result.output.startswith("flood flood")
    assert result.output.rstrip().endswith("line 99999")


def test_os_exit_is_an_error(graded) -> None:
    result = _result(graded, "os-exit")
    assert result.status == "error"
    assert "ended without a result (exit code 3)" in result.message
    assert "leaving now" in result.output


def test_a_segfault_is_an_error_naming_the_line(graded) -> None:
    result = _result(graded, "segfault")
    path = graded["segfault"][1]
    assert result.status == "error"
    assert "segmentation fault" in result.message
    assert f'File "{path}", line 4 in quantize' in result.message


def test_patching_torch_or_builtins_is_an_error(graded) -> None:
    """Whatever the learner's code does to torch or Python in its own process, it can only
    break its own run (the checker's torch is another process's)."""
    result = _result(graded, "patches-torch")
    assert result.status == "error"
    assert "Did your code change torch or Python itself?" in result.message


def test_a_class_lying_about_its_type_fails(graded) -> None:
    """A float network behind a class that claims to be torch's INT8 Linear: what runs is
    measured, not what the class says."""
    result = _result(graded, "lying-class")
    assert result.status == "fail"
    convs = {c.name: c for c in result.checks}["all convolutions quantized"]
    assert convs.status == "fail" and convs.measured == 0


def test_prepared_but_not_converted_fails_and_says_convert(graded) -> None:
    result = _result(graded, "prepared-not-converted")
    assert result.status == "fail"
    by_name = {c.name: c for c in result.checks}
    convs = by_name["all convolutions quantized"]
    assert convs.status == "fail" and convs.measured == 0
    assert "call convert()" in convs.message
    assert by_name["fc quantized"].status == "fail"
    assert by_name["conv+bn+relu fused"].status == "pass"  # fusion was done


def test_events_announce_the_checks_in_order(graded) -> None:
    result, _, events = graded["prepared-not-converted"]
    kinds = [e.kind for e in events]
    assert kinds.index("env") < kinds.index("checks") < kinds.index("check_started")
    names = next(e.data["names"] for e in events if e.kind == "checks")
    assert names == [c.name for c in result.checks]
    finished = [e.check.name for e in events if e.kind == "check_finished" and e.check]
    assert finished == names


def test_cancel_kills_the_child_and_returns_a_cancelled_result(tmp_path: Path) -> None:
    learner = tmp_path / "loop.py"
    learner.write_text(textwrap.dedent(LEARNERS["infinite-loop"]))
    cancel = threading.Event()
    pids: list[int] = []

    def on_event(event: Event) -> None:
        if event.kind == "started":
            pids.append(int(event.data["pid"]))
            cancel.set()  # as a TUI's cancel button would, from another thread

    result = run_check(EXERCISE, learner, on_event=on_event, cancel=cancel)
    assert result.cancelled and result.status == "error"
    assert result.message == "Grading was cancelled."
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)


def test_a_missing_file_is_an_error_without_a_child(tmp_path: Path) -> None:
    result = run_check(EXERCISE, tmp_path / "nope.py")
    assert result.status == "error" and "no such file" in result.message
