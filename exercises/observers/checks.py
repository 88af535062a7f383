"""Checks for observers: the learner's MinMaxObserver against PyTorch's, and their MSEObserver
against MinMax on activations where the choice of range matters.

Everything torch computes for comparison (PyTorch's qparams, the MinMax errors) is computed
in `setup`, before the learner's file is loaded. The learner's classes run inside
`watch_calls`: wrapping or calling torch's own observers fails the check.

The quantization error of a (scale, zero_point) is the mean squared difference between the
observed values and their fake-quantized copies, `(clamp(round(x/s) + z, qmin, qmax) - z) * s`,
computed here with torch arithmetic.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.ao.quantization import MinMaxObserver as TorchMinMaxObserver
from torch.ao.quantization import ObserverBase

from quizapp.grading.checks import (
    Context,
    Outcome,
    Suite,
    describe_exception,
    failed,
    is_a,
    passed,
    single_thread,
    verdict,
    watch_calls,
)

SEED = 23
FORBIDDEN_MODULES = ("torch.ao.quantization", "torch.quantization", "torchao")
SCALE_REL_TOL = 1e-5
# Measured: at 4 bits on the heavy-tailed data the reference MSEObserver's error is 21.1x
# lower than MinMax's (0.0125 vs 0.264), a percentile (99.99%) observer's 20.7x lower.
MIN_GAIN_4BIT = 4.0
# At 8 bits MinMax is near-optimal on the same data: the reference is 1.17x lower, the
# percentile observer 10.4x higher (it clips the spikes of 20-40 to 3.8).
MAX_RATIO_8BIT = 1.05
MAX_RATIO_SPREADS = 1.05  # batches of different spreads: an observer must remember them all

suite = Suite()


@dataclass(frozen=True)
class Config:
    label: str
    kwargs: dict[str, Any]


CONFIGS = [
    Config("quint8 affine", {}),
    Config("quint8 affine, reduce_range", {"reduce_range": True}),
    Config("qint8 affine", {"dtype": torch.qint8}),
    Config("qint8 affine, reduce_range", {"dtype": torch.qint8, "reduce_range": True}),
    Config("qint8 symmetric", {"dtype": torch.qint8, "qscheme": torch.per_tensor_symmetric}),
    Config(
        "qint8 symmetric, reduce_range",
        {"dtype": torch.qint8, "qscheme": torch.per_tensor_symmetric, "reduce_range": True},
    ),
    Config("quint8 symmetric", {"qscheme": torch.per_tensor_symmetric}),
    Config("quint8 affine [0, 15] (4 bits)", {"quant_min": 0, "quant_max": 15}),
    Config(
        "qint8 affine [-8, 7] (4 bits)", {"dtype": torch.qint8, "quant_min": -8, "quant_max": 7}
    ),
]
FOUR_BITS = {"quant_min": 0, "quant_max": 15}


def _data(generator: torch.Generator) -> dict[str, list[torch.Tensor]]:
    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator)

    return {
        "3 batches straddling 0": [randn(16, 32) * 2 + 0.5, randn(8, 32) * 3, randn(16, 32)],
        "post-ReLU batches (all >= 0)": [torch.relu(randn(16, 32) * s) for s in (1.0, 4.0)],
        "all-negative batches": [
            -torch.rand(16, 32, generator=generator) * s - 0.5 for s in (1, 3)
        ],
        "all zeros (a dead ReLU)": [torch.zeros(16, 32), torch.zeros(4, 32)],
    }


def _heavy_tailed(generator: torch.Generator) -> list[torch.Tensor]:
    """Post-ReLU N(0, 1) activations with rare spikes: 8 of 262,144 values lie in [20, 40]."""
    batches = []
    for _ in range(8):
        x = torch.relu(torch.randn(64, 512, generator=generator))
        spikes = torch.rand(64, 512, generator=generator) < 2e-5
        x = torch.where(spikes, 20 + 20 * torch.rand(64, 512, generator=generator), x)
        batches.append(x)
    return batches


def _spreads(generator: torch.Generator) -> list[torch.Tensor]:
    """Signed Gaussian batches, the widest first: only an observer that keeps every batch
    covers the first one."""
    return [torch.randn(32, 256, generator=generator) * s for s in (4.0, 2.0, 1.0, 0.5, 0.25)]


def _torch_qparams(kwargs: dict[str, Any], batches: list[torch.Tensor]) -> tuple[float, int]:
    observer = TorchMinMaxObserver(**kwargs)
    for batch in batches:
        observer(batch)
    scale, zero_point = observer.calculate_qparams()
    return float(scale.reshape(-1)[0]), int(zero_point.reshape(-1)[0])


def _range_of(kwargs: dict[str, Any]) -> tuple[int, int]:
    observer = TorchMinMaxObserver(**kwargs)
    return int(observer.quant_min), int(observer.quant_max)


def _mse(values: torch.Tensor, scale: float, zero_point: int, qmin: int, qmax: int) -> float:
    q = torch.clamp(torch.round(values / scale) + zero_point, qmin, qmax)
    return torch.mean(((q - zero_point) * scale - values) ** 2).item()


@dataclass(frozen=True)
class Scenario:
    """Batches an MSEObserver is graded on, with PyTorch's MinMax result for comparison."""

    label: str
    kwargs: dict[str, Any]
    batches: list[torch.Tensor]
    minmax: tuple[float, int]
    minmax_mse: float
    qrange: tuple[int, int]


