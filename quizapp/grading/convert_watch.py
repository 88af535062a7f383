"""What the learner's convert() was handed, for qat-resnet18 (torch, both sides).

In the learner's process, `watch_convert` reports every call of
torch.ao.quantization.convert() and a snapshot of the model it received (fake quantizers,
observers still running, frozen BatchNorm, ranges), and `convert_claim` sums up the call
that returned the learner's model as a claim. In the checker, `claimed_convert` reads that
claim back as the learner's word: shown, never worth a point.

The functions the watch relies on are captured when this module is imported, which the
exercise's checks.py does before any learner code runs.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import sys
import threading
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import torch
import torch.ao.nn.intrinsic.qat as nniqat
from torch.ao.quantization import FakeQuantizeBase, ObserverBase, convert, prepare_qat

from quizapp.grading.measure import is_a, named_modules

# Captured before any learner code runs (watch_convert runs in the learner's process).
_setprofile, _getprofile = sys.setprofile, sys.getprofile
_thread_setprofile, _thread_getprofile = threading.setprofile, threading.getprofile
_id = builtins.id
# torch's convert() under its deprecation wrapper (whose code all deprecated functions share),
# and prepare_qat(), which calls convert() itself to swap in the QAT modules.
_CONVERT_CODE = inspect.unwrap(convert).__code__
_PREPARE_QAT_CODE = inspect.unwrap(prepare_qat).__code__


# --- QAT: what convert() was handed (the learner's process) -----------------------------


@dataclass
class ConvertCall:
    """The model torch.ao.quantization.convert() received, as it was then."""

    model_id: int
    inplace: bool
    fake_quantizers: int = 0
    observers_running: int = 0  # fake quantizers whose observer was still enabled
    fake_quant_off: int = 0  # fake quantizers with fake quantization disabled
    ranges: set[tuple[int, int]] = field(default_factory=set)  # (quant_min, quant_max)
    plain_observers: int = 0  # PTQ observers (not inside a fake quantizer)
    qat_layers: int = 0  # modules that carry a weight fake quantizer
    conv_bn: int = 0  # QAT conv+BN modules
    bn_frozen: int = 0
    returned_id: int | None = None
    returned: object = None


def _snapshot(module: object, inplace: object) -> ConvertCall:
    call = ConvertCall(model_id=_id(module), inplace=bool(inplace))
    if not is_a(module, torch.nn.Module):
        return call
    model = cast(torch.nn.Module, module)  # is_a, unlike isinstance, asks its real class
    inside_fake_quant: set[int] = set()
    for _, sub in named_modules(model):
        if is_a(sub, FakeQuantizeBase):
            fake_quant = cast(FakeQuantizeBase, sub)
            call.fake_quantizers += 1
            call.observers_running += int(bool(fake_quant.observer_enabled[0]))
            call.fake_quant_off += int(not bool(fake_quant.fake_quant_enabled[0]))
            # ints that every fake quantizer sets, though its base class does not declare them
            low, high = cast(int, fake_quant.quant_min), cast(int, fake_quant.quant_max)
            call.ranges.add((int(low), int(high)))
            inside_fake_quant.update(_id(m) for _, m in named_modules(sub))
        if is_a(getattr(sub, "weight_fake_quant", None), FakeQuantizeBase):
            call.qat_layers += 1
        if is_a(sub, nniqat.modules.conv_fused._ConvBnNd):
            call.conv_bn += 1
            call.bn_frozen += int(bool(sub.freeze_bn))
    call.plain_observers = sum(
        1
        for _, sub in named_modules(model)
        if is_a(sub, ObserverBase) and _id(sub) not in inside_fake_quant
    )
    return call


@contextlib.contextmanager
def watch_convert() -> Iterator[list[ConvertCall]]:
    """Every call of torch.ao.quantization.convert() while the block runs (under any name it
    was imported as; not prepare_qat()'s own call): the model it was handed, inspected at the
    call, and what it returned.
    Like call_watch.watch_calls, a profile function: cheap, and code that removes it is noticed
    (the list then ends with a ConvertCall whose model_id is -1)."""
    calls: list[ConvertCall] = []
    open_frames: dict[int, ConvertCall] = {}

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        if frame.f_code is not _CONVERT_CODE:
            return
        if event == "call":
            # prepare_qat -> the deprecation wrapper -> convert: skip prepare_qat's own call
            caller, hops = frame.f_back, 0
            while caller is not None and hops < 3:
                if caller.f_code is _PREPARE_QAT_CODE:
                    return
                caller, hops = caller.f_back, hops + 1
            local = frame.f_locals
            call = _snapshot(local.get("module"), local.get("inplace", False))
            open_frames[_id(frame)] = call
            calls.append(call)
        elif event == "return":
            returning = open_frames.pop(_id(frame), None)
            if returning is not None and arg is not None:
                returning.returned_id = _id(arg)
                returning.returned = arg

    previous, previous_threads = _getprofile(), _thread_getprofile()
    _setprofile(profile)
    _thread_setprofile(profile)
    try:
        yield calls
    finally:
        intact = _getprofile() is profile
        _setprofile(previous)
        _thread_setprofile(previous_threads)
        if not intact:
            calls.append(ConvertCall(model_id=-1, inplace=False))


# The claim the learner's process makes about the convert() call that returned its model.
CONVERT_CLAIM = "convert"
_CLAIM_COUNTS = (
    "fake_quantizers",
    "observers_running",
    "fake_quant_off",
    "plain_observers",
    "qat_layers",
    "conv_bn",
    "bn_frozen",
)


def convert_claim(calls: Sequence[ConvertCall], returned: object) -> dict[str, Any]:
    """The learner's process: a JSON summary of the convert() call that returned the model
    the learner's code returned (matched by id, here where the objects live), or the reason
    there is none ("watch_removed", "never_called", "not_returned")."""
    if any(call.model_id == -1 for call in calls):
        return {"found": False, "reason": "watch_removed", "calls": len(calls) - 1}
    if not calls:
        return {"found": False, "reason": "never_called", "calls": 0}
    for call in reversed(calls):
        if call.returned_id is not None and call.returned_id == _id(returned):
            summary: dict[str, Any] = {"found": True, "calls": len(calls)}
            summary.update({key: getattr(call, key) for key in _CLAIM_COUNTS})
            summary["inplace"] = call.inplace
            summary["ranges"] = sorted([low, high] for low, high in call.ranges)
            return summary
    return {"found": False, "reason": "not_returned", "calls": len(calls)}


@dataclass(frozen=True)
class ClaimedConvert:
    """The checker's reading of `convert_claim`: the learner's word, never verified."""

    calls: int
    fake_quantizers: int
    observers_running: int
    fake_quant_off: int
    plain_observers: int
    qat_layers: int
    conv_bn: int
    bn_frozen: int
    ranges: tuple[tuple[int, int], ...]


_NO_CONVERT = {
    "watch_removed": "your code removed the grader's watch on convert() (sys.setprofile)",
    "never_called": (
        "convert() was never called: train the fake-quantized model, then "
        "torch.ao.quantization.convert(model.eval()) swaps in the INT8 modules"
    ),
    "not_returned": (
        "the model you returned is not one that convert() returned ({calls} convert() "
        "calls): return convert()'s result itself"
    ),
}


def _small_int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 1 << 31:
        return value
    raise ValueError(value)


def claimed_convert(claims: dict[str, Any]) -> ClaimedConvert | str:
    """The checker: what the learner's run reported about the convert() call that returned
    its model, or what it reported instead (a message of the checker's own words, starting
    in lower case: nothing of the claim's text is shown)."""
    claim = claims.get(CONVERT_CLAIM)
    unreadable = "your run reported nothing readable about its convert() calls"
    if not isinstance(claim, dict):
        return unreadable
    try:
        calls = _small_int(claim.get("calls"))
        if claim.get("found") is not True:
            reason = _NO_CONVERT.get(str(claim.get("reason")))
            return reason.format(calls=calls) if reason else unreadable
        counts = {key: _small_int(claim.get(key)) for key in _CLAIM_COUNTS}
        raw_ranges = claim.get("ranges")
        if not isinstance(raw_ranges, list) or len(raw_ranges) > 64:
            return unreadable
        ranges = []
        for pair in raw_ranges:
            if not isinstance(pair, list) or len(pair) != 2:
                return unreadable
            ranges.append((_small_int(pair[0]), _small_int(pair[1])))
    except ValueError:
        return unreadable
    return ClaimedConvert(calls=calls, ranges=tuple(ranges), **counts)
