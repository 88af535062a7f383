"""Watching which functions the learner's code calls, in the learner's process: a guard
against the obvious shortcut (calling torch's own quantize where the exercise asks for the
arithmetic), reported as a claim that can only fail the learner."""

from __future__ import annotations

import contextlib
import re
import sys
import threading
import types
from collections.abc import Iterator, Sequence


def _c_function_name(func: object) -> str:
    """'torch.quantize_per_tensor', 'torch.Tensor.int_repr': a C function as Python shows it."""
    module = getattr(func, "__module__", None)
    owner = getattr(func, "__self__", None)
    if module is None and owner is not None:
        module = owner.__name__ if isinstance(owner, types.ModuleType) else type(owner).__module__
    qualname = str(getattr(func, "__qualname__", None) or getattr(func, "__name__", "?"))
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
