"""The checker process: prepares a grade and makes its verdict; never runs learner Python.

Started by the runner only, as `checker.main([EVENTS_FD])`, with its job as the first line
on stdin (`{"exercise", "checks_path", "job_dir", "threads"}`). It

1. imports torch, fixes threads and the quantized engine, loads the exercise's checks module
   and announces the checks (names, points, directions) on EVENTS_FD;
2. runs the suite's `setup` (the baseline, data, expected answers; the learner's inputs
   written to `<job_dir>/in/`), with progress, then says "ready";
3. waits for the second line on stdin, `{"kind": "grade", "claims": {...}}`, sent once the
   learner's process has ended with its artifacts in `<job_dir>/out/`;
4. runs the checks in order (each announced when it starts and when it finishes) on those
   artifacts, loaded only through quizapp.grading.artifacts, and sends the result.

A failure of the checker itself is reported as the grader's own ("grader_error"), never
blamed on the learner.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from quizapp.grading.child import load_checks, pick_engine, quiet_torch_warnings
from quizapp.grading.protocol import send
from quizapp.grading.results import CheckResult, summarize


def _run_check(ctx: Any, check: Any) -> CheckResult:
    from quizapp.grading.checks import LearnerError

    try:
        outcome = check.func(ctx)
    except LearnerError as exc:
        return CheckResult(
            check.name,
            "error",
            exc.message,
            max_score=check.max_score,
            direction=check.direction,
        )
    except Exception as exc:  # noqa: BLE001 - the grader's bug, said so
        return CheckResult(
            check.name,
            "error",
            f"The grader failed in this check (a bug in quizapp, not in your code): "
            f"{type(exc).__name__}: {exc}",
            max_score=check.max_score,
            direction=check.direction,
        )
    status = outcome.status
    if check.soft and status == "fail":
        status = "warn"
    return CheckResult(
        check.name,
        status,
        outcome.message,
        outcome.measured,
        outcome.threshold,
        score=check.max_score if status == "pass" else 0.0,
        max_score=check.max_score,
        direction=check.direction,
    )


def summary_message(status: str, results: list[CheckResult], score: float, max_score: float) -> str:
    if status == "pass":
        return f"All checks passed ({score:g}/{max_score:g})."
    for result in results:
        if result.status in ("error", "fail"):
            first = result.message.splitlines()[0] if result.message else ""
            return f"{result.name}: {first}" if first else result.name
    return f"{score:g}/{max_score:g}"


class Checker:
    def __init__(self, job: dict[str, Any], events: int) -> None:
        self.job, self.events = job, events

    def send(self, kind: str, **data: Any) -> None:
        send(self.events, kind, **data)

    def run(self) -> None:
        import torch

        from quizapp.grading.artifacts import Folder
        from quizapp.grading.checker_context import Context

        threads = int(self.job["threads"])
        torch.set_num_threads(threads)
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(1)
        engine = pick_engine(torch)
        self.send("env", torch=torch.__version__, engine=engine, threads=threads)
        suite = load_checks(str(self.job["checks_path"]), str(self.job["exercise"])).suite
        self.send(
            "checks",
            names=suite.names,
            max_scores=[c.max_score for c in suite.checks],
            directions=[c.direction for c in suite.checks],
        )
        job_dir = Path(self.job["job_dir"])
        ctx = Context(
            exercise=str(self.job["exercise"]),
            threads=threads,
            engine=engine,
            job=Folder(job_dir / "in"),
            out=Folder(job_dir / "out"),
            learner_path=str(self.job.get("display_path", "")),
            progress=lambda step, total, message: self.send(
                "progress", step=step, total=total, message=message
            ),
        )
        if suite.setup_func is not None:
            self.send("phase", phase="setup")
            suite.setup_func(ctx)
        self.send("ready")

        line = sys.stdin.readline()
        if not line:
            return  # the learner's run failed: no verdict to make
        order = json.loads(line)
        claims = order.get("claims") if isinstance(order, dict) else None
        ctx.claims = claims if isinstance(claims, dict) else {}

        results: list[CheckResult] = []
        outcome_of: dict[str, str] = {}
        for index, check in enumerate(suite.checks):
            self.send("check_started", name=check.name, index=index)
            blocked = [n for n in check.needs if outcome_of.get(n) not in ("pass", "warn")]
            if blocked:
                result = CheckResult(
                    check.name,
                    "skip",
                    f"not run: needs {', '.join(repr(b) for b in blocked)} to pass",
                    max_score=check.max_score,
                    direction=check.direction,
                )
            else:
                result = _run_check(ctx, check)
            outcome_of[check.name] = result.status
            results.append(result)
            self.send("check_finished", index=index, check=result.to_wire())
        status, score, max_score = summarize(results)
        self.send(
            "result", status=status, message=summary_message(status, results, score, max_score)
        )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    events = int(argv[0])
    quiet_torch_warnings()
    try:
        job = json.loads(sys.stdin.readline())
        Checker(job, events).run()
    except BaseException as exc:  # noqa: BLE001 - the grader's own failure still gets a result
        with contextlib.suppress(Exception):
            send(
                events,
                "grader_error",
                message="".join(traceback.format_exception_only(type(exc), exc)).strip(),
                internal=traceback.format_exc(),
            )
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(0)
