"""Checks for absmax-int8-numpy: the learner's NumPy quantize/dequantize against torch.

The checker draws every input (seeded random float32 arrays, exact .5 ties, saturation,
all-zero and non-finite arrays, int8 codes to dequantize) and computes every expected answer
with torch (`torch.quantize_per_tensor(x, scale, 0, torch.qint8)`, clamped to -127, and
`Tensor.dequantize`); the answers never leave it. The learner's process gets the inputs
(in/cases.pt), calls the learner's functions on NumPy copies of them under `watch_calls`
(NumPy only: a call into torch fails the check), and saves what came back as plain tensors
and strings (out/calls.pt), which the checker loads with `weights_only=True`.

torch multiplies by a float32 1/scale where NumPy divides, so the two agree except within
about 1e-5 of a rounding tie: the random arrays keep every value at least 1e-3 of a step
away from a tie, and the tie arrays use power-of-two scales, where both are exact.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from quizapp.grading.artifacts import ArtifactError
from quizapp.grading.call_watch import watch_calls
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Outcome, Suite, failed, passed
from quizapp.grading.learner_run import Run, describe_exception
from quizapp.grading.measure import single_thread

SEED = 127
QMAX = 127
RANDOM_ARRAYS = 48
TIE_MARGIN = 1e-3  # random values stay this far (in steps) from a .5 tie
SCALE_REL_TOL = 1e-6  # a float32 scale and a float64 one differ by ~1e-7
DEQUANT_REL_TOL = 1e-6
ROUND_TRIP_SLACK = 1e-4  # float32 products are off by ~1e-5 of a step at most
MAX_RECORDED = 1 << 16  # values kept per returned array (the inputs are far smaller)
FORBIDDEN_MODULES = ("torch", "torchao")  # the whiteboard version: NumPy only
FORBIDDEN_C = r"^torch\b"
FORBIDDEN_MESSAGE = (
    "This is the whiteboard version: NumPy only (np.abs, np.rint, np.clip, astype), no torch."
)
# Groups of quantize calls, in the order the learner's process makes them.
GROUPS = ("random", "ties", "saturation", "zeros", "bad")
ROUND_TRIP_GROUPS = ("random", "ties")  # dequantize(*quantize(x)) is recorded for these

suite = Suite()


# --- the checker's inputs and answers ----------------------------------------------------


@dataclass(frozen=True)
class QuantizeCase:
    label: str  # how a message names the input
    x: np.ndarray  # float32
    scale: float | None = None  # given to quantize (None: the learner computes absmax / 127)
    codes: np.ndarray | None = None  # torch's int8 codes
    expected_scale: float | None = None
    problem: str = ""  # bad input: what a ValueError should name ("NaN", "inf", "scale")


@dataclass(frozen=True)
class DequantizeCase:
    label: str
    q: np.ndarray  # int8
    scale: float
    values: np.ndarray  # torch's float32 values


def torch_codes(x: np.ndarray, scale: float) -> np.ndarray:
    """What PyTorch stores for x at this scale, restricted to [-127, 127]."""
    stored = torch.quantize_per_tensor(torch.from_numpy(x), scale, 0, torch.qint8)
    return stored.int_repr().clamp(-QMAX, QMAX).numpy()


def absmax_scale(x: np.ndarray) -> float:
    return float(np.abs(x).max()) / QMAX


def _answered(label: str, x: np.ndarray, scale: float | None = None) -> QuantizeCase:
    expected = absmax_scale(x) if scale is None else scale
    return QuantizeCase(label, x, scale, torch_codes(x, expected), expected)


def _away_from_ties(x: np.ndarray) -> np.ndarray:
    """x with every value within TIE_MARGIN of a .5 tie (in steps of absmax / 127) moved a
    hundredth of a step toward zero: torch and NumPy would disagree on it."""
    steps = x.astype(np.float64) / absmax_scale(x)
    fraction = np.abs(steps) - np.floor(np.abs(steps))
    near = np.abs(fraction - 0.5) < TIE_MARGIN
    moved = x.astype(np.float64) - np.sign(x) * 0.01 * absmax_scale(x)
    return np.where(near, moved, x).astype(np.float32)


def _random_cases(rng: np.random.Generator) -> list[QuantizeCase]:
    kinds = ("normal", "uniform", "heavy-tailed", "one outlier", "positive", "negative")
    cases = []
    for index in range(RANDOM_ARRAYS):
        kind = kinds[index % len(kinds)]
        spread = 10 ** rng.uniform(-3, 3)
        shape = (
            (int(rng.integers(1, 400)),),
            (int(rng.integers(1, 24)), int(rng.integers(1, 24))),
            (int(rng.integers(1, 6)), int(rng.integers(1, 8)), int(rng.integers(1, 8))),
        )[index % 3]
        if index == RANDOM_ARRAYS - 1:
            shape = (1,)  # a single value: it is its own absmax, stored as +-127
        if kind == "uniform":
            x = rng.uniform(-spread, spread, shape)
        elif kind == "heavy-tailed":
            x = rng.standard_t(2, shape) * spread
        else:
            x = rng.normal(0, spread, shape)
            if kind == "one outlier":
                x.flat[int(rng.integers(x.size))] = 40 * spread
            elif kind == "positive":
                x = np.abs(x)
            elif kind == "negative":
                x = -np.abs(x)
        x = x.astype(np.float32)
        if not np.abs(x).max() > 0:
            continue
        x = _away_from_ties(x)
        label = f"random {kind} array, shape {shape}, absmax {float(np.abs(x).max()):.4g}"
        cases.append(_answered(label, x))
    return cases


def _tie_cases() -> list[QuantizeCase]:
    """x / scale exactly k + 0.5 for every k in [-127, 126]: absmax = 127 * 2**-e makes the
    scale 2**-e, so both x and x / scale are exact in binary."""
    cases = []
    for exponent, sign in ((3, 1.0), (0, -1.0), (-2, 1.0)):
        step = 2.0**-exponent
        halves = (np.arange(-QMAX, QMAX) + 0.5) * step
        x = np.append(halves, sign * QMAX * step).astype(np.float32)
        label = f"exact .5 ties, absmax {QMAX * step:g} (scale {step:g})"
        cases.append(_answered(label, x))
    return cases


def _saturation_cases() -> list[QuantizeCase]:
    cases = [
        _answered("+-absmax both present", np.array([-2.5, 2.5, 1.0, -0.3], np.float32)),
        _answered("all negative: -absmax is -127", np.array([-5.0, -1.0, -0.3], np.float32)),
    ]
    given = [
        # scale 2**-4: 8.0 / scale is exactly 128, one past the top; 7.96875 is 127.5
        (0.0625, [8.0, -8.0, 7.96875, -7.96875, 7.9375, 30.0, -30.0, 0.5]),
        # calibrated at 12.7: values far beyond saturate, they do not wrap
        (0.1, [12.7, 13.0, 30.0, 1000.0, -12.7, -30.0, -1000.0, 3.14]),
    ]
    for scale, values in given:
        x = np.array(values, np.float32)
        cases.append(_answered(f"given scale {scale:g}, values beyond 127 * scale", x, scale))
    return cases


def _zero_cases() -> list[QuantizeCase]:
    zeros = [
        ("all-zero array, shape (8,)", np.zeros(8, np.float32)),
        ("all-zero array, shape (3, 4), with -0.0", -np.zeros((3, 4), np.float32)),
    ]
    return [QuantizeCase(label, x, codes=np.zeros(x.shape, np.int8)) for label, x in zeros]


def _bad_cases(rng: np.random.Generator) -> list[QuantizeCase]:
    values = rng.normal(0, 1, 16).astype(np.float32)
    cases = []
    for label, bad, problem in (
        ("x with a NaN", float("nan"), "nan"),
        ("x with +inf", float("inf"), "inf"),
        ("x with -inf", float("-inf"), "inf"),
    ):
        x = values.copy()
        x[5] = bad
        cases.append(QuantizeCase(label, x, problem=problem))
    cases += [
        QuantizeCase("given scale 0.0", values.copy(), scale=0.0, problem="scale"),
        QuantizeCase("given scale -0.5", values.copy(), scale=-0.5, problem="scale"),
    ]
    return cases


def _dequantize_cases(rng: np.random.Generator) -> list[DequantizeCase]:
    cases = []
    for index in range(12):
        size = int(rng.integers(1, 300))
        q = rng.integers(-QMAX, QMAX + 1, size).astype(np.int8)
        q[0] = QMAX if index % 2 else -QMAX
        scale = float(f"{10 ** rng.uniform(-4, 2):.5g}")
        stored = torch._make_per_tensor_quantized_tensor(torch.from_numpy(q), scale, 0)
        values = stored.dequantize().numpy()
        cases.append(DequantizeCase(f"{size} codes, scale {scale:g}", q, scale, values))
    return cases


@suite.setup
def setup(ctx: Context) -> None:
    rng = np.random.default_rng(SEED)
    with single_thread(), warnings.catch_warnings():
        # quantize_per_tensor warns (every call) that quantized tensor creation is deprecated
        warnings.simplefilter("ignore")
        groups = {
            "random": _random_cases(rng),
            "ties": _tie_cases(),
            "saturation": _saturation_cases(),
            "zeros": _zero_cases(),
            "bad": _bad_cases(rng),
        }
        dequantize_cases = _dequantize_cases(rng)
        # What torch itself stores for a NaN (it does not check): the bad-input message says.
        nan = torch.quantize_per_tensor(torch.tensor([float("nan")]), 0.1, 0, torch.qint8)
        ctx.store["torch_nan_code"] = int(nan.int_repr()[0])
    ctx.store.update(groups=groups, dequantize=dequantize_cases)
    # The learner's process gets the inputs, never the answers.
    ctx.job.save(
        "cases",
        {
            "quantize": {
                group: [[torch.from_numpy(c.x), c.scale] for c in cases]
                for group, cases in groups.items()
            },
            "dequantize": [[torch.from_numpy(c.q), c.scale] for c in dequantize_cases],
        },
    )


# --- the learner's process ----------------------------------------------------------------


@suite.produce
def produce(run: Run) -> None:
    """Every call on NumPy copies of the inputs, each under its own call watch (NumPy
    only); what came back is converted to tensors and strings after the calls."""
    cases = run.job.load("cases")
    quantize_inputs = {
        group: [(x.numpy(), scale) for x, scale in calls]
        for group, calls in cases["quantize"].items()
    }
    dequantize_inputs = [(q.numpy(), scale) for q, scale in cases["dequantize"]]
    functions = {name: getattr(run.learner, name, None) for name in ("quantize", "dequantize")}
    record: dict[str, Any] = {
        name: {
            "defined": callable(func),
            "not_implemented": False,
            "raised": None,
            "forbidden": [],
        }
        for name, func in functions.items()
    }
    raw: dict[str, Any] = {"quantize": {}, "round_trip": {}, "dequantize": []}

    def call(name: str, *args: Any, expected_raise: bool = False) -> tuple[str, Any]:
        """('value', what it returned), ('raised', (type, message)) or ('skipped', None).
        The first exception is described with the learner's frames, unless the input was
        one that should raise."""
        func, mine = functions[name], record[name]
        if not callable(func) or mine["not_implemented"]:
            return "skipped", None
        try:
            with watch_calls(FORBIDDEN_MODULES, FORBIDDEN_C) as forbidden:
                returned = func(*args)
            return "value", returned
        except BaseException as exc:  # noqa: BLE001 - the learner's failure, recorded
            if isinstance(exc, NotImplementedError) and not mine.get("called"):
                mine["not_implemented"] = True
                return "skipped", None
            if mine["raised"] is None and not expected_raise:
                shown = ", ".join(_short(a) for a in args)
                mine["raised"] = describe_exception(exc, f"{name}({shown})", run.learner_path)
            return "raised", (type(exc).__name__, str(exc)[:300])
        finally:
            mine["called"] = True
            mine["forbidden"] += [f for f in forbidden if f not in mine["forbidden"]]

    for group in GROUPS:
        raw["quantize"][group], raw["round_trip"][group] = [], []
        for x, scale in quantize_inputs[group]:
            args = (x.copy(),) if scale is None else (x.copy(), scale)
            outcome = call("quantize", *args, expected_raise=group == "bad")
            raw["quantize"][group].append(outcome)
            back: tuple[str, Any] = ("skipped", None)
            returned = outcome[1]
            pair = isinstance(returned, tuple) and len(returned) == 2
            if group in ROUND_TRIP_GROUPS and outcome[0] == "value" and pair:
                codes = returned[0]
                back = call(
                    "dequantize",
                    codes.copy() if isinstance(codes, np.ndarray) else codes,
                    returned[1],
                )
            raw["round_trip"][group].append(back)
    for q, scale in dequantize_inputs:
        raw["dequantize"].append(call("dequantize", q.copy(), scale))
    for mine in record.values():
        mine.pop("called", None)
    record["quantize_calls"] = {
        group: [_quantize_record(outcome) for outcome in outcomes]
        for group, outcomes in raw["quantize"].items()
    }
    record["round_trip_calls"] = {
        group: [_array_outcome(outcome) for outcome in outcomes]
        for group, outcomes in raw["round_trip"].items()
    }
    record["dequantize_calls"] = [_array_outcome(outcome) for outcome in raw["dequantize"]]
    run.out.save("calls", record)


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<{value.dtype} array of shape {value.shape}>"
    return repr(value)[:40]


def _array_record(value: Any) -> dict[str, Any]:
    """A returned array as its type, dtype, shape and values (float64: exact for any int8
    or float32 value); anything else as its type."""
    if not isinstance(value, np.ndarray):
        return {"type": type(value).__name__}
    record: dict[str, Any] = {
        "type": "ndarray",
        "dtype": str(value.dtype),
        "shape": [int(n) for n in value.shape],
    }
    if value.dtype.kind in "biuf" and value.size <= MAX_RECORDED:
        flat = np.asarray(value, dtype=np.float64).reshape(-1)
        record["values"] = torch.from_numpy(flat.copy())
    return record


def _scale_record(value: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"type": type(value).__name__}
    try:
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
            record["value"] = float(value)
        elif isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
            record["value"] = float(value.reshape(-1)[0])
    except Exception:  # noqa: BLE001 - a learner's number that cannot be a float: its type
        pass
    return record


def _array_outcome(outcome: tuple[str, Any]) -> dict[str, Any]:
    kind, value = outcome
    if kind == "raised":
        return {"raised": value[0], "error": value[1]}
    if kind == "skipped":
        return {"skipped": True}
    return {"array": _array_record(value)}


def _quantize_record(outcome: tuple[str, Any]) -> dict[str, Any]:
    kind, value = outcome
    if kind != "value":
        return _array_outcome(outcome)
    if not (isinstance(value, tuple) and len(value) == 2):
        size = len(value) if isinstance(value, (tuple, list)) else None
        return {"not_a_pair": type(value).__name__, "length": size}
    return {"array": _array_record(value[0]), "scale": _scale_record(value[1])}


# --- reading what the learner's process saved ---------------------------------------------


def _calls(ctx: Context) -> dict[str, Any]:
    def load() -> dict[str, Any]:
        try:
            record = ctx.out.load("calls")
        except ArtifactError as exc:
            raise LearnerError(f"The grader found no result of your functions: {exc}") from None
        if not isinstance(record, dict) or "quantize_calls" not in record:
            raise LearnerError("The recorded calls of your functions are not readable.")
        return record

    return ctx.memo("calls", load)


def _not_gradable(
    ctx: Context, name: str, total: int, threshold: str | None = None
) -> Outcome | None:
    """A failed outcome when `name` cannot be graded at all (missing, not implemented, or it
    called torch); None when it can. `threshold` for a check that measures a figure rather
    than counting cases."""
    record = _calls(ctx)
    mine = record.get(name) or {}
    measured = None if threshold else f"0/{total}"
    threshold = threshold or f"{total}/{total}"
    if not mine.get("defined"):
        return failed(
            f"Your file does not define {name}(); the grader calls it by that name.",
            measured=measured,
            threshold=threshold,
        )
    if mine.get("not_implemented"):
        return failed(
            f"{name}() is not implemented yet (it raised NotImplementedError).",
            measured=measured,
            threshold=threshold,
        )
    forbidden = [str(f) for f in mine.get("forbidden") or []]
    if forbidden:
        return failed(
            f"{name}() called {', '.join(forbidden[:2])}. {FORBIDDEN_MESSAGE}",
            measured=f"calls {forbidden[0]}",
            threshold="no torch calls",
        )
    return None


@dataclass(frozen=True)
class Returned:
    """One quantize call as the checker reads it: codes and scale, or why there are none."""

    codes: np.ndarray | None = None  # the values (float64), in x's shape
    dtype: str = ""
    scale: float | None = None
    problem: str = ""  # why codes or scale are missing (returned the wrong thing, raised)
    raised: str = ""  # the exception's type, if it raised


def _array(entry: dict[str, Any], shape: tuple[int, ...], what: str) -> tuple[Any, str, str]:
    """(values in `shape`, dtype, problem) of a recorded returned array."""
    array = entry.get("array")
    if not isinstance(array, dict):
        if entry.get("raised"):
            return None, "", f"raised {entry['raised']}: {entry.get('error', '')}".rstrip(": ")
        return None, "", "no result"
    if array.get("type") != "ndarray":
        return None, "", f"{what}: a {array.get('type')}, not a NumPy array"
    dtype, got = str(array.get("dtype")), tuple(array.get("shape") or ())
    if got != shape:
        return None, dtype, f"{what}: shape {got}, not x's shape {shape}"
    values = array.get("values")
    if not isinstance(values, torch.Tensor) or values.numel() != math.prod(shape):
        return None, dtype, f"{what}: a {dtype} array, not numbers"
    return values.numpy().reshape(shape), dtype, ""


def _returned(entry: dict[str, Any], case: QuantizeCase) -> Returned:
    if entry.get("skipped"):
        return Returned(problem="not called")
    if entry.get("raised"):
        error = entry.get("error") or ""
        text = f"raised {entry['raised']}" + (f": {error}" if error else "")
        return Returned(problem=text, raised=str(entry["raised"]))
    if "not_a_pair" in entry:
        length = entry.get("length")
        shown = f"a {entry['not_a_pair']}" + (f" of length {length}" if length else "")
        return Returned(problem=f"returned {shown}; return a pair: (codes, scale)")
    codes, dtype, problem = _array(entry, case.x.shape, "the codes")
    scale_entry = entry.get("scale") or {}
    scale = scale_entry.get("value")
    array_type = (entry.get("array") or {}).get("type")
    if scale_entry.get("type") == "ndarray" and array_type != "ndarray":
        problem += " (the pair is (codes, scale), in that order)"
    if problem:
        return Returned(dtype=dtype, scale=scale, problem=problem)
    if scale is None:
        shown = scale_entry.get("type", "?")
        return Returned(codes, dtype, None, f"the scale: a {shown}; return it as a float")
    return Returned(codes, dtype, float(scale))


def _returns(ctx: Context, group: str) -> list[tuple[QuantizeCase, Returned]]:
    entries = _calls(ctx)["quantize_calls"].get(group) or []
    cases = ctx.store["groups"][group]
    if len(entries) != len(cases):
        raise LearnerError("The recorded calls of quantize() are incomplete.")
    return [(case, _returned(entry, case)) for case, entry in zip(cases, entries, strict=True)]


def _with_raised(ctx: Context, name: str, message: str) -> str:
    raised = (_calls(ctx).get(name) or {}).get("raised")
    return f"{message}\n{raised}" if raised else message


# --- what a mismatch says ------------------------------------------------------------------


def _rounding_modes(steps: np.ndarray) -> dict[str, np.ndarray]:
    clip = lambda v: np.clip(v, -QMAX, QMAX)  # noqa: E731 - one line per mode below
    return {
        "truncation toward zero (astype(np.int8) drops the fraction: round first, with "
        "np.rint)": clip(np.trunc(steps)),
        "round half up (np.floor(x / scale + 0.5)): a tie goes up, PyTorch's goes to the "
        "even neighbour, as np.rint (and np.round) do": clip(np.floor(steps + 0.5)),
        "round half away from zero (C's round(), np.sign(v) * np.floor(np.abs(v) + 0.5)): "
        "PyTorch rounds half to even, as np.rint does": clip(
            np.sign(steps) * np.floor(np.abs(steps) + 0.5)
        ),
    }


def _diagnosis(case: QuantizeCase, mine: np.ndarray, scale: float | None) -> str:
    """Which known mistake the learner's codes are, if one explains every mismatch."""
    expected = case.codes
    assert expected is not None and case.expected_scale is not None
    wrong = mine != expected
    steps = case.x.astype(np.float64) / case.expected_scale
    beyond = wrong & (np.abs(np.rint(steps)) > QMAX)
    if beyond.any():
        index = int(np.flatnonzero(beyond)[0])
        return (
            f"Yours is {int(mine.flat[index])} where x / scale = {steps.flat[index]:g} lies "
            "beyond 127: clip to [-127, 127] before the cast (np.clip); a cast to int8 wraps "
            "a value it cannot hold around"
        )
    hints = []
    if scale is not None and not _same_scale(scale, case.expected_scale):
        hints.append("Your scale is off (see the scale check), and the codes follow from it")
    if (mine[wrong] == -QMAX - 1).any():
        hints.append(
            "Code -128 is outside the symmetric grid: clip to [-127, 127], not to int8's "
            "[-128, 127]"
        )
    if hints:
        return ". ".join(hints)
    for mode, codes in _rounding_modes(steps).items():
        if np.array_equal(mine[wrong], codes[wrong]):
            return f"Looks like {mode}"
    return ""


