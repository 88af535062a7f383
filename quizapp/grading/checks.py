"""The checks library: what an exercise's `checks.py` is written with (torch).

Grading is a judge with two processes that never share a Python interpreter:

- the **learner's process** runs the learner's file and nothing else of consequence: it
  calls the entry point on inputs the checker gave it and writes what came back as
  artifacts (a TorchScript archive of the returned model, the values returned by the
  learner's functions). Its code can do anything to its own process: the artifacts are all
  the grade ever sees of it.
- the **checker** never imports or runs learner Python. It prepares the inputs, keeps the
  expected answers and the held-out data to itself, loads the artifacts with
  `quizapp.grading.artifacts` (TorchScript, `weights_only` tensors, JSON) and measures every
  figure of the verdict on them.

An exercise's checks.py defines one `suite` with a function for each side:

    from quizapp.grading.checks import Context, Run, Suite, passed, failed

    suite = Suite()

    @suite.setup            # the checker, before the learner's code starts (its time limit
    def setup(ctx):         # has not started): data, the baseline, the expected answers
        ctx.store["expected"] = ...          # stays in the checker
        ctx.job.save("x", x)                 # what the learner's run gets (in/x.pt)

    @suite.produce          # the learner's process: call the learner's code, save what it
    def produce(run):       # returned (out/)
        model = run.call(run.entry, run.input("x"), what="quantize()")
        run.save_module("model", model, example=...)

    @suite.check("returns a tensor")   # the checker again; checks run in definition order
    def returns_tensor(ctx):
        model = ctx.module("model")    # the learner's model, from its TorchScript archive
        ...
        return passed("...", measured=..., threshold="...")

A check returns an `Outcome` (`passed`, `failed`, `warned` for soft checks, or `errored`
when the artifact is unusable). A learner's model that raises when the checker runs it
raises a `LearnerError` (through `ctx.run_model` and `predict`): the check gets status
"error" with that message. A check whose `needs` did not pass is skipped. Hard checks score
their `points`; soft checks score nothing and never fail the exercise.

`run.claims` carries what the learner's run observed about itself (which torch functions the
learner's code called, what convert() was handed). The checker reads claims as the learner's
word: a claim may fail a check (it can only hurt the one who makes it) or be shown as
information; it never earns a point that the artifacts do not confirm.
"""

from __future__ import annotations

import contextlib
import re
import statistics
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from quizapp.grading.artifacts import ArtifactError, Folder
from quizapp.grading.results import Measured

OutcomeStatus = Literal["pass", "fail", "error", "warn"]


# --- outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: OutcomeStatus
    message: str
    measured: Measured = None
    threshold: str | None = None


def passed(message: str, measured: Measured = None, threshold: str | None = None) -> Outcome:
    return Outcome("pass", message, measured, threshold)


def failed(message: str, measured: Measured = None, threshold: str | None = None) -> Outcome:
    return Outcome("fail", message, measured, threshold)


def warned(message: str, measured: Measured = None, threshold: str | None = None) -> Outcome:
    """A soft check below its target: shown, never fails the exercise."""
    return Outcome("warn", message, measured, threshold)


def errored(message: str, measured: Measured = None, threshold: str | None = None) -> Outcome:
    """The submission cannot be graded at all (e.g. the wrong type): the exercise is an error."""
    return Outcome("error", message, measured, threshold)


def verdict(
    ok: bool,
    message: str,
    measured: Measured = None,
    threshold: str | None = None,
    *,
    soft: bool = False,
) -> Outcome:
    if ok:
        return passed(message, measured, threshold)
    return warned(message, measured, threshold) if soft else failed(message, measured, threshold)


# --- suites -----------------------------------------------------------------------------


CheckFunc = Callable[["Context"], Outcome]


@dataclass(frozen=True)
class Check:
    name: str
    func: CheckFunc
    points: float = 1.0
    soft: bool = False
    needs: tuple[str, ...] = ()

    @property
    def max_score(self) -> float:
        return 0.0 if self.soft else self.points


@dataclass
class Suite:
    checks: list[Check] = field(default_factory=list)
    setup_func: Callable[[Context], None] | None = None
    produce_func: Callable[[Run], None] | None = None

    def setup(self, func: Callable[[Context], None]) -> Callable[[Context], None]:
        """The checker's preparation: fill ctx.store, write the learner's inputs (ctx.job)."""
        self.setup_func = func
        return func

    def produce(self, func: Callable[[Run], None]) -> Callable[[Run], None]:
        """The learner's process: call the learner's code, save what it returned."""
        self.produce_func = func
        return func

    def check(
        self,
        name: str,
        *,
        points: float = 1.0,
        soft: bool = False,
        needs: Sequence[str] = (),
    ) -> Callable[[CheckFunc], CheckFunc]:
        known = {c.name for c in self.checks}
        if name in known:
            raise ValueError(f"two checks are called {name!r}")
        unknown = [n for n in needs if n not in known]
        if unknown:
            raise ValueError(f"check {name!r} needs {unknown}, which are not defined before it")

        def register(func: CheckFunc) -> CheckFunc:
            self.checks.append(Check(name, func, points, soft, tuple(needs)))
            return func

        return register

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.checks]


