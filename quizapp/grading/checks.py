"""The checks library: what an exercise's `checks.py` is written with (worker side, torch).

An exercise's checks.py defines one `suite`:

    from quizapp.grading.checks import Context, Suite, passed, failed

    suite = Suite()

    @suite.setup            # runs before the learner's file is loaded (their time limit
    def setup(ctx):         # has not started): load data, the baseline, reference figures
        ctx.store["x"] = ...

    @suite.submit           # calls the learner's entry point; the return value becomes
    def submit(ctx):        # ctx.submission
        return ctx.call(ctx.entry, ctx.store["x"])

    @suite.check("returns a tensor")       # checks run in definition order
    def returns_tensor(ctx):
        ...
        return passed("...", measured=..., threshold="...")

    @suite.check("speed", soft=True, needs=("returns a tensor",))
    def speed(ctx): ...

A check returns an `Outcome` (`passed`, `failed`, `warned` for soft checks, or `errored` when
the learner's submission is unusable, e.g. the wrong type). Learner code is only ever run
through `ctx.call` (or `predict`), which turns whatever it raises into a `LearnerError` whose
message shows the learner's own frames of the traceback; a check that lets one through gets
status "error". A check whose `needs` did not pass is skipped. Hard checks score their
`points`; soft checks score nothing and never fail the exercise.

The helpers below measure models without trusting them: types are tested with
`issubclass(type(obj), cls)` (an object cannot lie about `type()` the way it can about
`__class__`), methods are called unbound from torch's own classes, and the few torch
functions the checks rely on are captured when this module is imported, before the
learner's file runs. The worker also compares torch's namespaces before and after the
learner's code (`Integrity`), so a learner who replaces `torch.save` gets an error.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import re
import statistics
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from quizapp.grading.results import Measured

# Captured before any learner code runs (see the module docstring).
_save = torch.save
_no_grad = torch.no_grad
_BytesIO = io.BytesIO
_issubclass = builtins.issubclass
_type = builtins.type
_Module = torch.nn.Module
_named_modules = torch.nn.Module.named_modules
_state_dict = torch.nn.Module.state_dict
_call_module = torch.nn.Module.__call__
_perf_counter = time.perf_counter
_setprofile, _getprofile = sys.setprofile, sys.getprofile
_thread_setprofile, _thread_getprofile = threading.setprofile, threading.getprofile

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
    submit_func: Callable[[Context], Any] | None = None

    def setup(self, func: Callable[[Context], None]) -> Callable[[Context], None]:
        self.setup_func = func
        return func

    def submit(self, func: Callable[[Context], Any]) -> Callable[[Context], Any]:
        self.submit_func = func
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


# --- context and learner code -----------------------------------------------------------


class LearnerError(Exception):
    """The learner's code raised, exited or returned something unusable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Progress = Callable[[int | None, int | None, str], None]


@dataclass
class Context:
    exercise: str
    entry_name: str
    learner_path: str  # the learner's file as they know it (their frames are filtered by it)
    threads: int
    engine: str
    progress: Progress = lambda step, total, message: None
    learner: types.ModuleType | None = None
    submission: Any = None
    store: dict[str, Any] = field(default_factory=dict)

    def note(self, message: str) -> None:
        self.progress(None, None, message)

    @property
    def entry(self) -> Callable[..., Any]:
        func = getattr(self.learner, self.entry_name, None)
        if not callable(func):
            raise LearnerError(missing_entry_message(self.entry_name, self.learner_path, func))
        return func

    def call(
        self, func: Callable[..., Any], *args: Any, what: str | None = None, **kwargs: Any
    ) -> Any:
        """Run learner code; anything it raises (even SystemExit) becomes a LearnerError."""
        what = what or f"{getattr(func, '__name__', 'your code')}()"
        try:
            return func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
            raise LearnerError(describe_exception(exc, what, self.learner_path)) from None

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A figure several checks share, computed once."""
        if key not in self.store:
            self.store[key] = compute()
        return self.store[key]


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


# --- measuring models -------------------------------------------------------------------


def kind(obj: object) -> str:
    """torch.ao.nn.quantized.Linear, torch.nn.LSTM: the public name of an object's class."""
    cls = type(obj)
    package = re.sub(r"\.modules(\.\w+)?$", "", cls.__module__)
    return f"{package}.{cls.__qualname__}"


def is_a(obj: object, classes: type | tuple[type, ...]) -> bool:
    """isinstance that cannot be fooled by a `__class__` property."""
    return _issubclass(_type(obj), classes)


