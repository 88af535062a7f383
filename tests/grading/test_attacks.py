"""Submissions that attack the grader, graded through `quizapp check` as a learner would.

Before the grader became a judge, each of these turned a grade into a pass, read the
answers, changed what later grades trust, or escaped its limits: the checks ran inside the
learner's process. Now the learner's process only produces artifacts, the verdict is made
by a checker that never runs learner Python, and (with bubblewrap) the learner's process
sees a read-only system without quizapp's folders. Each test states what the attack tried
and asserts that it got nothing.

The tamper tests need the sandbox and are skipped without bubblewrap (`.ci/run` installs
it); the tests of processes and limits run both sandboxed and not.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import socket
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from grading.grading_support import by_name, home_with_baseline

from quizapp.grading import sandbox
from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import GradeResult
from quizapp.grading.runner import run_check
from quizapp.storage.db import Database
from quizapp.storage.exercises import results

pytestmark = [pytest.mark.grading, pytest.mark.slow]

SANDBOX = sandbox.bwrap_path() is not None and sandbox.sandbox_setting() != "off"
needs_sandbox = pytest.mark.skipif(
    not SANDBOX,
    reason="the tamper tests need the bubblewrap sandbox: apt-get install bubblewrap "
    "(and QUIZAPP_SANDBOX not set to off)",
)
MATH, PTQ = "int8-affine-math", "ptq-resnet18"

# Wrong answers for int8-affine-math, appended to every math attack: the attack's payload
# runs when the file loads, then these are graded.
WRONG_MATH = """

def qrange(dtype, reduce_range=False):
    return (0, 0)


def quantize(x, scale, zero_point, dtype):
    return 0


def dequantize(q, scale, zero_point):
    return 0.0


def qparams(x_min, x_max, dtype="quint8", qscheme="affine", reduce_range=False):
    return (1.0, 0)