# --- learner errors ---------------------------------------------------------------------


class LearnerError(Exception):
    """The learner's code raised, exited or returned something unusable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


# --- the learner's side -----------------------------------------------------------------


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


# --- the checker's side -----------------------------------------------------------------


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


# --- measuring models -------------------------------------------------------------------


def kind(obj: object) -> str:
    """torch.ao.nn.quantized.Linear, torch.nn.LSTM: the public name of an object's class."""
    cls = type(obj)
    package = re.sub(r"\.modules(\.\w+)?$", "", cls.__module__)
    return f"{package}.{cls.__qualname__}"


def is_a(obj: object, classes: type | tuple[type, ...]) -> bool:
    """isinstance that cannot be fooled by a `__class__` property."""
    return issubclass(type(obj), classes)


def named_modules(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    return list(torch.nn.Module.named_modules(model))


def modules_of(model: torch.nn.Module, classes: type | tuple[type, ...]) -> list[str]:
    """Names of the submodules of `model` (itself included, as "") that are `classes`."""
    return [name for name, module in named_modules(model) if is_a(module, classes)]


def script_modules(model: torch.jit.ScriptModule) -> list[tuple[str, str]]:
    """(name, original class name) of every submodule of a TorchScript archive: the class
    names its Python source had (the learner's, so they are a claim, not a measurement)."""
    return [(name, str(getattr(m, "original_name", "?"))) for name, m in model.named_modules()]


def state_dict_bytes(model: torch.nn.Module) -> int:
    """Size of `torch.save(model.state_dict())`, the figure the PyTorch tutorials print."""
    import io

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def script_bytes(model: torch.nn.Module) -> int:
    """Size of the TorchScript archive of one of the checker's own models (the FP32 side of
    a size comparison with the learner's archive)."""
    import io

    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(model), buffer)
    return buffer.getbuffer().nbytes


def predict(
    ctx: Context, model: Any, x: torch.Tensor, batch: int = 256, what: str = "your model"
) -> torch.Tensor:
    """The learner's model's logits for x, in batches (its failures become LearnerErrors)."""
    outputs = []
    with torch.no_grad():
        for start in range(0, len(x), batch):
            chunk = x[start : start + batch]
            out = ctx.run_model(model, chunk, what=what)
            outputs.append(logits_of(out, len(chunk)))
    return torch.cat(outputs)


def logits_of(out: object, rows: int) -> torch.Tensor:
    """A model's output checked to be (rows, classes) float logits."""
    if not isinstance(out, torch.Tensor):
        raise LearnerError(f"your model returned a {type(out).__name__}, not a tensor of logits")
    if out.is_quantized:
        raise LearnerError(
            "your model returned a quantized tensor: it needs a DeQuantStub at the end"
        )
    if out.dim() != 2 or out.shape[0] != rows:
        raise LearnerError(
            f"your model returned shape {tuple(out.shape)} for a batch of {rows}; "
            f"expected ({rows}, classes)"
        )
    return out.detach().float()


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return (logits.argmax(1) == labels).double().mean().item()


def agreement(logits: torch.Tensor, reference: torch.Tensor) -> float:
    """Fraction of inputs where the top-1 class matches the reference's."""
    return (logits.argmax(1) == reference.argmax(1)).double().mean().item()


@dataclass(frozen=True)
class Timing:
    reference_s: float
    candidate_s: float

    @property
    def speedup(self) -> float:
        return self.reference_s / self.candidate_s if self.candidate_s > 0 else float("inf")