def _first_mismatch(case: QuantizeCase, mine: np.ndarray) -> str:
    assert case.codes is not None and case.expected_scale is not None
    index = int(np.flatnonzero(mine != case.codes)[0])
    where = np.unravel_index(index, case.x.shape)
    at = ", ".join(str(int(i)) for i in where)
    value = float(case.x.flat[index])
    return (
        f"{case.label}: x[{at}] = {value:.7g} (x / scale = "
        f"{value / case.expected_scale:.6g}): yours {int(mine.flat[index])}, "
        f"torch {int(case.codes.flat[index])}"
    )


def _same_scale(mine: float, expected: float) -> bool:
    return math.isclose(mine, expected, rel_tol=SCALE_REL_TOL, abs_tol=0.0)


def _scale_diagnosis(mine: float, expected: float) -> str:
    if not math.isfinite(mine) or mine <= 0:
        return "A scale must be a positive finite number"
    ratio = mine / expected
    known = {
        127 / 128: "Absmax / 128: then +absmax needs code 128, which int8 cannot hold",
        127 / 255: (
            "Absmax / 255: 255 steps is the asymmetric uint8 range; symmetric INT8 has "
            "127 steps on each side of 0"
        ),
        127 / 127.5: (
            "Absmax / 127.5: PyTorch's default symmetric observer spreads [-128, 127]; "
            "this exercise keeps the grid symmetric, [-127, 127], so the step is absmax / 127"
        ),
    }
    for target, text in known.items():
        if math.isclose(ratio, target, rel_tol=1e-4):
            return text
    if math.isclose(mine, 1 / expected, rel_tol=1e-4):
        return (
            "That is 127 / absmax, the multiplier that takes x to codes; return the step, "
            "absmax / 127, so that codes * scale ~ x"
        )
    return ""