"""

ATTACKS = {
    # Forge the verdict from inside: the old worker's checks, channel and token lived here.
    "forge-pass": """
        import gc, json, os, sys

        FAKE = {"kind": "result", "status": "pass", "message": "All checks passed",
                "score": 8, "max_score": 8, "checks": []}
        try:
            import quizapp.grading.checks as library
            library.passed.__code__ = library.failed.__code__  # a function's __code__
            library.SCALE_REL_TOL = 1e9  # a module-level threshold
        except Exception:
            pass
        for module in list(sys.modules.values()):  # every checks module this process has
            for name in ("SCALE_REL_TOL", "DEQUANT_REL_TOL", "MAX_SIZE_RATIO"):
                if hasattr(module, name):
                    setattr(module, name, 1e9)
        main = sys.modules.get("__main__")
        for obj in gc.get_objects():  # the old Channel / Worker / token
            for attr in ("channel", "token", "send"):
                if hasattr(type(obj), attr) or (isinstance(obj, dict) and attr in obj):
                    pass
        for fd in map(int, os.listdir("/proc/self/fd")):
            for line in (json.dumps(FAKE), "token " + json.dumps(FAKE)):
                try:
                    os.write(fd, (line + "\\n").encode())
                except OSError:
                    pass
    """,
    # Against the old grader, these two turned 0/8 into a stored "pass 8/8": the result
    # channel found through gc and a forged result sent with its token; `failed`'s code
    # swapped for `passed`'s (the function objects stay the same, so an identity check of
    # torch's and quizapp's namespaces saw nothing).
    "forge-channel": """
        import gc, os
        for obj in gc.get_objects():
            if type(obj).__name__ == "Channel" and hasattr(obj, "token") and hasattr(obj, "fd"):
                suite = next(o for o in gc.get_objects() if type(o).__name__ == "Suite")
                checks = [{"name": c.name, "status": "pass", "message": "ok", "measured": None,
                           "threshold": None, "score": c.max_score, "max_score": c.max_score}
                          for c in suite.checks]
                total = sum(c.max_score for c in suite.checks)
                obj.send("result", status="pass", message="All checks passed.",
                         score=total, max_score=total, checks=checks)
                os._exit(0)
        print("NO CHANNEL")
    """,
    "swap-code": """
        import quizapp.grading.checks as library
        library.failed.__code__ = library.passed.__code__
    """,
    # Read the expected answers from the grader's frames and objects.
    "read-answers": """
        import gc, sys

        ANSWERS = None

        def _answer(args):
            global ANSWERS
            if ANSWERS is None:  # the grader's Case objects: in its objects or its frames
                ANSWERS = {}
                frame = sys._getframe()
                while frame is not None:
                    for value in frame.f_locals.values():
                        if type(value).__name__ == "Case":
                            ANSWERS[value.args] = value.expected
                    frame = frame.f_back
                for obj in gc.get_objects():
                    if type(obj).__name__ == "Case" and hasattr(obj, "expected"):
                        ANSWERS[obj.args] = obj.expected
            return ANSWERS.get(tuple(args))

        def qrange(*args):
            return _answer(args) or (0, 0)

        def quantize(*args):
            found = _answer(args)
            return found if found is not None else -999

        def dequantize(*args):
            found = _answer(args)
            return found if found is not None else -999.0

        def qparams(*args):
            return _answer(args) or (1.0, 0)
    """,
    # Write a pass for another exercise into the progress database.
    "write-progress": """
        import os, sys
        os.environ["QUIZAPP_HOME"] = HOME
        try:
            from quizapp.storage.db import Database
            from quizapp.storage.exercises import record_result
            with Database() as db:
                record_result(db, {"exercise": "ptq-resnet18", "status": "pass", "score": 11,
                                   "max_score": 11, "duration_s": 1.0, "message": "forged",
                                   "checks": [], "env": {}})
            print("WROTE the database")
        except Exception as exc:
            print("BLOCKED the database:", type(exc).__name__, exc)
    """,
    # Rewrite the baseline cache, checksum included, so later grades measure little.
    "rewrite-baseline": """
        import glob, hashlib, json, os
        for path in glob.glob(BASELINE + "/*"):
            try:
                with open(path, "ab") as handle:
                    handle.write(b"")
                print("WROTE", path)
            except OSError as exc:
                print("BLOCKED", path, exc)
    """,
    # Read the per-install secret and the held-out split.
    "read-secret": """
        import glob
        found = glob.glob(BASELINE + "/*")
        print("FOUND" if found else "NOTFOUND", len(found))
    """,
    # Write into the installed package: a sitecustomize.py on the path, an exercise's checks.
    "write-install": """
        import os, site, subprocess, sys
        subprocess.run(["mount", "-o", "remount,rw", "/"], capture_output=True)
        targets = [os.path.join(p, MARKER) for p in sys.path + site.getsitepackages()
                   if p and os.path.isdir(p)]
        for target in targets:
            try:
                with open(target, "w") as handle:
                    handle.write("# quizapp attack marker\\n")
                print("WROTE", target)
            except OSError as exc:
                print("BLOCKED", target, exc.strerror)
        try:
            with open(CHECKS, "a") as handle:  # appends nothing: the open alone must fail
                pass
            print("WROTE", CHECKS)
        except OSError as exc:
            print("BLOCKED", CHECKS, exc.strerror)
    """,
    # Reach the network (the test listens on PORT).
    "network": """
        import socket
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
            print("CONNECTED")
        except OSError as exc:
            print("NO NETWORK", exc)
    """,
}
# Submissions graded against ptq-resnet18: a float network dressed as torch's INT8 classes.
DISGUISE = """
import torch


def disguise(module, name):
    cls = type(module)
    fake = type(name, (cls,), {"__module__": "torch.ao.nn.quantized.modules.conv"})
    fake.__qualname__ = name
    module.__class__ = fake


def quantize(model, calibration_batches):
    for _, module in model.named_modules():
        if isinstance(module, torch.nn.Conv2d):
            disguise(module, "Conv2d")
        elif isinstance(module, torch.nn.Linear):
            disguise(module, "Linear")
    return model.eval()
