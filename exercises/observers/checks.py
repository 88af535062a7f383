"""Checks for observers: the learner's MinMaxObserver against PyTorch's, and their MSEObserver
against MinMax on activations where the choice of range matters.

The checker makes the data (seeded) and computes everything torch says for comparison
(PyTorch's qparams, the MinMax errors); those answers never leave it. The learner's process
gets the batches (in/batches.pt) and the settings (in/observers.json: dtypes and qschemes by
name), builds the learner's classes, feeds them and records what came back
(out/<class>.json; the tensor forward returned, out/<class>_forward.pt), every call of the
learner's code inside `watch_calls`: wrapping or calling torch's own observers, or
subclassing torch's ObserverBase, is recorded there and can only fail a check.

The checker judges the recorded values: the forward output against its own copy of the
input, the running range against its own, the qparams against PyTorch's, and the
quantization error of the learner's (scale, zero_point) on its own copy of the data: the
mean squared difference between the values and their fake-quantized copies,
`(clamp(round(x/s) + z, qmin, qmax) - z) * s`, computed here with torch arithmetic.
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

from quizapp.grading.artifacts import ArtifactError
from quizapp.grading.call_watch import watch_calls
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Outcome, Suite, failed, passed, verdict
from quizapp.grading.learner_run import Run, describe_exception
from quizapp.grading.measure import is_a, single_thread

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
MAX_MESSAGE = 4000  # characters of a message recorded by the learner's process

MINMAX, MSE = "MinMaxObserver", "MSEObserver"

# The settings travel to the learner's process as JSON: torch's dtypes and qschemes by name.
DTYPES = {"quint8": torch.quint8, "qint8": torch.qint8}
QSCHEMES = {
    "per_tensor_affine": torch.per_tensor_affine,
    "per_tensor_symmetric": torch.per_tensor_symmetric,
}

suite = Suite()


@dataclass(frozen=True)
class Config:
    label: str
    kwargs: dict[str, Any]  # JSON: dtype and qscheme by name (see torch_kwargs)


CONFIGS = [
    Config("quint8 affine", {}),
    Config("quint8 affine, reduce_range", {"reduce_range": True}),
    Config("qint8 affine", {"dtype": "qint8"}),
    Config("qint8 affine, reduce_range", {"dtype": "qint8", "reduce_range": True}),
    Config("qint8 symmetric", {"dtype": "qint8", "qscheme": "per_tensor_symmetric"}),
    Config(
        "qint8 symmetric, reduce_range",
        {"dtype": "qint8", "qscheme": "per_tensor_symmetric", "reduce_range": True},
    ),
    Config("quint8 symmetric", {"qscheme": "per_tensor_symmetric"}),
    Config("quint8 affine [0, 15] (4 bits)", {"quant_min": 0, "quant_max": 15}),
    Config("qint8 affine [-8, 7] (4 bits)", {"dtype": "qint8", "quant_min": -8, "quant_max": 7}),
]
FOUR_BITS = {"quant_min": 0, "quant_max": 15}
# The MSEObserver's scenarios: (key, label, settings, data set).
SCENARIOS = [
    ("heavy_4bit", "heavy-tailed, 4 bits [0, 15]", FOUR_BITS, "heavy"),
    ("heavy_8bit", "heavy-tailed, 8 bits [0, 255]", {}, "heavy"),
    ("spreads", "5 batches of spreads 4, 2, 1, 0.5, 0.25, 8 bits", {}, "spreads"),
]


def torch_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The JSON settings as an observer takes them: dtype and qscheme names mapped back."""
    mapped = dict(kwargs)
    if "dtype" in mapped:
        mapped["dtype"] = DTYPES[mapped["dtype"]]
    if "qscheme" in mapped:
        mapped["qscheme"] = QSCHEMES[mapped["qscheme"]]
    return mapped


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
    observer = TorchMinMaxObserver(**torch_kwargs(kwargs))
    for batch in batches:
        observer(batch)
    scale, zero_point = observer.calculate_qparams()
    return float(scale.reshape(-1)[0]), int(zero_point.reshape(-1)[0])


def _range_of(kwargs: dict[str, Any]) -> tuple[int, int]:
    observer = TorchMinMaxObserver(**torch_kwargs(kwargs))
    return int(observer.quant_min), int(observer.quant_max)