def _verdict(matched: int, total: int, what: str, first: str, hint: str = "") -> Outcome:
    message = f"{matched}/{total} {what}"
    measured, threshold = f"{matched}/{total}", f"{total}/{total}"
    if matched == total:
        return passed(message + ".", measured=measured, threshold=threshold)
    message += f"; first mismatch: {first}"
    if hint:
        message += f"\n{hint}."
    return failed(message, measured=measured, threshold=threshold)


def _compare_codes(ctx: Context, groups: tuple[str, ...], what: str) -> Outcome:
    """The learner's codes against torch's for every call of `groups` (dtype aside: the
    int8 check judges it)."""
    pairs = [pair for group in groups for pair in _returns(ctx, group)]
    unusable = _not_gradable(ctx, "quantize", len(pairs))
    if unusable:
        return unusable
    matched, first, hint = 0, "", ""
    for case, mine in pairs:
        ok = mine.codes is not None and np.array_equal(mine.codes, case.codes)
        scale_ok = case.scale is None or (
            mine.scale is not None and _same_scale(mine.scale, case.scale)
        )
        if ok and scale_ok:
            matched += 1
        elif not first:
            if mine.codes is None:
                first = f"{case.label}: {mine.problem}"
            elif not ok:
                first = _first_mismatch(case, mine.codes)
                hint = _diagnosis(case, mine.codes, mine.scale)
            else:
                first = (
                    f"{case.label}: yours returned scale {mine.scale}, not the given {case.scale}"
                )
                hint = "With a scale given, quantize uses it and returns it"
    outcome = _verdict(matched, len(pairs), what, first, hint)
    if outcome.status == "fail":
        outcome = failed(
            _with_raised(ctx, "quantize", outcome.message), outcome.measured, outcome.threshold
        )
    return outcome


