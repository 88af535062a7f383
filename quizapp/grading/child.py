"""What the two grading children (the learner's process and the checker) share (torch is
imported by their callers, not here)."""

from __future__ import annotations

import sys
import types
import warnings
from typing import Any


def quiet_torch_warnings() -> None:
    # torch.ao.quantization warns on every call that it is deprecated: noise for the learner,
    # whose own prints and other warnings stay visible ...
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    # ... and torch's own UserWarnings about deprecated quantization pieces (reduce_range,
    # quantize_per_tensor), raised from inside torch.
    warnings.filterwarnings("ignore", message=".*deprecat", module=r"torch(\.|$)")


def pick_engine(torch: Any) -> str:
    supported = torch.backends.quantized.supported_engines
    for engine in ("x86", "fbgemm", "qnnpack"):
        if engine in supported:
            torch.backends.quantized.engine = engine
            return engine
    return str(torch.backends.quantized.engine)


def load_checks(path: str, exercise: str) -> types.ModuleType:
    import importlib.util

    name = "quizapp_exercise_checks_" + exercise.replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if getattr(module, "suite", None) is None:
        raise RuntimeError(f"{path} defines no `suite`")
    return module