"""


@dataclass
class Attacks:
    graded: dict[str, GradeResult]
    constants: dict[str, object]
    home: Path
    baseline_before: dict[str, str]
    baseline_after: dict[str, str]
    connections: int


@pytest.fixture(scope="module")
def attacked(baseline_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Attacks:
    """Every attack graded once, three at a time, in a home sharing the session's baseline."""
    if not SANDBOX:
        pytest.skip("needs the bubblewrap sandbox")
    folder = tmp_path_factory.mktemp("attacks")
    home = home_with_baseline(baseline_cache, tmp_path_factory, "attacks-home")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    constants: dict[str, object] = {
        "HOME": str(home),
        "BASELINE": str(baseline_cache.resolve()),
        "MARKER": f"quizapp_attack_{secrets.token_hex(4)}.py",
        "CHECKS": str(load_catalogue().get(MATH).checks),
        "PORT": server.getsockname()[1],
    }
    prelude = "".join(f"{name} = {value!r}\n" for name, value in constants.items())
    jobs: dict[str, tuple[str, Path]] = {}
    for name, payload in ATTACKS.items():
        path = folder / f"{name.replace('-', '_')}.py"
        body = textwrap.dedent(payload)
        if name != "read-answers":
            body += WRONG_MATH
        path.write_text(prelude + body)
        jobs[name] = (MATH, path)
    disguise = folder / "disguise.py"
    disguise.write_text(DISGUISE)
    jobs["disguise"] = (PTQ, disguise)

    def grade(job: tuple[str, Path]) -> GradeResult:
        exercise_id, path = job
        return run_check(exercise_id, path, timeout=120)

    before = _digests(baseline_cache)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUIZAPP_HOME", str(home))
        with ThreadPoolExecutor(max_workers=3) as pool:
            graded = dict(zip(jobs, pool.map(grade, jobs.values()), strict=True))
    connections = 0
    with contextlib.suppress(OSError):
        while True:
            server.accept()[0].close()
            connections += 1
    server.close()
    return Attacks(graded, constants, home, before, _digests(baseline_cache), connections)


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.resolve().iterdir())
        if p.is_file()
    }


@needs_sandbox
def test_forging_a_pass_from_inside_does_nothing(attacked: Attacks) -> None:
    result = attacked.graded["forge-pass"]
    assert result.status == "fail"
    assert result.score == 0
    assert all(c.status == "fail" for c in result.checks)
    assert '"status": "pass"' not in result.message


@needs_sandbox
@pytest.mark.parametrize("attack", ["forge-channel", "swap-code"])
def test_the_verdict_is_not_in_the_learners_process(attacked: Attacks, attack: str) -> None:
    result = attacked.graded[attack]
    assert result.status == "fail" and result.score == 0
    assert by_name(result)["integer ranges"].measured == "0/4"


@needs_sandbox
def test_the_expected_answers_are_not_in_the_learners_process(attacked: Attacks) -> None:
    result = attacked.graded["read-answers"]
    assert result.status == "fail"
    checks = by_name(result)
    assert checks["quantize: in-range values"].measured == "0/300"
    assert checks["qparams: affine"].measured.startswith("0/")


@needs_sandbox
def test_the_progress_database_is_out_of_reach(attacked: Attacks) -> None:
    result = attacked.graded["write-progress"]
    assert result.status == "fail"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUIZAPP_HOME", str(attacked.home))
        with Database() as db:
            assert results(db, PTQ) == []


@needs_sandbox
def test_the_baseline_cache_can_be_neither_read_nor_written(attacked: Attacks) -> None:
    assert attacked.baseline_after == attacked.baseline_before
    assert "WROTE" not in attacked.graded["rewrite-baseline"].output
    assert "NOTFOUND 0" in attacked.graded["read-secret"].output


@needs_sandbox
def test_the_installed_package_is_read_only(attacked: Attacks) -> None:
    result = attacked.graded["write-install"]
    assert "BLOCKED" in result.output and "WROTE" not in result.output
    import quizapp

    package_root = Path(quizapp.__file__).resolve().parents[1]
    assert not (package_root / str(attacked.constants["MARKER"])).exists()
    assert result.status == "fail"


@needs_sandbox
def test_the_learners_process_has_no_network(attacked: Attacks) -> None:
    assert "NO NETWORK" in attacked.graded["network"].output
    assert attacked.connections == 0


@needs_sandbox
def test_float_layers_dressed_as_int8_classes_are_float(attacked: Attacks) -> None:
    result = attacked.graded["disguise"]
    assert result.status == "fail"
    checks = by_name(result)
    assert checks["all convolutions quantized"].measured == 0
    assert "Still float: conv1" in checks["all convolutions quantized"].message
    assert checks["fc quantized"].status == "fail"


# --- processes and limits: with the sandbox and without it --------------------------------