# --- the checks -----------------------------------------------------------------------------


@suite.check("quantize: scale = absmax / 127")
def scale_is_absmax_over_127(ctx: Context) -> Outcome:
    pairs = [
        (case, mine)
        for group in ("random", "ties", "saturation")
        for case, mine in _returns(ctx, group)
        if case.scale is None
    ]
    unusable = _not_gradable(ctx, "quantize", len(pairs))
    if unusable:
        return unusable
    matched, first, hint = 0, "", ""
    for case, mine in pairs:
        assert case.expected_scale is not None
        if mine.scale is not None and _same_scale(mine.scale, case.expected_scale):
            matched += 1
        elif not first:
            if mine.scale is None:
                first = f"{case.label}: {mine.problem}"
            else:
                first = f"{case.label}: yours {mine.scale:.7g}, absmax / 127 = "
                first += f"{case.expected_scale:.7g}"
                hint = _scale_diagnosis(mine.scale, case.expected_scale)
    return _verdict(matched, len(pairs), "scales are absmax / 127", first, hint)


INT8_ADVICE = {
    "int16": "int16 codes take 2 bytes each",
    "int32": "int32 codes take 4 bytes each, as many as the float32 they replace",
    "int64": "int64 codes take 8 bytes each, twice the float32 they replace",
    "uint8": "uint8 cannot hold the negative codes (-1 is stored as 255)",
    "float16": "np.rint returns floats",
    "float32": "np.rint returns floats",
    "float64": "np.rint returns floats",
}


