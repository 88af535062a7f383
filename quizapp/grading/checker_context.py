"""The checker's side of a check suite: `Context`, what `suite.setup` and every check get
(the inputs it wrote, the learner's artifacts it reads, what it keeps to itself), and the
"returns a module" check every model exercise starts with."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from quizapp.grading.artifacts import ArtifactError, Folder
from quizapp.grading.checks import LearnerError, Outcome, errored, passed

Progress = Callable[[int | None, int | None, str], None]


@dataclass
class Context:
    """The checker: the job's inputs it wrote, the artifacts it reads, what it keeps."""

    exercise: str
    threads: int
    engine: str
    job: Folder  # in/
    out: Folder  # out/
    progress: Progress = lambda step, total, message: None
    learner_path: str = ""  # the learner's file as they know it (TorchScript names it)
    claims: dict[str, Any] = field(default_factory=dict)  # the learner's run, unverified
    store: dict[str, Any] = field(default_factory=dict)
    _cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    _modules: dict[str, torch.jit.ScriptModule] = field(default_factory=dict)

    def note(self, message: str) -> None:
        self.progress(None, None, message)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A figure several checks share, computed once."""
        if key not in self.store:
            self.store[key] = compute()
        return self.store[key]

    def card(self, name: str = "model") -> dict[str, Any]:
        """What the learner's process says it returned (see Run.save_module); {} if nothing."""
        if name not in self._cards:
            try:
                card = self.out.load_json(name)
            except ArtifactError:
                card = {}
            self._cards[name] = card if isinstance(card, dict) else {}
        return self._cards[name]

    def module(self, name: str = "model") -> torch.jit.ScriptModule:
        """The learner's returned module, from its TorchScript archive (LearnerError when
        there is none)."""
        if name not in self._modules:
            card = self.card(name)
            what = str(card.get("what") or "your code")
            if card.get("error"):
                raise LearnerError(unusable_message(card, what))
            try:
                module = self.out.load_script(name)
            except ArtifactError as exc:
                raise LearnerError(f"The module {what} returned could not be read: {exc}") from None
            module.eval()
            self._modules[name] = module
        return self._modules[name]

    def run_model(self, model: Any, *args: Any, what: str = "your model") -> Any:
        """Run the learner's (TorchScript) model: its failures become LearnerErrors."""
        try:
            return model(*args)
        except Exception as exc:  # noqa: BLE001 - the learner's model failed
            error = _script_error(exc, self.learner_path)
            if not re.match(r"^[A-Za-z_.]*(Error|Exception)\b", error):
                error = f"{type(exc).__name__}: {error}"
            raise LearnerError(f"{what} raised {error}") from None


def _script_error(exc: BaseException, learner_path: str) -> str:
    """TorchScript's message cut to what the learner needs: the error itself, then the frames
    of its traceback that are in the learner's file (with their source lines)."""
    text = str(exc).strip()
    if "Traceback of TorchScript" not in text:
        return text
    lines = text.splitlines()
    error = next(
        (line for line in lines if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line)),
        lines[-1] if lines else "",
    )
    frames: list[str] = []
    keep = False
    for line in lines:
        if line.startswith("  File "):
            keep = f'"{learner_path}"' in line
        elif not line.startswith(" "):
            keep = False
        if keep:
            frames.append(line)
    if not frames:
        return error
    return error + "\nTraceback (your code only, most recent call last):\n" + "\n".join(frames)


def unusable_message(card: dict[str, Any], what: str) -> str:
    shown = str(card.get("type") or "nothing")
    if card.get("error") == "not a module":
        if shown == "builtins.NoneType":
            return f"{what} returned None, not a torch.nn.Module (did you forget `return model`?)."
        return f"{what} returned a {shown.rsplit('.', 1)[-1]}, not a torch.nn.Module."
    return f"The module {what} returned cannot be saved for grading: {card.get('error')}"


def returned_module(
    ctx: Context, name: str = "model", *, threshold: str = "a torch.nn.Module"
) -> Outcome:
    """The "returns a module" check: the learner's run returned a module and it was saved as
    TorchScript (how it was made is judged by the checks after this one)."""
    card = ctx.card(name)
    what = str(card.get("what") or "quantize()")
    shown = str(card.get("type") or "nothing").rsplit(".", 1)[-1]
    try:
        ctx.module(name)
    except LearnerError as exc:
        return errored(exc.message, measured=shown, threshold=threshold)
    how = "traced" if card.get("format") == "trace" else "scripted"
    return passed(
        f"{what} returned a {shown} ({how} to TorchScript for grading).",
        measured=shown,
        threshold=threshold,
    )