def named_modules(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    return list(_named_modules(model))


def modules_of(model: torch.nn.Module, classes: type | tuple[type, ...]) -> list[str]:
    """Names of the submodules of `model` (itself included, as "") that are `classes`."""
    return [name for name, module in named_modules(model) if is_a(module, classes)]


def state_dict_bytes(model: torch.nn.Module) -> int:
    """Size of `torch.save(model.state_dict())`, the figure the PyTorch tutorials print."""
    buffer = _BytesIO()
    _save(_state_dict(model), buffer)
    return buffer.getbuffer().nbytes


def _defined_by(cls: type, packages: tuple[str, ...]) -> bool:
    """`cls` really is the class its module exports (not a look-alike claiming the name)."""
    module_name = getattr(cls, "__module__", "") or ""
    if module_name.split(".")[0] not in packages:
        return False
    owner = sys.modules.get(module_name)
    obj: Any = owner
    for part in getattr(cls, "__qualname__", "").split("."):
        obj = getattr(obj, part, None)
    return obj is cls


def foreign_modules(
    model: torch.nn.Module, packages: tuple[str, ...] = ("torch", "torchvision")
) -> list[str]:
    """Submodules whose class is not one of `packages`' own, as 'name (Class)'."""
    return [
        f"{name or 'the model'} ({_type(module).__name__})"
        for name, module in named_modules(model)
        if not _defined_by(_type(module), packages)
    ]


_GUARDED_METHODS = ("forward", "__call__", "_call_impl", "state_dict", "_save_to_state_dict")


def patched_instances(model: torch.nn.Module) -> list[str]:
    """Submodules with a method replaced on the instance (e.g. `m.forward = ...`)."""
    return [
        f"{name or 'the model'}.{attr}"
        for name, module in named_modules(model)
        for attr in _GUARDED_METHODS
        if attr in vars(module)
    ]


def plain_module_returned(
    model: object, *, packages: tuple[str, ...], when_none: str = ".", produced_by: str
) -> Outcome:
    """The "returns a module" check of an exercise whose answer is torch's own modules: a
    module, nothing of the learner's class inside it, no method replaced on an instance.

    `when_none` ends the message when quantize() returned None; `produced_by` names the call
    whose result the learner should return ("quantize_dynamic() produces it").
    """
    name = _type(model).__name__
    if not is_a(model, torch.nn.Module):
        shown = "None" if model is None else f"a {name}"
        ending = when_none if model is None else "."
        return errored(
            f"quantize() returned {shown}, not a torch.nn.Module{ending}",
            measured=name,
            threshold="a torch.nn.Module",
        )
    foreign = foreign_modules(model, packages=packages)
    if foreign:
        return failed(
            "The returned model contains modules that are not torch's: "
            f"{', '.join(foreign[:3])}. Quantize the model you were given; don't wrap it.",
            measured=name,
            threshold="torch modules only",
        )
    patched = patched_instances(model)
    if patched:
        return failed(
            f"Methods were replaced on the returned modules ({', '.join(patched[:3])}); "
            f"return the model as {produced_by}.",
            measured=name,
            threshold="torch modules only",
        )
    torch.nn.Module.eval(model)
    return passed(f"quantize() returned a {name}.", measured=name, threshold="a torch.nn.Module")


def predict(
    ctx: Context, model: torch.nn.Module, x: torch.Tensor, batch: int = 256
) -> torch.Tensor:
    """The model's logits for x, in batches; its exceptions become LearnerErrors."""
    outputs = []
    with _no_grad():
        for start in range(0, len(x), batch):
            chunk = x[start : start + batch]
            out = ctx.call(_call_module, model, chunk, what="your model")
            if not is_a(out, torch.Tensor):
                raise LearnerError(
                    f"your model returned a {_type(out).__name__}, not a tensor of logits"
                )
            if out.is_quantized:
                raise LearnerError(
                    "your model returned a quantized tensor: it needs a DeQuantStub at the end"
                )
            if out.dim() != 2 or out.shape[0] != len(chunk):
                raise LearnerError(
                    f"your model returned shape {tuple(out.shape)} for a batch of {len(chunk)}; "
                    f"expected ({len(chunk)}, classes)"
                )
            outputs.append(out.detach().float())
    return torch.cat(outputs)


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
    candidate: torch.nn.Module,
    x: torch.Tensor,
    *,
    warmup: int = 3,
    repeats: int = 11,
) -> Timing:
    """Median latency of both models on the same input, same process, interleaved runs (so
    that a noisy neighbour slows both alike)."""
    times: dict[str, list[float]] = {"reference": [], "candidate": []}
    with _no_grad():
        for i in range(warmup + repeats):
            for label, model in (("reference", reference), ("candidate", candidate)):
                started = _perf_counter()
                if label == "candidate":
                    ctx.call(_call_module, model, x, what="your model")
                else:
                    _call_module(model, x)
                if i >= warmup:
                    times[label].append(_perf_counter() - started)
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


# --- watching what learner code calls ---------------------------------------------------


def _c_function_name(func: object) -> str:
    """'torch.quantize_per_tensor', 'torch.Tensor.int_repr': a C function as Python shows it."""
    module = getattr(func, "__module__", None)
    owner = getattr(func, "__self__", None)
    if module is None and owner is not None:
        module = owner.__name__ if isinstance(owner, types.ModuleType) else _type(owner).__module__
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", "?")
    return f"{module or '?'}.{qualname.replace('_VariableFunctionsClass.', '')}"