def _scenario(label: str, kwargs: dict[str, Any], batches: list[torch.Tensor]) -> Scenario:
    values = torch.cat([b.flatten() for b in batches])
    qrange = _range_of(kwargs)
    minmax = _torch_qparams(kwargs, batches)
    return Scenario(label, kwargs, batches, minmax, _mse(values, *minmax, *qrange), qrange)


@suite.setup
def setup(ctx: Context) -> None:
    generator = torch.Generator().manual_seed(SEED)
    with single_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reduce_range's deprecation notice
        data = _data(generator)
        expected = [
            (config, data_label, batches, _torch_qparams(config.kwargs, batches))
            for config in CONFIGS
            for data_label, batches in data.items()
        ]
        heavy = _heavy_tailed(generator)
        ctx.store.update(
            forward_input=torch.randn(4, 8, 16, generator=generator) * 3,
            running=[
                torch.tensor([[-5.0, 1.0], [0.5, 2.0]]),  # the minimum comes first
                torch.tensor([[-1.0, 0.0], [3.0, 0.25]]),
                torch.tensor([[-2.0, 7.0], [1.0, -4.0]]),  # the maximum comes last
            ],
            expected=expected,
            heavy_4bit=_scenario("heavy-tailed, 4 bits [0, 15]", FOUR_BITS, heavy),
            heavy_8bit=_scenario("heavy-tailed, 8 bits [0, 255]", {}, heavy),
            spreads=_scenario(
                "5 batches of spreads 4, 2, 1, 0.5, 0.25, 8 bits", {}, _spreads(generator)
            ),
        )


@suite.submit
def submit(ctx: Context) -> object:
    return ctx.entry  # the classes are built and fed in the checks


# --- running the learner's classes ------------------------------------------------------


class Failure(Exception):
    """The learner's code raised, or answered in a shape the grader cannot read."""