@suite.check("quantize: codes are int8")
def codes_are_int8(ctx: Context) -> Outcome:
    pairs = [pair for group in GROUPS if group != "bad" for pair in _returns(ctx, group)]
    unusable = _not_gradable(ctx, "quantize", len(pairs))
    if unusable:
        return unusable
    matched, first, hint = 0, "", ""
    for case, mine in pairs:
        if mine.dtype == "int8" and mine.codes is not None:
            matched += 1
        elif not first:
            if mine.codes is None:
                first = f"{case.label}: {mine.problem}"
                continue
            first = f"{case.label}: yours are {mine.dtype}"
            advice = INT8_ADVICE.get(mine.dtype, "")
            hint = (f"{advice[0].upper()}{advice[1:]}: " if advice else "") + (
                "one byte per value is the point of INT8; store the clipped codes "
                "with .astype(np.int8)"
            )
    return _verdict(matched, len(pairs), "calls return int8 codes of x's shape", first, hint)


@suite.check("quantize: codes match torch")
def codes_match_torch(ctx: Context) -> Outcome:
    return _compare_codes(ctx, ("random",), "random arrays quantize as torch does")


@suite.check("quantize: ties round half to even")
def ties_round_half_to_even(ctx: Context) -> Outcome:
    return _compare_codes(ctx, ("ties",), "arrays of exact .5 ties round as torch does")