@contextlib.contextmanager
def watch_calls(modules: Sequence[str] = (), c_functions: str | None = None) -> Iterator[list[str]]:
    """Names of the forbidden functions called while the block runs (in this thread and the
    threads it starts): Python functions defined in `modules` (or below them) and C
    functions whose 'module.qualname' matches the regex `c_functions`.

    For exercises where the learner must write the arithmetic themselves: run their
    function inside the block, then fail the check if the list is not empty. It uses
    `sys.setprofile`, so it costs little; it is a guard against the obvious shortcut, not a
    sandbox (a builtin called from C code, e.g. through `map`, is not seen). Code that
    removes the profile function is reported as calling `sys.setprofile`.
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

    previous, previous_threads = _getprofile(), _thread_getprofile()
    _setprofile(profile)
    _thread_setprofile(profile)
    try:
        yield seen
    finally:
        intact = _getprofile() is profile
        _setprofile(previous)
        _thread_setprofile(previous_threads)
        if not intact:
            seen.append("sys.setprofile (your code removed the grader's watch)")


# --- integrity --------------------------------------------------------------------------


def _guarded(value: object) -> bool:
    return callable(value) or isinstance(value, types.ModuleType) or hasattr(value, "__get__")


@dataclass
class Integrity:
    """Every function, class and descriptor in the namespaces the checks rely on, so that
    replacing one of them (`torch.save = ...`, `builtins.isinstance = ...`,
    `QuantizedConv2d.forward = ...`) is noticed, and can be put back before the grader
    reports. Names added later are not flagged (torch imports submodules lazily)."""

    entries: dict[tuple[str, str], object] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)

    @classmethod
    def snapshot(cls, roots: Iterable[object]) -> Integrity:
        integrity = cls()
        for root in roots:
            integrity._add(root)
        return integrity

    def _add(self, root: object) -> None:
        label = getattr(root, "__name__", repr(root))
        if isinstance(root, type):
            label = f"{root.__module__}.{root.__qualname__}"
        if label in self.objects:
            return
        self.objects[label] = root
        namespace = vars(root)
        for name, value in list(namespace.items()):
            if _guarded(value):
                self.entries[(label, name)] = value
        if isinstance(root, types.ModuleType):
            # The classes a module defines are guarded too (their methods can be swapped).
            for value in list(namespace.values()):
                if isinstance(value, type) and value.__module__ == root.__name__:
                    self._add(value)

    def changes(self) -> list[str]:
        """What was replaced or deleted since the snapshot, as dotted names."""
        return [
            f"{label}.{name}"
            for (label, name), value in self.entries.items()
            if vars(self.objects[label]).get(name, _MISSING) is not value
        ]

    def restore(self) -> None:
        """Put back what was replaced (the grader needs a working Python to report)."""
        for (label, name), value in self.entries.items():
            owner = self.objects[label]
            if vars(owner).get(name, _MISSING) is not value:
                with contextlib.suppress(AttributeError, TypeError):
                    setattr(owner, name, value)


_MISSING = object()


def default_integrity_roots() -> list[object]:
    """The namespaces every check leans on (the exercise's own checks module is added by the
    worker): Python's builtins, torch's core, the quantized module classes, this library."""
    import torch.ao.nn.intrinsic.quantized as nniq
    import torch.ao.nn.intrinsic.quantized.modules as nniq_modules
    import torch.ao.nn.quantized as nnq
    import torch.ao.nn.quantized.dynamic as nnqd
    import torch.ao.nn.quantized.modules as nnq_modules
    import torch.nn.functional as functional
    import torch.serialization

    import quizapp.grading.checks as library

    roots: list[object] = [
        builtins,
        io,
        torch,
        torch.Tensor,
        torch._C.TensorBase,
        torch.nn.Module,
        torch.serialization,
        functional,
        nnq,
        nnqd,
        nniq,
        library,
    ]
    # torchvision's quantizable ResNet, when the exercise's checks use it (importing
    # torchvision costs seconds, which exercises without a torchvision model need not pay).
    quantizable_resnet = sys.modules.get("torchvision.models.quantization.resnet")
    if quantizable_resnet is not None:
        roots.append(quantizable_resnet)
    for package in (nnq_modules, nniq_modules):  # conv, linear, ...: where the classes live
        prefix = package.__name__ + "."
        roots.extend(
            value
            for value in vars(package).values()
            if isinstance(value, types.ModuleType) and value.__name__.startswith(prefix)
        )
    # Shared check modules the exercise's checks import (e.g. quizapp.grading.resnet_checks).
    roots.extend(
        module
        for name, module in list(sys.modules.items())
        if name.startswith("quizapp.grading.") and module is not library
    )
    return roots