def compare_latency(
    ctx: Context,
    reference: torch.nn.Module,
    candidate: Any,
    x: torch.Tensor,
    *,
    warmup: int = 3,
    repeats: int = 11,
) -> Timing:
    """Median latency of both models on the same input, same process, interleaved runs (so
    that a noisy neighbour slows both alike)."""
    times: dict[str, list[float]] = {"reference": [], "candidate": []}
    with torch.no_grad():
        for i in range(warmup + repeats):
            for label, model in (("reference", reference), ("candidate", candidate)):
                started = time.perf_counter()
                if label == "candidate":
                    ctx.run_model(model, x)
                else:
                    model(x)
                if i >= warmup:
                    times[label].append(time.perf_counter() - started)
    return Timing(statistics.median(times["reference"]), statistics.median(times["candidate"]))


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """torch on one thread for the block: for many tiny ops (scalars, small oracles), where
    a second OpenMP thread only adds start-up waits (milliseconds per op on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --- watching what learner code calls (the learner's side) --------------------------------


def _c_function_name(func: object) -> str:
    """'torch.quantize_per_tensor', 'torch.Tensor.int_repr': a C function as Python shows it."""
    module = getattr(func, "__module__", None)
    owner = getattr(func, "__self__", None)
    if module is None and owner is not None:
        module = owner.__name__ if isinstance(owner, types.ModuleType) else type(owner).__module__
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", "?")
    return f"{module or '?'}.{qualname.replace('_VariableFunctionsClass.', '')}"


@contextlib.contextmanager
def watch_calls(modules: Sequence[str] = (), c_functions: str | None = None) -> Iterator[list[str]]:
    """Names of the forbidden functions called while the block runs (in this thread and the
    threads it starts): Python functions defined in `modules` (or below them) and C
    functions whose 'module.qualname' matches the regex `c_functions`.

    For exercises where the learner must write the arithmetic themselves: the learner's
    process runs their function inside the block and claims what it saw. It uses
    `sys.setprofile`, so it costs little; it is a guard against the obvious shortcut, in the
    learner's own process (a claim: it can only fail them), not a sandbox. Code that removes
    the profile function is reported as calling `sys.setprofile`.
    """
    pattern = re.compile(c_functions) if c_functions else None
    prefixes = tuple(m + "." for m in modules)
    seen: list[str] = []

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call" and modules:
            module = frame.f_globals.get("__name__") or ""
            if module in modules or module.startswith(prefixes):
                name = f"{module}.{frame.f_code.co_qualname}"
                if name not in seen:
                    seen.append(name)
        elif event == "c_call" and pattern is not None:
            name = _c_function_name(arg)
            if pattern.search(name) and name not in seen:
                seen.append(name)

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        yield seen
    finally:
        intact = sys.getprofile() is profile
        sys.setprofile(previous)
        threading.setprofile(previous_threads)
        if not intact:
            seen.append("sys.setprofile (your code removed the grader's watch)")


# --- calling the learner's plain functions on the checker's arguments --------------------


def plain(value: Any, depth: int = 0) -> Any:
    """A learner's return value as JSON the checker can read without unpickling anything:
    ints and floats as themselves, the rest tagged (`{"bool": ...}`, `{"seq": [...]}`,
    `{"tensor": [...]}`, `{"other": type}`)."""
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        return value if abs(value) < 2**63 else {"other": "int", "repr": str(value)[:40]}
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else {"float": repr(value)}
    if isinstance(value, (tuple, list)) and depth < 2:
        return {
            "seq": [plain(v, depth + 1) for v in value[:8]],
            "len": len(value),
            "type": type(value).__name__,
        }
    if isinstance(value, torch.Tensor):
        flat = value.detach().reshape(-1)[:8]
        if flat.is_quantized:
            flat = flat.dequantize()
        return {
            "tensor": flat.tolist(),
            "numel": value.numel(),
            "floating": bool(value.is_floating_point() or value.is_quantized),
        }
    return {"other": type(value).__name__, "repr": repr(value)[:80]}


def record_calls(
    run: Run,
    name: str,
    cases: Sequence[Sequence[Any]],
    *,
    key: str | None = None,
    forbidden_modules: Sequence[str] = (),
    forbidden_c: str | None = None,
) -> None:
    """The learner's process: call the learner's function `name` on every argument list,
    inside `watch_calls`, and save out/KEY.json: whether it is defined, each call's plain
    value or the exception it raised (the first described with the learner's frames), and
    the forbidden functions it called. The checker compares with its own answers."""
    func = getattr(run.learner, name, None)
    record: dict[str, Any] = {
        "defined": callable(func),
        "results": [],
        "raised": None,
        "not_implemented": False,
        "forbidden": [],
    }
    if callable(func):
        with watch_calls(forbidden_modules, forbidden_c) as forbidden:
            for args in cases:
                try:
                    got = func(*args)
                except BaseException as exc:  # noqa: BLE001 - the learner's failure, recorded
                    if isinstance(exc, NotImplementedError) and not record["results"]:
                        record["not_implemented"] = True
                        break
                    if record["raised"] is None:
                        record["raised"] = describe_exception(
                            exc, call_text(name, args), run.learner_path
                        )
                    record["results"].append({"raised": type(exc).__name__})
                    continue
                record["results"].append({"value": plain(got)})
        record["forbidden"] = list(forbidden)
    run.out.save_json(key or name, record)


def call_text(name: str, args: Sequence[Any]) -> str:
    return f"{name}({', '.join(repr(a) for a in args)})"


class Mismatch(Exception):
    """A recorded value has the wrong type or shape (the message says how)."""


def shown(value: Any) -> str:
    """A plain value (see `plain`) as the learner would print it."""
    if isinstance(value, dict):
        if "bool" in value:
            return repr(value["bool"])
        if "float" in value:
            return str(value["float"])
        if "seq" in value:
            items = ", ".join(shown(v) for v in value["seq"])
            return f"({items})" if value.get("type") == "tuple" else f"[{items}]"
        if "tensor" in value:
            return f"tensor({value['tensor']})"
        return f"a {value.get('other', '?')}"
    return repr(value)


def as_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if (
        isinstance(value, dict)
        and "tensor" in value
        and value.get("numel") == 1
        and not value.get("floating")
    ):
        return int(value["tensor"][0])
    raise Mismatch(f"{shown(value)} (return an int)")


def as_float(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        if "float" in value:
            return float(value["float"])
        if "tensor" in value and value.get("numel") == 1:
            return float(value["tensor"][0])
    raise Mismatch(f"{shown(value)} (return a float)")


def as_pair(value: Any, what: str) -> tuple[Any, Any]:
    if isinstance(value, dict) and "seq" in value and value.get("len") == 2:
        return value["seq"][0], value["seq"][1]
    raise Mismatch(f"{shown(value)} (return a pair: {what})")


@dataclass(frozen=True)
class Case:
    """One call the checker makes the learner's process record, with its expected answer
    (which stays in the checker)."""

    args: tuple[Any, ...]
    expected: Any
    label: str = ""  # shown instead of the arguments when set


def recorded_calls(ctx: Context, key: str) -> dict[str, Any]:
    try:
        record = ctx.out.load_json(key)
    except ArtifactError as exc:
        raise LearnerError(f"The grader found no result of your {key}(): {exc}") from None
    if not isinstance(record, dict) or not isinstance(record.get("results"), list):
        raise LearnerError(f"The recorded calls of {key}() are not readable.")
    return record


def grade_calls(
    ctx: Context,
    key: str,
    cases: Sequence[Case],
    compare: Callable[[Any, Any], tuple[bool, str]],
    what: str,
    *,
    name: str | None = None,
    show_expected: Callable[[Any], str] = str,
    forbidden_message: str = "",
    record: dict[str, Any] | None = None,
) -> Outcome:
    """Compare the learner's recorded values (out/KEY.json, see `record_calls`; or `record`,
    a slice of them) with the checker's expected answers, case by case: every one must
    match."""
    name = name or key
    total = len(cases)
    threshold = f"{total}/{total}"
    record = record if record is not None else recorded_calls(ctx, key)
    if not record.get("defined"):
        return failed(
            f"Your file does not define {name}(); the grader calls it by that name.",
            measured=f"0/{total}",
            threshold=threshold,
        )
    if record.get("not_implemented"):
        return failed(
            f"{name}() is not implemented yet (it raised NotImplementedError).",
            measured=f"0/{total}",
            threshold=threshold,
        )
    forbidden = [str(f) for f in record.get("forbidden") or []]
    if forbidden:
        return failed(
            f"{name}() called {', '.join(forbidden[:2])}. {forbidden_message}".rstrip(),
            measured=f"calls {forbidden[0]}",
            threshold="no forbidden calls",
        )
    results = record["results"]
    matched = 0
    first: str | None = None
    for index, case in enumerate(cases):
        call = call_text(name, case.args)
        if case.label:
            call = f"{case.label}, {call}"
        got = results[index] if index < len(results) else None
        if not isinstance(got, dict) or "value" not in got:
            if first is None:
                raised = got.get("raised") if isinstance(got, dict) else None
                first = f"{call}: raised {raised}" if raised else f"{call}: no result"
            continue
        try:
            ok, mine = compare(got["value"], case.expected)
        except Mismatch as exc:
            ok, mine = False, str(exc)
        if ok:
            matched += 1
        elif first is None:
            first = f"{call}: yours {mine}, torch {show_expected(case.expected)}"
    message = f"{matched}/{total} {what} match torch"
    if first is not None:
        message += f"; first mismatch: {first}"
    if record.get("raised"):
        message += f"\n{record['raised']}"
    if matched == total:
        return passed(message + ".", measured=f"{matched}/{total}", threshold=threshold)
    return failed(message, measured=f"{matched}/{total}", threshold=threshold)