@suite.check("quantize: saturates at -127 and 127")
def saturates(ctx: Context) -> Outcome:
    return _compare_codes(
        ctx, ("saturation",), "arrays with values at or beyond the range end at +-127 as in torch"
    )


@suite.check("quantize: all-zero input")
def all_zero_input(ctx: Context) -> Outcome:
    pairs = _returns(ctx, "zeros")
    unusable = _not_gradable(ctx, "quantize", len(pairs))
    if unusable:
        return unusable
    matched, first, hint = 0, "", ""
    for case, mine in pairs:
        scale_ok = mine.scale is not None and math.isfinite(mine.scale) and mine.scale > 0
        codes_ok = mine.codes is not None and not mine.codes.any()
        if scale_ok and codes_ok:
            matched += 1
        elif not first:
            if mine.codes is None or mine.scale is None:
                first = f"{case.label}: {mine.problem}"
            elif not scale_ok:
                first = f"{case.label}: your scale is {mine.scale!r}"
                hint = (
                    "Absmax is 0 here, and absmax / 127 = 0 makes x / scale 0 / 0 = NaN; "
                    "the exercise expects a positive scale (1.0: zeros are exact at any "
                    "scale) with every code 0"
                )
            else:
                first = f"{case.label}: codes {sorted(set(mine.codes.flat))[:4]} (all 0 expected)"
    outcome = _verdict(
        matched, len(pairs), "all-zero arrays give a positive scale and codes 0", first, hint
    )
    if outcome.status == "fail":
        return failed(
            _with_raised(ctx, "quantize", outcome.message), outcome.measured, outcome.threshold
        )
    return outcome