def _mse(values: torch.Tensor, scale: float, zero_point: int, qmin: int, qmax: int) -> float:
    """In float64: any positive scale a learner gives (1e-300 is 0 in float32)."""
    values = values.to(torch.float64)
    q = torch.clamp(torch.round(values / scale) + zero_point, qmin, qmax)
    return torch.mean(((q - zero_point) * scale - values) ** 2).item()


@dataclass(frozen=True)
class Scenario:
    """Batches an MSEObserver is graded on, with PyTorch's MinMax result for comparison."""

    key: str
    label: str
    kwargs: dict[str, Any]
    batches: list[torch.Tensor]
    minmax: tuple[float, int]
    minmax_mse: float
    qrange: tuple[int, int]


def _scenario(
    key: str, label: str, kwargs: dict[str, Any], batches: list[torch.Tensor]
) -> Scenario:
    values = torch.cat([b.flatten() for b in batches])
    qrange = _range_of(kwargs)
    minmax = _torch_qparams(kwargs, batches)
    return Scenario(key, label, kwargs, batches, minmax, _mse(values, *minmax, *qrange), qrange)


@suite.setup
def setup(ctx: Context) -> None:
    generator = torch.Generator().manual_seed(SEED)
    with single_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reduce_range's deprecation notice
        data = _data(generator)
        expected = [
            (config, data_label, _torch_qparams(config.kwargs, batches))
            for config in CONFIGS
            for data_label, batches in data.items()
        ]
        heavy = _heavy_tailed(generator)
        forward_input = torch.randn(4, 8, 16, generator=generator) * 3
        sets = dict(data, heavy=heavy, spreads=_spreads(generator))  # in the seeded order
        running = [
            torch.tensor([[-5.0, 1.0], [0.5, 2.0]]),  # the minimum comes first
            torch.tensor([[-1.0, 0.0], [3.0, 0.25]]),
            torch.tensor([[-2.0, 7.0], [1.0, -4.0]]),  # the maximum comes last
        ]
        ctx.store.update(
            forward_input=forward_input,
            running=running,
            expected=expected,
            scenarios={
                key: _scenario(key, label, kwargs, sets[name])
                for key, label, kwargs, name in SCENARIOS
            },
        )
    # The learner's process gets the batches and the settings, never torch's answers.
    ctx.job.save("batches", {"forward_input": forward_input, "running": running, "sets": sets})
    ctx.job.save_json(
        "observers",
        {
            "qparams": [
                {"kwargs": config.kwargs, "data": data_label} for config, data_label, _ in expected
            ],
            "scenarios": [
                {"key": key, "kwargs": kwargs, "data": name} for key, _, kwargs, name in SCENARIOS
            ],
        },
    )


# --- the learner's process: build, feed, record -------------------------------------------


class Failure(Exception):
    """The learner's code raised, called torch's observers, or answered in a shape the
    grader cannot read: the message is recorded, and the check fails with it."""

    def __init__(self, message: str, forbidden: list[str] | None = None) -> None:
        super().__init__(message)
        self.forbidden = forbidden or []


