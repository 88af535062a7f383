"""The check DSL: what an exercise's `checks.py` declares its checks with.

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

    from quizapp.grading.checks import Suite, passed, failed

    suite = Suite()

    @suite.setup            # the checker, before the learner's code starts (its time limit
    def setup(ctx):         # has not started): data, the baseline, the expected answers
        ctx.store["expected"] = ...          # stays in the checker
        ctx.job.save("x", x)                 # what the learner's run gets (in/x.pt)

    @suite.produce          # the learner's process: call the learner's code, save what it
    def produce(run):       # returned (out/)
        model = run.call(run.entry, run.input("x"), what="quantize()")
        run.save_module("model", model, example=...)

    @suite.check("size", direction="lower")   # the checker again; checks run in definition
    def size(ctx):                            # order
        model = ctx.module("model")    # the learner's model, from its TorchScript archive
        ...
        return passed("...", measured=..., threshold="<= 0.30")

A check returns an `Outcome` (`passed`, `failed`, `warned` for soft checks, or `errored`
when the artifact is unusable). A learner's model that raises when the checker runs it
raises a `LearnerError` (through `ctx.run_model` and `predict`): the check gets status
"error" with that message. A check whose `needs` did not pass is skipped. Hard checks score
their `points`; soft checks score nothing and never fail the exercise. A check whose
threshold is a number says which way its measured figure is better (`direction`, see
`quizapp.grading.results.CheckResult`).

`run.claims` carries what the learner's run observed about itself (which torch functions the
learner's code called, what convert() was handed). The checker reads claims as the learner's
word: a claim may fail a check (it can only hurt the one who makes it) or be shown as
information; it never earns a point that the artifacts do not confirm.

The two sides live in their own modules: `learner_run.Run` (the learner's process),
`checker_context.Context` (the checker); what checks measure with in `measure`,
`recorded_calls` and `call_watch`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from quizapp.grading.results import DIRECTIONS, Direction, Measured

if TYPE_CHECKING:
    from quizapp.grading.checker_context import Context
    from quizapp.grading.learner_run import Run

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
    direction: Direction | None = None  # which way the measured figure is better, if a number

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
        direction: Direction | None = None,
    ) -> Callable[[CheckFunc], CheckFunc]:
        """Register a check. `direction` ("higher" or "lower") for a check whose threshold is
        a number: which way its measured figure is better (shown with every result of it)."""
        if direction not in DIRECTIONS + (None,):
            raise ValueError(f"check {name!r}: direction is one of {DIRECTIONS}, not {direction!r}")
        known = {c.name for c in self.checks}
        if name in known:
            raise ValueError(f"two checks are called {name!r}")
        unknown = [n for n in needs if n not in known]
        if unknown:
            raise ValueError(f"check {name!r} needs {unknown}, which are not defined before it")

        def register(func: CheckFunc) -> CheckFunc:
            self.checks.append(Check(name, func, points, soft, tuple(needs), direction))
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
