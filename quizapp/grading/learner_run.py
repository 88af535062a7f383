"""The learner's side of a check suite: `Run`, what `suite.produce` gets in the learner's
process (their module, the checker's inputs, the artifacts and claims it writes), and the
messages that describe what the learner's code raised in terms of their own frames."""

from __future__ import annotations

import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from quizapp.grading.artifacts import Folder
from quizapp.grading.checks import LearnerError


def missing_entry_message(name: str, path: str, found: object) -> str:
    if found is None:
        return f"Your file does not define {name}(): the grader calls {name}() in {path}."
    return f"{name} in your file is a {type(found).__name__}, not a function."


def describe_exception(exc: BaseException, what: str, learner_path: str) -> str:
    """A message a learner understands: what happened, then only their own frames."""
    if isinstance(exc, SystemExit):
        head = (
            f"{what} called sys.exit({exc.code!r}); the grader needs it to return. "
            "Remove the exit call."
        )
        return _with_frames(head, exc, learner_path, include_exception=False)
    if isinstance(exc, KeyboardInterrupt):
        return _with_frames(f"{what} raised KeyboardInterrupt.", exc, learner_path, False)
    return _with_frames(
        f"{what} raised {type(exc).__name__}: {exc}", exc, learner_path, include_exception=True
    )


def _with_frames(head: str, exc: BaseException, learner_path: str, include_exception: bool) -> str:
    summary = traceback.extract_tb(exc.__traceback__)
    mine = traceback.StackSummary.from_list([f for f in summary if f.filename == learner_path])
    lines = [head]
    if mine:
        lines.append("Traceback (your code only, most recent call last):")
        lines.extend(line.rstrip("\n") for line in mine.format())
        if include_exception:
            lines.extend(
                line.rstrip("\n") for line in traceback.format_exception_only(type(exc), exc)
            )
    return "\n".join(lines)


def class_path(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass
class Run:
    """The learner's process: their module, the inputs, the artifacts and claims it writes."""

    exercise: str
    entry_name: str
    learner_path: str  # the learner's file as they know it (their frames are filtered by it)
    threads: int
    engine: str
    job: Folder  # in/: what the checker prepared
    out: Folder  # out/: what the checker will read
    learner: types.ModuleType | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def entry(self) -> Callable[..., Any]:
        return self.function(self.entry_name)

    def function(self, name: str) -> Callable[..., Any]:
        func = getattr(self.learner, name, None)
        if not callable(func):
            raise LearnerError(missing_entry_message(name, self.learner_path, func))
        return func

    def input(self, name: str) -> Any:
        return self.job.load(name)

    def call(
        self, func: Callable[..., Any], *args: Any, what: str | None = None, **kwargs: Any
    ) -> Any:
        """Run learner code; anything it raises (even SystemExit) becomes a LearnerError."""
        what = what or f"{getattr(func, '__name__', 'your code')}()"
        try:
            return func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
            raise LearnerError(describe_exception(exc, what, self.learner_path)) from None

    def claim(self, key: str, value: Any) -> None:
        self.claims[key] = value

    def save_module(
        self,
        name: str,
        obj: object,
        *,
        example: tuple[Any, ...] | None = None,
        what: str = "quantize()",
    ) -> None:
        """Save a returned module for the checker: a TorchScript archive (out/NAME.pt, scripted,
        or traced on `example` where scripting fails) and a card (out/NAME.json) with its class
        and its submodules' classes as the learner's process saw them."""
        card: dict[str, Any] = {"type": class_path(obj), "what": what}
        if not isinstance(obj, torch.nn.Module):
            card["error"] = "not a module"
            self.out.save_json(name, card)
            return
        card["modules"] = [[n, class_path(m)] for n, m in list(obj.named_modules())[:10_000]]
        torch.nn.Module.eval(obj)  # the grader evaluates, as anyone using the model would
        try:
            archive = torch.jit.script(obj)
            card["format"] = "script"
        except Exception as exc:  # noqa: BLE001 - try tracing instead
            script_error = _first_line(exc)
            if example is None:
                card["error"] = f"it cannot be scripted with torch.jit.script: {script_error}"
                self.out.save_json(name, card)
                return
            try:
                with torch.no_grad():
                    archive = torch.jit.trace(obj, example, check_trace=False)
                card["format"] = "trace"
                card["script_error"] = script_error
            except BaseException as exc:  # noqa: BLE001 - the learner's forward failed
                card["error"] = (
                    f"it cannot be scripted ({script_error}) and tracing it on an example "
                    "batch failed: " + describe_exception(exc, "its forward()", self.learner_path)
                )
                self.out.save_json(name, card)
                return
        self.out.save_script(name, archive)
        self.out.save_json(name, card)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