def _call(run: Run, what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One call of the learner's code, watched: raising, or reaching into torch's own
    observer code, becomes a Failure."""
    with watch_calls(FORBIDDEN_MODULES) as forbidden:
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - the learner's failure, recorded
            if isinstance(exc, NotImplementedError):
                raise Failure(
                    f"{what} is not implemented yet (it raised NotImplementedError)."
                ) from None
            raise Failure(describe_exception(exc, what, run.learner_path)) from None
    if forbidden:
        raise Failure(
            f"{what} called torch's own observer code ({', '.join(forbidden[:2])}). Write the "
            "observer yourself: torch tensor arithmetic (min, max, round, clamp) is fine.",
            forbidden=list(forbidden),
        )
    return result


def _show(value: Any) -> str:
    return str(value).replace("torch.per_tensor_", "per_tensor_")


def _repr(value: Any) -> str:
    try:
        text = repr(value)
    except BaseException:  # noqa: BLE001 - the learner's __repr__
        text = f"a {type(value).__name__}"
    return text if len(text) <= 120 else text[:117] + "..."


def _build(run: Run, name: str, settings: dict[str, Any]) -> torch.nn.Module:
    cls = getattr(run.learner, name, None)
    if cls is None:
        raise Failure(f"Your file does not define {name}; the grader builds it by that name.")
    try:
        subclasses = isinstance(cls, type) and issubclass(cls, ObserverBase)
    except BaseException:  # noqa: BLE001 - a learner's metaclass
        subclasses = False
    if subclasses:
        raise Failure(
            f"{name} subclasses torch's {ObserverBase.__name__}: write it from torch.nn.Module."
        )
    kwargs = torch_kwargs(settings)
    shown = ", ".join(f"{k}={_show(v)}" for k, v in kwargs.items())
    observer = _call(run, f"{name}({shown})", cls, **kwargs)
    if not is_a(observer, torch.nn.Module):
        raise Failure(f"{name}(...) built a {type(observer).__name__}, not a torch.nn.Module.")
    return observer


def _feed(run: Run, observer: torch.nn.Module, name: str, batches: list[torch.Tensor]) -> None:
    for batch in batches:
        _call(run, f"{name}.forward()", observer, batch.clone())


def _first(value: Any) -> Any:
    """A number, from a number or a one-element tensor (PyTorch returns shape [1])."""
    return value.reshape(-1)[0].item() if is_a(value, torch.Tensor) else value


def _qparams(run: Run, observer: torch.nn.Module, name: str) -> list[float | int]:
    method = _call(run, f"{name}.calculate_qparams", getattr, observer, "calculate_qparams", None)
    if not callable(method):
        raise Failure(f"{name} has no calculate_qparams() method.")
    got = _call(run, f"{name}.calculate_qparams()", method)
    if is_a(got, torch.Tensor) or not is_a(got, (tuple, list)) or len(got) != 2:
        raise Failure(
            f"{name}.calculate_qparams() returned {_repr(got)}; return (scale, zero_point)."
        )
    try:
        scale, zero_point = (float(_first(v)) for v in got)
        if not zero_point.is_integer():
            raise ValueError(f"the zero point {zero_point:g} is not an integer")
    except BaseException as exc:  # noqa: BLE001 - whatever the learner's values raise
        raise Failure(
            f"{name}.calculate_qparams() returned {_repr(got)}: {exc}. Return "
            "(scale, zero_point), e.g. torch.tensor([0.02]), torch.tensor([64])."
        ) from None
    return [scale, int(zero_point)]


def _plain_tensor(value: torch.Tensor) -> torch.Tensor:
    """A copy of a tensor the checker can load with weights_only (no subclass, not quantized)."""
    value = value.detach()
    if value.is_quantized:
        value = value.dequantize()
    return value.as_subclass(torch.Tensor).clone()


def _forward(run: Run, name: str, data: dict[str, Any]) -> dict[str, Any]:
    """forward(x) once: what it returned (out/NAME_forward.pt: the output, and x after the
    call) for the checker to compare with its own copy of x."""
    observer = _build(run, name, {})
    x = data["forward_input"].clone()
    out = _call(run, f"{name}.forward(x)", observer, x)
    record: dict[str, Any] = {"type": type(out).__name__, "same_object": out is x}
    if is_a(out, torch.Tensor):
        try:
            record.update(dtype=str(out.dtype), shape=list(out.shape))
            saved = {"out": _plain_tensor(out), "x": _plain_tensor(x)}
        except BaseException as exc:  # noqa: BLE001 - a learner's tensor subclass
            raise Failure(
                f"{name}.forward(x) returned a {type(out).__name__} the grader cannot copy "
                f"({type(exc).__name__}: {exc}): return x itself."
            ) from None
        run.out.save(f"{name}_forward", saved)
    return record


def _attribute(run: Run, observer: torch.nn.Module, attr: str) -> float:
    value = _call(run, f"{MINMAX}.{attr}", getattr, observer, attr, None)
    if value is None:
        raise Failure(
            f"{MINMAX} has no {attr}: keep the running value in self.{attr}, as PyTorch's "
            "observers do (a buffer: register_buffer)."
        )
    try:
        return float(value.reshape(-1)[0]) if is_a(value, torch.Tensor) else float(value)
    except BaseException:  # noqa: BLE001 - whatever the learner's value raises
        raise Failure(f"{MINMAX}.{attr} is {_repr(value)}, not a number.") from None


def _running(run: Run, data: dict[str, Any]) -> dict[str, Any]:
    """min_val and max_val after each of the running batches."""
    observer = _build(run, MINMAX, {})
    values: list[list[float]] = []
    for batch in data["running"]:
        _call(run, f"{MINMAX}.forward()", observer, batch.clone())
        values.append([_attribute(run, observer, "min_val"), _attribute(run, observer, "max_val")])
    return {"values": values}


def _all_qparams(run: Run, job: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """calculate_qparams() of a fresh MinMaxObserver per setting and data set."""
    results = []
    for case in job["qparams"]:
        observer = _build(run, MINMAX, case["kwargs"])
        _feed(run, observer, MINMAX, data["sets"][case["data"]])
        results.append(_qparams(run, observer, MINMAX))
    return {"results": results}


def _scenario_qparams(run: Run, case: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    observer = _build(run, MSE, case["kwargs"])
    _feed(run, observer, MSE, data["sets"][case["data"]])
    return {"qparams": _qparams(run, observer, MSE)}


def _stage(func: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A stage's record, or its first failure (with the forbidden calls it saw: a claim that
    can only fail the check)."""
    try:
        return func()
    except Failure as exc:
        return {"failure": str(exc), "forbidden": exc.forbidden[:20]}


@suite.produce
def produce(run: Run) -> None:
    """The learner's process: build each class, feed it, record what it gave back."""
    job = run.job.load_json("observers")
    data = run.input("batches")
    run.out.save_json(
        MINMAX,
        {
            "forward": _stage(lambda: _forward(run, MINMAX, data)),
            "running": _stage(lambda: _running(run, data)),
            "qparams": _stage(lambda: _all_qparams(run, job, data)),
        },
    )
    run.out.save_json(
        MSE,
        {
            "forward": _stage(lambda: _forward(run, MSE, data)),
            "scenarios": {
                case["key"]: _stage(lambda case=case: _scenario_qparams(run, case, data))
                for case in job["scenarios"]
            },
        },
    )


# --- the checker: reading the record ------------------------------------------------------


class Unreadable(Exception):
    """A recorded value is not what the learner's process writes (the message says which)."""


def _stage_record(ctx: Context, name: str, *keys: str) -> dict[str, Any]:
    """One stage of the learner's record (out/NAME.json), e.g. ("scenarios", "spreads")."""
    record = ctx.memo(f"record:{name}", lambda: _load_record(ctx, name))
    for key in keys:
        record = record.get(key) if isinstance(record, dict) else None
    if not isinstance(record, dict):
        raise LearnerError(f"The record of your {name} has no readable {'/'.join(keys)}.")
    return record


def _load_record(ctx: Context, name: str) -> Any:
    try:
        return ctx.out.load_json(name)
    except ArtifactError as exc:
        raise LearnerError(f"The grader found no record of your {name}: {exc}") from None


def _failure(stage: dict[str, Any]) -> str | None:
    message = stage.get("failure")
    if message is None:
        return None
    message = str(message)
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unreadable(f"{what} is recorded as {str(value)[:40]!r}, not a number")
    return float(value)


def _pair(value: Any, what: str) -> tuple[float, int]:
    """A recorded (scale, zero_point)."""
    if not isinstance(value, list) or len(value) != 2:
        raise Unreadable(f"{what} is not recorded as a (scale, zero_point) pair")
    scale, zero_point = _number(value[0], what), _number(value[1], what)
    if not zero_point.is_integer():
        raise Unreadable(f"{what}: the zero point {zero_point:g} is not an integer")
    return scale, int(zero_point)


def _unreadable(exc: Unreadable, threshold: str) -> Outcome:
    return failed(f"The grader cannot read what your code returned: {exc}.", "failed", threshold)


# --- forward returns its input -------------------------------------------------------------


RETURNS_THRESHOLD = "the same tensor values, input untouched"


def _returns_input(ctx: Context, name: str) -> Outcome:
    threshold = RETURNS_THRESHOLD
    stage = _stage_record(ctx, name, "forward")
    failure = _failure(stage)
    if failure:
        return failed(failure, measured="failed", threshold=threshold)
    returned = str(stage.get("type"))[:40]
    if not ctx.out.exists(f"{name}_forward"):
        return failed(
            f"{name}.forward(x) returned a {returned}, not x: an observer passes its input "
            "through unchanged (it only watches).",
            measured=returned,
            threshold=threshold,
        )
    try:
        saved = ctx.out.load(f"{name}_forward")  # weights_only: tensors only
    except ArtifactError as exc:
        return failed(
            f"The grader cannot read what {name}.forward(x) returned: {exc}", "failed", threshold
        )
    x = ctx.store["forward_input"]
    out, after = (saved.get(k) if isinstance(saved, dict) else None for k in ("out", "x"))
    if not isinstance(out, torch.Tensor) or not isinstance(after, torch.Tensor):
        return failed(
            f"The grader cannot read what {name}.forward(x) returned.", "failed", threshold
        )
    if after.shape != x.shape or after.dtype != x.dtype or not torch.equal(after, x):
        return failed(
            f"{name}.forward(x) changed x in place; an observer only watches.",
            measured="input modified",
            threshold=threshold,
        )
    dtype = str(stage.get("dtype")) if out.dtype == x.dtype else str(out.dtype)
    if out.shape != x.shape or dtype != str(x.dtype) or not torch.equal(out, x):
        if out.shape != x.shape:
            shown = f"shape {tuple(out.shape)}"
        elif dtype != str(x.dtype):
            shown = f"dtype {dtype.removeprefix('torch.')[:20]}"
        else:
            difference = (out.to(torch.float64) - x.to(torch.float64)).abs().max().item()
            shown = f"largest difference {difference:.4g}"
        return failed(
            f"{name}.forward(x) returned something other than x ({shown}): an observer passes "
            "its input through unchanged, so inserting it leaves the model's outputs alone.",
            measured=shown,
            threshold=threshold,
        )
    # Whether it is the very object is the learner's process's word: shown, never scored.
    same = "the very tensor x" if stage.get("same_object") is True else "a tensor equal to x"
    return passed(f"{name}.forward(x) returns {same}; x is untouched.", "x", threshold)


# --- MinMaxObserver ---------------------------------------------------------------------


@suite.check("MinMaxObserver returns its input")
def minmax_returns_input(ctx: Context):
    return _returns_input(ctx, MINMAX)


@suite.check("MinMaxObserver: running min and max", needs=("MinMaxObserver returns its input",))
def minmax_running(ctx: Context):
    threshold = "the running min and max after every batch"
    stage = _stage_record(ctx, MINMAX, "running")
    failure = _failure(stage)
    if failure:
        return failed(failure, measured="failed", threshold=threshold)
    values = stage.get("values")
    batches = ctx.store["running"]
    low, high = math.inf, -math.inf
    try:
        if not isinstance(values, list) or len(values) != len(batches):
            raise Unreadable("min_val and max_val are not recorded after every batch")
        for i, (batch, value) in enumerate(zip(batches, values, strict=True), start=1):
            low, high = min(low, batch.min().item()), max(high, batch.max().item())
            if not isinstance(value, list) or len(value) != 2:
                raise Unreadable(f"min_val and max_val after batch {i} are not a pair")
            mine = (_number(value[0], "min_val"), _number(value[1], "max_val"))
            if mine != (low, high):
                return failed(
                    f"After batch {i} of {len(batches)}: min_val, max_val = {mine[0]:g}, "
                    f"{mine[1]:g}; the batches so far span [{low:g}, {high:g}]. The range may "
                    "only grow: min of the old minimum and the batch's, max likewise.",
                    measured=f"batch {i}: [{mine[0]:g}, {mine[1]:g}]",
                    threshold=threshold,
                )
    except Unreadable as exc:
        return _unreadable(exc, threshold)
    return passed(
        f"min_val and max_val follow the running range over {len(batches)} batches (ending at "
        f"[{low:g}, {high:g}]).",
        measured=f"[{low:g}, {high:g}]",
        threshold=threshold,
    )


@suite.check("MinMaxObserver: qparams like PyTorch's", needs=("MinMaxObserver returns its input",))
def minmax_qparams(ctx: Context):
    expected = ctx.store["expected"]
    total = len(expected)
    threshold = f"{total}/{total}"
    stage = _stage_record(ctx, MINMAX, "qparams")
    failure = _failure(stage)
    if failure:
        return failed(failure, measured="failed", threshold=threshold)
    results = stage.get("results")
    matched, first = 0, None
    try:
        if not isinstance(results, list) or len(results) != total:
            raise Unreadable(f"calculate_qparams() is not recorded for all {total} cases")
        for (config, data_label, (scale, zero_point)), got in zip(expected, results, strict=True):
            mine = _pair(got, f"{MINMAX}.calculate_qparams()")
            if math.isclose(mine[0], scale, rel_tol=SCALE_REL_TOL) and mine[1] == zero_point:
                matched += 1
            elif first is None:
                first = (
                    f"{config.label} on {data_label}: yours ({mine[0]:.6g}, {mine[1]}), "
                    f"PyTorch's ({scale:.6g}, {zero_point})"
                )
    except Unreadable as exc:
        return _unreadable(exc, threshold)
    message = f"{matched}/{total} configurations x data sets give PyTorch's (scale, zero_point)"
    return verdict(
        matched == total,
        message + (f"; first mismatch: {first}." if first else "."),
        measured=f"{matched}/{total}",
        threshold=threshold,
    )


# --- MSEObserver ------------------------------------------------------------------------


@suite.check("MSEObserver returns its input")
def mse_returns_input(ctx: Context):
    return _returns_input(ctx, MSE)


def _mse_of_learner(ctx: Context, scenario: Scenario) -> tuple[float, tuple[float, int]]:
    """The error of the learner's (scale, zero_point), measured on the checker's own data."""
    stage = _stage_record(ctx, MSE, "scenarios", scenario.key)
    failure = _failure(stage)
    if failure:
        raise Failure(failure)
    try:
        scale, zero_point = _pair(stage.get("qparams"), f"{MSE}.calculate_qparams()")
    except Unreadable as exc:
        raise Failure(f"The grader cannot read what your code returned: {exc}.") from None
    qmin, qmax = scenario.qrange
    if not (scale > 0 and math.isfinite(scale)) or not qmin <= zero_point <= qmax:
        raise Failure(
            f"{MSE} gave scale {scale:g}, zero point {zero_point} for {scenario.label}: the "
            f"scale must be positive and the zero point within [{qmin}, {qmax}]."
        )
    values = torch.cat([b.flatten() for b in scenario.batches])
    with single_thread():
        mse = _mse(values, scale, zero_point, qmin, qmax)
    if not math.isfinite(mse):
        raise Failure(
            f"{MSE}'s scale {scale:g}, zero point {zero_point} for {scenario.label} give a "
            f"quantization error of {mse}."
        )
    return mse, (scale, zero_point)


def _compare(scenario: Scenario, mine: float, qparams: tuple[float, int]) -> str:
    minmax = scenario.minmax_mse
    if mine <= minmax:
        relation = f"{minmax / mine:.2f}x lower than" if mine > 0 else "below"
    else:
        relation = f"{mine / minmax:.2f}x higher than"
    qmax = scenario.qrange[1]
    top = (qmax - qparams[1]) * qparams[0]
    minmax_top = (qmax - scenario.minmax[1]) * scenario.minmax[0]
    return (
        f"{scenario.label}: MSE {mine:.3g}, {relation} MinMax's {minmax:.3g} (your range tops "
        f"out at {top:.3g}, MinMax's at {minmax_top:.3g})"
    )


def _mse_check(
    threshold: str,
) -> Callable[[Callable[[Context], Outcome]], Callable[[Context], Outcome]]:
    """A check whose learner failures (Failure) become a failed outcome with their message."""

    def wrap(func: Callable[[Context], Outcome]) -> Callable[[Context], Outcome]:
        def run(ctx: Context) -> Outcome:
            try:
                return func(ctx)
            except Failure as exc:
                return failed(str(exc), measured="failed", threshold=threshold)

        run.__name__ = func.__name__
        return run

    return wrap


@suite.check(
    f"MSEObserver: >= {MIN_GAIN_4BIT:g}x lower error at 4 bits",
    needs=("MSEObserver returns its input",),
    direction="higher",
)
@_mse_check(f">= {MIN_GAIN_4BIT:g}x lower MSE than MinMax")
def mse_heavy_4bit(ctx: Context):
    scenario = ctx.store["scenarios"]["heavy_4bit"]
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
        measured=round(gain, 2) if math.isfinite(gain) else "inf",
        threshold=f">= {MIN_GAIN_4BIT:g}x lower MSE than MinMax",
    )


@suite.check(
    "MSEObserver: no worse than MinMax at 8 bits",
    needs=("MSEObserver returns its input",),
    direction="lower",
)
@_mse_check(f"<= {MAX_RATIO_8BIT:g}x MinMax's MSE")
def mse_heavy_8bit(ctx: Context):
    scenario = ctx.store["scenarios"]["heavy_8bit"]
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


@suite.check(
    "MSEObserver: every batch counts",
    needs=("MSEObserver returns its input",),
    direction="lower",
)
@_mse_check(f"<= {MAX_RATIO_SPREADS:g}x MinMax's MSE")
def mse_every_batch(ctx: Context):
    scenario = ctx.store["scenarios"]["spreads"]
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