def _run(ctx: Context, what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with watch_calls(FORBIDDEN_MODULES) as forbidden:
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - the learner's failure, reported
            if isinstance(exc, NotImplementedError):
                raise Failure(
                    f"{what} is not implemented yet (it raised NotImplementedError)."
                ) from None
            raise Failure(describe_exception(exc, what, ctx.learner_path)) from None
    if forbidden:
        raise Failure(
            f"{what} called torch's own observer code ({', '.join(forbidden[:2])}). Write the "
            "observer yourself: torch tensor arithmetic (min, max, round, clamp) is fine."
        )
    return result


def _build(ctx: Context, name: str, **kwargs: Any) -> torch.nn.Module:
    cls = getattr(ctx.learner, name, None)
    if cls is None:
        raise Failure(f"Your file does not define {name}; the grader builds it by that name.")
    if isinstance(cls, type) and issubclass(cls, ObserverBase):
        raise Failure(
            f"{name} subclasses torch's {ObserverBase.__name__}: write it from torch.nn.Module."
        )
    shown = ", ".join(f"{k}={_show(v)}" for k, v in kwargs.items())
    observer = _run(ctx, f"{name}({shown})", cls, **kwargs)
    if not is_a(observer, torch.nn.Module):
        raise Failure(f"{name}(...) built a {type(observer).__name__}, not a torch.nn.Module.")
    return observer


def _show(value: Any) -> str:
    return str(value).replace("torch.per_tensor_", "per_tensor_")


def _feed(ctx: Context, observer: torch.nn.Module, name: str, batches: list[torch.Tensor]) -> None:
    for batch in batches:
        _run(ctx, f"{name}.forward()", observer, batch.clone())


def _qparams(ctx: Context, observer: torch.nn.Module, name: str) -> tuple[float, int]:
    got = _run(ctx, f"{name}.calculate_qparams()", getattr(observer, "calculate_qparams", None))
    if is_a(got, torch.Tensor) or not is_a(got, (tuple, list)) or len(got) != 2:
        raise Failure(f"{name}.calculate_qparams() returned {got!r}; return (scale, zero_point).")
    try:
        scale, zero_point = (float(_first(v)) for v in got)
        if not zero_point.is_integer():
            raise ValueError(f"the zero point {zero_point:g} is not an integer")
    except (TypeError, ValueError, IndexError, RuntimeError) as exc:
        raise Failure(
            f"{name}.calculate_qparams() returned {got!r}: {exc}. Return (scale, zero_point), "
            "e.g. torch.tensor([0.02]), torch.tensor([64])."
        ) from None
    return scale, int(zero_point)


def _first(value: Any) -> Any:
    """A number, from a number or a one-element tensor (PyTorch returns shape [1])."""
    return value.reshape(-1)[0].item() if is_a(value, torch.Tensor) else value


def _as_check(
    threshold: str,
) -> Callable[[Callable[[Context], Outcome]], Callable[[Context], Outcome]]:
    """A check whose learner failures (Failure) become a failed outcome with their message."""

    def wrap(func: Callable[[Context], Outcome]) -> Callable[[Context], Outcome]:
        def run(ctx: Context) -> Outcome:
            with single_thread():
                try:
                    return func(ctx)
                except Failure as exc:
                    return failed(str(exc), measured="failed", threshold=threshold)

        run.__name__ = func.__name__
        return run

    return wrap


def _returns_input(ctx: Context, name: str) -> Outcome:
    observer = _build(ctx, name)
    x = ctx.store["forward_input"].clone()
    before = x.clone()
    out = _run(ctx, f"{name}.forward(x)", observer, x)
    threshold = "the same tensor values, input untouched"
    if not is_a(out, torch.Tensor):
        return failed(
            f"{name}.forward(x) returned a {type(out).__name__}, not x: an observer passes its "
            "input through unchanged (it only watches).",
            measured=type(out).__name__,
            threshold=threshold,
        )
    if not torch.equal(x, before):
        return failed(
            f"{name}.forward(x) changed x in place; an observer only watches.",
            measured="input modified",
            threshold=threshold,
        )
    if out.shape != x.shape or out.dtype != x.dtype or not torch.equal(out, x):
        diff = (out.float() - x).abs().max().item() if out.shape == x.shape else None
        shown = (
            f"largest difference {diff:.4g}" if diff is not None else f"shape {tuple(out.shape)}"
        )
        return failed(
            f"{name}.forward(x) returned something other than x ({shown}): an observer passes "
            "its input through unchanged, so inserting it leaves the model's outputs alone.",
            measured=shown,
            threshold=threshold,
        )
    same = "the very tensor x" if out is x else "a tensor equal to x"
    return passed(f"{name}.forward(x) returns {same}; x is untouched.", "x", threshold)


# --- MinMaxObserver ---------------------------------------------------------------------


@suite.check("MinMaxObserver returns its input")
@_as_check("the same tensor values, input untouched")
def minmax_returns_input(ctx: Context):
    return _returns_input(ctx, "MinMaxObserver")


def _value(observer: torch.nn.Module, attr: str) -> float:
    value = getattr(observer, attr, None)
    if value is None:
        raise Failure(
            f"MinMaxObserver has no {attr}: keep the running value in self.{attr}, as PyTorch's "
            "observers do (a buffer: register_buffer)."
        )
    try:
        return float(value.reshape(-1)[0]) if is_a(value, torch.Tensor) else float(value)
    except (TypeError, ValueError, IndexError):
        raise Failure(f"MinMaxObserver.{attr} is {value!r}, not a number.") from None


@suite.check("MinMaxObserver: running min and max", needs=("MinMaxObserver returns its input",))
@_as_check("the running min and max after every batch")
def minmax_running(ctx: Context):
    observer = _build(ctx, "MinMaxObserver")
    low, high = math.inf, -math.inf
    threshold = "the running min and max after every batch"
    for i, batch in enumerate(ctx.store["running"], start=1):
        _run(ctx, "MinMaxObserver.forward()", observer, batch.clone())
        low, high = min(low, batch.min().item()), max(high, batch.max().item())
        mine = (_value(observer, "min_val"), _value(observer, "max_val"))
        if mine != (low, high):
            return failed(
                f"After batch {i} of 3: min_val, max_val = {mine[0]:g}, {mine[1]:g}; the batches "
                f"so far span [{low:g}, {high:g}]. The range may only grow: min of the old "
                "minimum and the batch's, max likewise.",
                measured=f"batch {i}: [{mine[0]:g}, {mine[1]:g}]",
                threshold=threshold,
            )
    return passed(
        f"min_val and max_val follow the running range over 3 batches (ending at [{low:g}, "
        f"{high:g}]).",
        measured=f"[{low:g}, {high:g}]",
        threshold=threshold,
    )


@suite.check("MinMaxObserver: qparams like PyTorch's", needs=("MinMaxObserver returns its input",))
@_as_check("every configuration")
def minmax_qparams(ctx: Context):
    expected = ctx.store["expected"]
    total = len(expected)
    matched, first = 0, None
    for config, data_label, batches, (scale, zero_point) in expected:
        observer = _build(ctx, "MinMaxObserver", **config.kwargs)
        _feed(ctx, observer, "MinMaxObserver", batches)
        mine = _qparams(ctx, observer, "MinMaxObserver")
        if math.isclose(mine[0], scale, rel_tol=SCALE_REL_TOL) and mine[1] == zero_point:
            matched += 1
        elif first is None:
            first = (
                f"{config.label} on {data_label}: yours ({mine[0]:.6g}, {mine[1]}), PyTorch's "
                f"({scale:.6g}, {zero_point})"
            )
    message = f"{matched}/{total} configurations x data sets give PyTorch's (scale, zero_point)"
    return verdict(
        matched == total,
        message + (f"; first mismatch: {first}." if first else "."),
        measured=f"{matched}/{total}",
        threshold=f"{total}/{total}",
    )


# --- MSEObserver ------------------------------------------------------------------------


@suite.check("MSEObserver returns its input")
@_as_check("the same tensor values, input untouched")
def mse_returns_input(ctx: Context):
    return _returns_input(ctx, "MSEObserver")


def _mse_of_learner(ctx: Context, scenario: Scenario) -> tuple[float, tuple[float, int]]:
    observer = _build(ctx, "MSEObserver", **scenario.kwargs)
    _feed(ctx, observer, "MSEObserver", scenario.batches)
    scale, zero_point = _qparams(ctx, observer, "MSEObserver")
    qmin, qmax = scenario.qrange
    if not (scale > 0 and math.isfinite(scale)) or not qmin <= zero_point <= qmax:
        raise Failure(
            f"MSEObserver gave scale {scale:g}, zero point {zero_point} for {scenario.label}: the "
            f"scale must be positive and the zero point within [{qmin}, {qmax}]."
        )
    values = torch.cat([b.flatten() for b in scenario.batches])
    return _mse(values, scale, zero_point, qmin, qmax), (scale, zero_point)


def _compare(scenario: Scenario, mine: float, qparams: tuple[float, int]) -> str:
    minmax = scenario.minmax_mse
    if mine <= minmax:
        relation = f"{minmax / mine:.2f}x lower than" if mine > 0 else "below"
    else:
        relation = f"{mine / minmax:.2f}x higher than"
    qmin, qmax = scenario.qrange
    top = (qmax - qparams[1]) * qparams[0]
    minmax_top = (qmax - scenario.minmax[1]) * scenario.minmax[0]
    return (
        f"{scenario.label}: MSE {mine:.3g}, {relation} MinMax's {minmax:.3g} (your range tops "
        f"out at {top:.3g}, MinMax's at {minmax_top:.3g})"
    )


@suite.check(
    f"MSEObserver: >= {MIN_GAIN_4BIT:g}x lower error at 4 bits",
    needs=("MSEObserver returns its input",),
)
@_as_check(f">= {MIN_GAIN_4BIT:g}x lower MSE than MinMax")
def mse_heavy_4bit(ctx: Context):
    scenario = ctx.store["heavy_4bit"]
    mine, qparams = _mse_of_learner(ctx, scenario)
    gain = scenario.minmax_mse / mine if mine > 0 else math.inf
    ok = gain >= MIN_GAIN_4BIT
    advice = (
        ""
        if ok
        else " With 16 levels, MinMax's range [0, 40] leaves the bulk of the values (below 4) "
        "about 2 levels; clip the rare spikes to give it a finer step."
    )
    return verdict(
        ok,
        _compare(scenario, mine, qparams) + "." + advice,
        measured=round(gain, 2),
        threshold=f">= {MIN_GAIN_4BIT:g}x lower MSE than MinMax",
    )


@suite.check(
    "MSEObserver: no worse than MinMax at 8 bits",
    needs=("MSEObserver returns its input",),
)
@_as_check(f"<= {MAX_RATIO_8BIT:g}x MinMax's MSE")
def mse_heavy_8bit(ctx: Context):
    scenario = ctx.store["heavy_8bit"]
    mine, qparams = _mse_of_learner(ctx, scenario)
    ratio = mine / scenario.minmax_mse
    ok = ratio <= MAX_RATIO_8BIT
    advice = (
        ""
        if ok
        else " At 8 bits the step is already fine, and clipping a spike of 30 to 4 costs 26^2 "
        "in squared error: more than the finer step saves. Choose the range by measuring the "
        "error, not by a fixed percentile."
    )
    return verdict(
        ok,
        _compare(scenario, mine, qparams) + "." + advice,
        measured=round(ratio, 3),
        threshold=f"<= {MAX_RATIO_8BIT:g}x MinMax's MSE",
    )


@suite.check("MSEObserver: every batch counts", needs=("MSEObserver returns its input",))
@_as_check(f"<= {MAX_RATIO_SPREADS:g}x MinMax's MSE")
def mse_every_batch(ctx: Context):
    scenario = ctx.store["spreads"]
    mine, qparams = _mse_of_learner(ctx, scenario)
    ratio = mine / scenario.minmax_mse
    ok = ratio <= MAX_RATIO_SPREADS
    advice = (
        ""
        if ok
        else " The widest batch came first: does calculate_qparams() see every batch, not only "
        "the last one?"
    )
    return verdict(
        ok,
        _compare(scenario, mine, qparams) + "." + advice,
        measured=round(ratio, 3),
        threshold=f"<= {MAX_RATIO_SPREADS:g}x MinMax's MSE",
    )