PROBLEM_WORDS = {"nan": ("nan", "finite"), "inf": ("inf", "finite"), "scale": ("scale",)}


@suite.check("quantize: NaN, inf and a bad scale raise ValueError")
def bad_input_raises(ctx: Context) -> Outcome:
    pairs = _returns(ctx, "bad")
    unusable = _not_gradable(ctx, "quantize", len(pairs))
    if unusable:
        return unusable
    matched, first, hint = 0, "", ""
    for case, mine in pairs:
        named = any(word in mine.problem.lower() for word in PROBLEM_WORDS[case.problem])
        if mine.raised == "ValueError" and named:
            matched += 1
            continue
        if first:
            continue
        if mine.raised == "ValueError":
            first = f"{case.label}: {mine.problem}"
            hint = f"The message should name the problem ({PROBLEM_WORDS[case.problem][0]!r})"
        elif mine.raised:
            first = f"{case.label}: {mine.problem}"
            hint = "Raise ValueError, naming the problem, before any arithmetic"
        elif case.problem == "scale":
            first = f"{case.label}: returned instead of raising"
            hint = "A scale must be a positive finite number: raise ValueError otherwise"
        else:
            first = f"{case.label}: returned instead of raising"
            hint = (
                "A NaN or inf makes absmax (and so the scale) NaN or inf, and every code "
                "meaningless; torch.quantize_per_tensor does not check either (it stored a "
                f"NaN as {ctx.store['torch_nan_code']} here). Test np.isfinite(x).all() "
                "first and raise ValueError naming the problem"
            )
    return _verdict(
        matched, len(pairs), "bad inputs raise ValueError naming the problem", first, hint
    )


