"""Calling the learner's plain functions on the checker's arguments: the learner's process
records each call's value as plain JSON (`record_calls`), the checker compares them with its
own answers (`grade_calls`) without unpickling anything."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from quizapp.grading.artifacts import ArtifactError
from quizapp.grading.call_watch import watch_calls
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Outcome, failed, passed
from quizapp.grading.learner_run import Run, describe_exception


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
