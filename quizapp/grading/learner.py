"""The learner's process: runs the learner's file and saves what it returns (torch).

Started by the runner only (in the sandbox where there is one), as
`learner.main([JOB_ROOT, EVENTS_FD, GO_FD])`. JOB_ROOT holds `in/` (the job, the learner's
file and the checker's inputs; read-only when sandboxed), `out/` (the artifacts) and
`work/` (the current folder). The order of work:

1. compile the learner's file (a syntax error is reported at once, before torch loads);
2. import torch, fix threads and the quantized engine, load the exercise's checks module
   (for its `produce` function), then say "ready";
3. wait for GO_FD: the checker has written the inputs, and the learner's clock starts;
4. run the learner's file, then the suite's `produce`: it calls the learner's code and
   saves the artifacts;
5. say "done" with the run's claims, or "learner_error" with a message, and leave with
   os._exit (stray learner threads cannot keep the process alive).

Nothing here decides anything: whatever this process says or writes is the learner's word,
and the checker measures the artifacts itself. Messages go on EVENTS_FD; the learner's
prints go to stdout/stderr, which the parent captures separately.
"""

from __future__ import annotations

import builtins
import contextlib
import faulthandler
import json
import linecache
import os
import sys
import types
from pathlib import Path
from typing import Any

from quizapp.grading.child import load_checks, pick_engine, quiet_torch_warnings
from quizapp.grading.protocol import send
from quizapp.grading.sandbox import Limits, die_with_parent, set_file_limits
from quizapp.grading.supervisor import SUPERVISOR_ENV


def syntax_message(exc: SyntaxError) -> str:
    if exc.lineno is None:
        return f"Your file cannot be compiled: {exc.msg}"
    where = f"{exc.filename}, line {exc.lineno}"
    lines = [f"Your file has a syntax error ({where}): {exc.msg}"]
    if exc.text:
        text = exc.text.rstrip("\n")
        lines.append("    " + text.strip())
        if exc.offset:
            indent = len(text) - len(text.lstrip())
            lines.append("    " + " " * max(exc.offset - 1 - indent, 0) + "^")
    return "\n".join(lines)


class Learner:
    def __init__(self, root: Path, events: int, go: int) -> None:
        self.root, self.events, self.go = root, events, go
        self.job: dict[str, Any] = json.loads((root / "in" / "job.json").read_text())
        self.builtins = dict(vars(builtins))

    def fail(self, stage: str, message: str) -> None:
        self.restore_builtins()
        send(self.events, "learner_error", stage=stage, message=message)

    def restore_builtins(self) -> None:
        """Put back builtins the learner's code replaced, so the report still goes out."""
        vars(builtins).update(self.builtins)

    def run(self) -> None:
        display = str(self.job["display_path"])
        source = (self.root / "in" / "submission.py").read_bytes()
        try:
            code = compile(source, display, "exec", dont_inherit=True)
        except SyntaxError as exc:
            self.fail("compile", syntax_message(exc))
            return
        except ValueError as exc:  # e.g. null bytes
            self.fail("compile", f"Your file cannot be compiled: {exc}")
            return
        # Tracebacks show the learner's lines (the file itself is not visible in the sandbox).
        text = source.decode("utf-8", "replace")
        linecache.cache[display] = (len(text), None, text.splitlines(True), display)

        import torch

        from quizapp.grading.artifacts import Folder
        from quizapp.grading.checks import LearnerError
        from quizapp.grading.learner_run import Run

        threads = int(self.job["threads"])
        torch.set_num_threads(threads)
        with contextlib.suppress(RuntimeError):  # already set
            torch.set_num_interop_threads(1)
        engine = pick_engine(torch)
        suite = load_checks(str(self.job["checks_path"]), str(self.job["exercise"])).suite
        send(self.events, "ready", torch=torch.__version__, engine=engine)

        if not os.read(self.go, 16):  # the parent gave up (the checker failed, a cancel)
            return
        os.close(self.go)
        run = Run(
            exercise=str(self.job["exercise"]),
            entry_name=str(self.job["entry_point"]),
            learner_path=display,
            threads=threads,
            engine=engine,
            job=Folder(self.root / "in"),
            out=Folder(self.root / "out"),
        )
        module = types.ModuleType("learner")
        module.__file__ = display
        sys.modules["learner"] = module  # dataclasses and pickle look their module up here
        try:
            run.call(exec, code, module.__dict__, what="Your file, while loading,")
        except LearnerError as exc:
            self.fail("load", exc.message)
            return
        run.learner = module
        try:
            if suite.produce_func is not None:
                suite.produce_func(run)
        except LearnerError as exc:
            self.fail("run", exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - e.g. the learner's code broke torch.jit
            self.fail(
                "run",
                "Saving what your code returned for grading failed "
                f"({type(exc).__name__}: {exc}). Did your code change torch or Python itself?",
            )
            return
        self.restore_builtins()
        send(self.events, "done", claims=run.claims)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    root, events, go = Path(argv[0]), int(argv[1]), int(argv[2])
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if supervisor:
        die_with_parent(int(supervisor))
    learner = Learner(root, events, go)
    set_file_limits(Limits(file_bytes=int(learner.job.get("file_bytes", Limits.file_bytes))))
    faulthandler.enable()  # a segfault prints the Python stack (the learner's line) on stderr
    quiet_torch_warnings()
    try:
        learner.run()
    except BaseException as exc:  # noqa: BLE001 - still a message, never a silent exit
        with contextlib.suppress(Exception):
            learner.fail("grader", f"The grading harness failed: {type(exc).__name__}: {exc}")
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # the learner may have closed it
                stream.flush()
        os._exit(0)
