"""The grading child: `python -m quizapp.grading.worker JOB_FD` (started by the runner only).

It reads its job (JSON) from the pipe JOB_FD, then reports through the result pipe the job
names, every line prefixed with the job's random token: the learner's prints go to stdout
and stderr, which the parent captures separately, so no print (and no blind write to any
descriptor) can pass for a result. The order of work:

1. compile the learner's file (a syntax error is reported at once, before torch loads);
2. import torch, fix threads and the quantized engine, load the exercise's checks and run
   their setup (the baseline, data, reference figures: the learner's clock has not started);
3. announce the checks and the "grading" phase (the parent starts the learner's clock);
4. run the learner's file, call its entry point through the suite's `submit`, run the
   checks in order, each announced when it starts and when it finishes;
5. send the result and leave with os._exit (stray learner threads cannot keep it alive).

Every failure of the learner's code becomes a result with status "error"; a failure of the
grader itself too, saying so.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib.util
import json
import os
import sys
import types
import warnings
from typing import Any

from quizapp.grading.results import CheckResult, summarize


class Channel:
    def __init__(self, fd: int, token: str) -> None:
        self.fd, self.token = fd, token

    def send(self, kind: str, **data: Any) -> None:
        line = f"{self.token} {json.dumps({'kind': kind, **data})}\n".encode()
        view = memoryview(line)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


def _read_job(fd: int) -> dict[str, Any]:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return json.loads(b"".join(chunks))


def _limit_resources() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a segfault leaves no core file
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX
        pass


def _pick_engine(torch: Any) -> str:
    supported = torch.backends.quantized.supported_engines
    for engine in ("x86", "fbgemm", "qnnpack"):
        if engine in supported:
            torch.backends.quantized.engine = engine
            return engine
    return str(torch.backends.quantized.engine)


def _quiet_torch_warnings() -> None:
    # torch.ao.quantization warns on every call that it is deprecated: noise for the learner,
    # whose own prints and other warnings stay visible ...
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    # ... and torch's own UserWarnings about deprecated quantization pieces (reduce_range,
    # quantize_per_tensor), raised from inside torch.
    warnings.filterwarnings("ignore", message=".*deprecat", module=r"torch(\.|$)")


def _load_checks(path: str, exercise: str) -> tuple[types.ModuleType, Any]:
    name = "quizapp_exercise_checks_" + exercise.replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    suite = getattr(module, "suite", None)
    if suite is None:
        raise RuntimeError(f"{path} defines no `suite`")
    return module, suite


def _skipped(suite: Any, reason: str) -> list[CheckResult]:
    return [CheckResult(c.name, "skip", reason, max_score=c.max_score) for c in suite.checks]


class Worker:
    def __init__(self, job: dict[str, Any], channel: Channel) -> None:
        self.job, self.channel = job, channel
        self.exercise: str = job["exercise"]
        self.display: str = job["display_path"]

    def finish(self, status: str, message: str, checks: list[CheckResult]) -> None:
        if checks:
            _, score, max_score = summarize(checks)
        else:
            score = max_score = 0.0
        self.channel.send(
            "result",
            status=status,
            message=message,
            score=score,
            max_score=max_score,
            checks=[c.to_wire() for c in checks],
        )

    def run(self) -> None:
        # 1. compile (a syntax error needs no torch)
        with open(self.job["source_path"], "rb") as handle:
            source = handle.read()
        try:
            code = compile(source, self.display, "exec", dont_inherit=True)
        except SyntaxError as exc:
            self.finish("error", _syntax_message(exc), [])
            return
        except ValueError as exc:  # e.g. null bytes
            self.finish("error", f"Your file cannot be compiled: {exc}", [])
            return

        # 2. torch, engine, checks, setup
        import torch

        from quizapp.grading import checks as library

        threads = int(self.job["threads"])
        torch.set_num_threads(threads)
        with contextlib.suppress(RuntimeError):  # already set
            torch.set_num_interop_threads(1)
        engine = _pick_engine(torch)
        self.channel.send("env", torch=torch.__version__, engine=engine, threads=threads)
        checks_module, suite = _load_checks(self.job["checks_path"], self.exercise)
        ctx = library.Context(
            exercise=self.exercise,
            entry_name=self.job["entry_point"],
            learner_path=self.display,
            threads=threads,
            engine=engine,
            progress=lambda step, total, message: self.channel.send(
                "progress", step=step, total=total, message=message
            ),
        )
        if suite.setup_func is not None:
            self.channel.send("phase", phase="setup")
            suite.setup_func(ctx)

        # 3. the learner's clock starts
        self.channel.send(
            "checks", names=suite.names, max_scores=[c.max_score for c in suite.checks]
        )
        self.channel.send("phase", phase="grading")
        integrity = library.Integrity.snapshot([*library.default_integrity_roots(), checks_module])
        suite_before = [(c.name, id(c.func)) for c in suite.checks]

        # 4. the learner's code
        module = types.ModuleType("learner")
        module.__file__ = self.display
        sys.modules["learner"] = module  # dataclasses and pickle look their module up here
        try:
            ctx.call(exec, code, module.__dict__, what="Your file, while loading,")
        except library.LearnerError as exc:
            self.finish("error", exc.message, _skipped(suite, "not run: your file did not load"))
            return
        ctx.learner = module
        try:
            ctx.entry  # noqa: B018 - raises LearnerError when missing
            if suite.submit_func is not None:
                ctx.submission = suite.submit_func(ctx)
        except library.LearnerError as exc:
            self.finish("error", exc.message, _skipped(suite, f"not run: {_first_line(exc)}"))
            return
        tampered = integrity.changes()
        if tampered:
            integrity.restore()
            self.finish("error", _tamper_message(tampered), _skipped(suite, "not run"))
            return

        results: list[CheckResult] = []
        outcome_of: dict[str, str] = {}
        for index, check in enumerate(suite.checks):
            self.channel.send("check_started", name=check.name, index=index)
            blocked = [n for n in check.needs if outcome_of.get(n) not in ("pass", "warn")]
            if blocked:
                result = CheckResult(
                    check.name,
                    "skip",
                    f"not run: needs {', '.join(repr(b) for b in blocked)} to pass",
                    max_score=check.max_score,
                )
            else:
                result = _run_check(ctx, check)
            outcome_of[check.name] = result.status
            results.append(result)
            self.channel.send("check_finished", index=index, check=result.to_wire())

        tampered = integrity.changes()
        integrity.restore()
        if not tampered and [(c.name, id(c.func)) for c in suite.checks] != suite_before:
            tampered = ["the grader's list of checks"]
        if tampered:
            self.finish("error", _tamper_message(tampered), results)
            return
        status, score, max_score = summarize(results)
        self.finish(status, _summary_message(status, results, score, max_score), results)


def _run_check(ctx: Any, check: Any) -> CheckResult:
    from quizapp.grading.checks import LearnerError  # imported already: torch is loaded

    try:
        outcome = check.func(ctx)
    except LearnerError as exc:
        return CheckResult(check.name, "error", exc.message, max_score=check.max_score)
    except Exception as exc:
        return CheckResult(
            check.name,
            "error",
            f"The grader failed in this check (a bug in quizapp, not in your code): "
            f"{type(exc).__name__}: {exc}",
            max_score=check.max_score,
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
    )


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _syntax_message(exc: SyntaxError) -> str:
    where = f"{exc.filename}, line {exc.lineno}"
    lines = [f"Your file has a syntax error ({where}): {exc.msg}"]
    if exc.text:
        text = exc.text.rstrip("\n")
        lines.append("    " + text.strip())
        if exc.offset:
            indent = len(text) - len(text.lstrip())
            lines.append("    " + " " * max(exc.offset - 1 - indent, 0) + "^")
    return "\n".join(lines)


def _tamper_message(names: list[str]) -> str:
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"Your code replaced parts of torch or Python that grading relies on ({shown}). "
        "Quantize the model without patching the library; the grader needs it as shipped."
    )


def _summary_message(
    status: str, results: list[CheckResult], score: float, max_score: float
) -> str:
    if status == "pass":
        return f"All checks passed ({score:g}/{max_score:g})."
    for result in results:
        if result.status in ("error", "fail"):
            first = result.message.splitlines()[0] if result.message else ""
            return f"{result.name}: {first}" if first else result.name
    return f"{score:g}/{max_score:g}"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    job = _read_job(int(argv[0]))
    channel = Channel(int(job["result_fd"]), job["token"])
    _limit_resources()
    faulthandler.enable()  # a segfault prints the Python stack (the learner's line) on stderr
    _quiet_torch_warnings()
    channel.send("started", pid=os.getpid())
    try:
        Worker(job, channel).run()
    except BaseException as exc:  # noqa: BLE001 - the grader's own failure still gets a result
        import traceback

        channel.send(
            "result",
            status="error",
            message="The grader itself failed (a bug in quizapp, not in your code): "
            + "".join(traceback.format_exception_only(type(exc), exc)).strip(),
            score=0,
            max_score=0,
            checks=[],
            internal=traceback.format_exc(),
        )
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # the learner may have closed it
                stream.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