@suite.check("dequantize: float32 as torch")
def dequantize_matches_torch(ctx: Context) -> Outcome:
    cases: list[DequantizeCase] = ctx.store["dequantize"]
    unusable = _not_gradable(ctx, "dequantize", len(cases))
    if unusable:
        return unusable
    entries = _calls(ctx).get("dequantize_calls") or []
    if len(entries) != len(cases):
        raise LearnerError("The recorded calls of dequantize() are incomplete.")
    matched, first, hint = 0, "", ""
    for case, entry in zip(cases, entries, strict=True):
        values, dtype, problem = _array(entry, case.q.shape, "the result")
        if problem:
            first = first or f"dequantize({case.label}): {problem}"
            continue
        close = np.isclose(values, case.values, rtol=DEQUANT_REL_TOL, atol=case.scale * 1e-9)
        if dtype == "float32" and close.all():
            matched += 1
        elif not first:
            if dtype != "float32":
                first = f"dequantize({case.label}): yours are {dtype}"
                hint = (
                    "An int8 array times a Python float is float64 in NumPy; use "
                    "q.astype(np.float32) * np.float32(scale)"
                )
            else:
                index = int(np.flatnonzero(~close)[0])
                first = (
                    f"dequantize({case.label}): code {int(case.q[index])}: yours "
                    f"{float(values[index]):.7g}, torch {float(case.values[index]):.7g}"
                )
    outcome = _verdict(matched, len(cases), "code arrays dequantize as torch does", first, hint)
    if outcome.status == "fail":
        return failed(
            _with_raised(ctx, "dequantize", outcome.message), outcome.measured, outcome.threshold
        )
    return outcome


@suite.check("round trip within scale / 2", direction="lower")
def round_trip_error(ctx: Context) -> Outcome:
    """|x - dequantize(quantize(x))| <= scale / 2 for every finite x, with the learner's own
    scale: the rounding error of a value inside the range, never more."""
    pairs = [(group, pair) for group in ROUND_TRIP_GROUPS for pair in _returns(ctx, group)]
    threshold = "<= 0.5 (steps)"
    for name in ("quantize", "dequantize"):
        unusable = _not_gradable(ctx, name, len(pairs), threshold)
        if unusable:
            return unusable
    entries = [
        entry for group in ROUND_TRIP_GROUPS for entry in _calls(ctx)["round_trip_calls"][group]
    ]
    if len(entries) != len(pairs):
        raise LearnerError("The recorded round trips are incomplete.")
    worst, worst_case, problem = 0.0, "", ""
    for (_, (case, mine)), entry in zip(pairs, entries, strict=True):
        if mine.codes is None or mine.scale is None:
            problem = problem or f"{case.label}: quantize(): {mine.problem}"
            continue
        if not (math.isfinite(mine.scale) and mine.scale > 0):
            problem = problem or f"{case.label}: your scale is {mine.scale!r}"
            continue
        values, _, trouble = _array(entry, case.x.shape, "dequantize's result")
        if trouble:
            problem = problem or f"{case.label}: {trouble}"
            continue
        error = np.abs(case.x.astype(np.float64) - values) / mine.scale
        index = int(np.argmax(error))
        if float(error.flat[index]) > worst:
            worst = float(error.flat[index])
            value = float(case.x.flat[index])
            worst_case = (
                f"{case.label}: x = {value:.7g} came back as {float(values.flat[index]):.7g}"
            )
    if problem:
        return failed(
            _with_raised(ctx, "dequantize", f"A round trip could not be measured: {problem}"),
            measured=None,
            threshold=threshold,
        )
    measured = round(worst, 4)
    if worst <= 0.5 + ROUND_TRIP_SLACK:
        return passed(
            f"The largest error of dequantize(quantize(x)) is {measured} of a step "
            f"({len(pairs)} arrays): rounding, never more.",
            measured=measured,
            threshold=threshold,
        )
    return failed(
        f"The largest error of dequantize(quantize(x)) is {measured} steps, more than the "
        f"half step rounding allows; {worst_case}. Check the rounding (np.rint), the scale "
        "(absmax / 127) and that nothing is clipped inside [-absmax, absmax].",
        measured=measured,
        threshold=threshold,
    )
