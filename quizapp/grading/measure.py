"""Measuring the learner's model in the checker: module types, serialized sizes, logits,
accuracy and agreement, latency against the FP32 reference."""

from __future__ import annotations

import contextlib
import io
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from quizapp.grading.checks import LearnerError

if TYPE_CHECKING:
    from quizapp.grading.checker_context import Context


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
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def script_bytes(model: torch.nn.Module) -> int:
    """Size of the TorchScript archive of one of the checker's own models (the FP32 side of
    a size comparison with the learner's archive)."""
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


def accuracy_fraction(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy as a fraction in 0..1."""
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