MODES = [
    pytest.param("sandbox", marks=needs_sandbox, id="sandboxed"),
    pytest.param("off", id="not-sandboxed"),
]

ESCAPES = {
    # A daemon that leaves the process group and session: setsid, then a double fork.
    "double-fork": """
        import os, time

        def qrange(dtype, reduce_range=False):
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv("/bin/sleep", ["sleep", TOKEN])
                os._exit(0)
            time.sleep(0.5)
            return (0, 0)
    """,
    # Kill the parent, then run on past any time limit.
    "kill-parent": """
        import os, signal

        def qrange(dtype, reduce_range=False):
            os.kill(os.getppid(), signal.SIGKILL)
            os.execv("/bin/sleep", ["sleep", TOKEN])
    """,
    # A 96 MB line on every descriptor (the old parent read it in quadratic time).
    "huge-line": """
        import os
        blob = b"x" * (96 << 20)
        for fd in (1, 2, *map(int, os.listdir("/proc/self/fd"))):
            try:
                os.write(fd, blob)
            except OSError:
                pass
    """,
    "memory": """
        hog = b"\\x01" * (3 << 30)  # 3 GiB, every page written
    """,
    "processes": """
        import os, time
        for _ in range(60):
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        time.sleep(30)
    """,
}


def _survivors(token: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if token.encode() in cmdline:
                found.append(int(entry))
    return found


ESCAPE_TIMEOUTS = {"kill-parent": 5.0}


@pytest.fixture(scope="module")
def escapes(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, str], tuple[GradeResult, list[int]]]:
    """Each escape graded with the sandbox (where there is one) and without, with a memory
    limit of 2 GiB; what is left of its processes is looked for half a second later."""
    folder = tmp_path_factory.mktemp("escapes")
    home = tmp_path_factory.mktemp("escapes-home")
    limits = sandbox.Limits(memory_bytes=2 * sandbox.GIB)
    graded = {}
    for mode in ("sandbox", "off") if SANDBOX else ("off",):
        for name, payload in ESCAPES.items():
            token = f"{1000 + secrets.randbelow(10**6)}.{secrets.randbelow(10**6)}"
            path = folder / f"{mode}_{name.replace('-', '_')}.py"
            body = textwrap.dedent(payload)
            if name in ("double-fork", "kill-parent"):  # their qrange is the attack
                body += WRONG_MATH.replace("def qrange(", "def _unused_qrange(")
            else:
                body += WRONG_MATH
            path.write_text(f"TOKEN = {token!r}\n" + body)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("QUIZAPP_HOME", str(home))
                patch.setenv("QUIZAPP_SANDBOX", "require" if mode == "sandbox" else "off")
                result = run_check(
                    MATH, path, timeout=ESCAPE_TIMEOUTS.get(name, 20.0), limits=limits
                )
            time.sleep(0.5)
            graded[mode, name] = (result, _survivors(token))
    return graded


@pytest.mark.parametrize("mode", MODES)
def test_a_double_forked_daemon_dies_with_the_grade(escapes, mode: str) -> None:
    result, survivors = escapes[mode, "double-fork"]
    assert survivors == []
    assert result.status == "fail"
    assert ("not sandboxed" in result.message) == (mode == "off")


@pytest.mark.parametrize("mode", MODES)
def test_killing_its_parent_does_not_free_the_learners_code(escapes, mode: str) -> None:
    result, survivors = escapes[mode, "kill-parent"]
    assert survivors == []
    assert result.status in ("error", "timeout")


@pytest.mark.parametrize("mode", MODES)
def test_a_huge_line_is_read_in_linear_time(escapes, mode: str) -> None:
    result, _ = escapes[mode, "huge-line"]
    assert result.status == "fail"  # graded to the end, well within 20 s
    assert result.output_truncated and len(result.output) < 40_000


@pytest.mark.parametrize("mode", MODES)
def test_resident_memory_is_limited(escapes, mode: str) -> None:
    result, _ = escapes[mode, "memory"]
    assert result.status == "error"
    assert "more than 2 GiB of memory" in result.message


@pytest.mark.parametrize("mode", MODES)
def test_the_number_of_processes_is_limited(escapes, mode: str) -> None:
    result, _ = escapes[mode, "processes"]
    assert result.status == "error"
    assert "more than 32 processes" in result.message
