"""The interview loop's state machine: both rounds against a fake clock (nothing sleeps),
time-out in each, an early submit, grades that straddle the close, resume after a kill, the
exercise draw and the report's verdicts."""

from __future__ import annotations

import json
import random

import pytest

from quizapp.core.interview_loop import (
    CodingRound,
    CodingRoundError,
    ExerciseOption,
    InterviewLoop,
    LoopPlan,
    LoopSetupError,
    build_loop_report,
    choose_exercise,
)
from quizapp.core.mock.run import MockRun
from quizapp.core.questions import Question


class FakeClock:
    def __init__(self, start: float = 500.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def choice(card: str, deck: str, tags: tuple[str, ...] = ()) -> Question:
    return Question(
        deck=deck,
        card=card,
        kind="choice",
        prompt=f"{card}?",
        answer_text="b",
        options=("a", "b", "c"),
        correct_choices=(1,),
        tags=tags,
    )


def free(card: str, deck: str) -> Question:
    return Question(
        deck=deck, card=card, kind="free", prompt="Explain.", answer_text="A", key_points=("x",)
    )


PASSED = {"passed": True, "checks": [{"name": "size", "passed": True}]}
FAILED = {
    "passed": False,
    "checks": [{"name": "size", "passed": True}, {"name": "accuracy", "passed": False}],
}


def new_loop(
    clock: FakeClock, questions: list[Question] | None = None, **plan: object
) -> InterviewLoop:
    plan_ = LoopPlan(**plan)  # type: ignore[arg-type]
    questions = questions or [
        choice("q1", "int8-math", ("qparams",)),
        choice("q2", "ptq", ("calibration",)),
    ]
    concepts = MockRun(questions, plan_.concept_limit_s, clock=clock)
    return InterviewLoop.new(plan_, concepts, "int8-affine-math", hint_count=3, clock=clock)


# --- the plan and the draw --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "flag"),
    [
        ("concepts", 0, "--concepts"),
        ("concept_minutes", 0, "--concept-minutes"),
        ("coding_minutes", -5, "--coding-minutes"),
        ("coding_minutes", float("nan"), "--coding-minutes"),
    ],
)
def test_a_plan_refuses_impossible_numbers_naming_the_flag(
    field: str, value: float, flag: str
) -> None:
    with pytest.raises(LoopSetupError, match=flag):
        LoopPlan(**{field: value})  # type: ignore[arg-type]


OPTIONS = [
    ExerciseOption("quick-a", "A", reference_grade_s=20, passed=True),
    ExerciseOption("quick-b", "B", reference_grade_s=60),
    ExerciseOption("slow-qat", "QAT", reference_grade_s=400),
]


def test_the_draw_prefers_unpassed_exercises_that_grade_in_a_fifth_of_the_round() -> None:
    plan = LoopPlan(coding_minutes=30)  # a fifth: 360 s
    drawn = {choose_exercise(OPTIONS, plan, random.Random(seed)).id for seed in range(50)}
    assert drawn == {"quick-b"}


def test_when_every_fitting_exercise_is_passed_any_fitting_one_is_drawn() -> None:
    options = [ExerciseOption(o.id, o.title, o.reference_grade_s, passed=True) for o in OPTIONS]
    drawn = {choose_exercise(options, LoopPlan(), random.Random(s)).id for s in range(50)}
    assert drawn == {"quick-a", "quick-b"}


def test_a_long_round_may_draw_the_slow_exercise() -> None:
    plan = LoopPlan(coding_minutes=40)  # a fifth: 480 s
    drawn = {choose_exercise(OPTIONS, plan, random.Random(s)).id for s in range(80)}
    assert "slow-qat" in drawn and "quick-a" not in drawn


def test_asking_for_an_unknown_exercise_names_the_known_ones() -> None:
    with pytest.raises(LoopSetupError, match="no exercise 'nope'.*quick-a, quick-b, slow-qat"):
        choose_exercise(OPTIONS, LoopPlan(coding="nope"), random.Random(0))
    assert choose_exercise(OPTIONS, LoopPlan(coding="slow-qat"), random.Random(0)).id == "slow-qat"


def test_a_round_too_short_for_any_grade_says_how_long_it_must_be() -> None:
    with pytest.raises(LoopSetupError, match="at least 2 minutes"):
        choose_exercise(OPTIONS, LoopPlan(coding_minutes=1), random.Random(0))


# --- the rounds, in order ---------------------------------------------------------------------


def test_a_full_loop_times_out_in_each_round_and_grades_the_last_saved_code() -> None:
    clock = FakeClock()
    loop = new_loop(clock, concept_minutes=10, coding_minutes=30)
    assert loop.phase == "concepts"
    loop.concepts.answer({"choices": [1]})
    clock.advance(600)
    assert loop.tick() is True  # the concept clock ran out by itself
    assert loop.phase == "break"
    clock.advance(120)  # reading the task before starting is not the round's time
    loop.coding.start()
    assert loop.phase == "coding" and loop.remaining_s == 1800
    assert not loop.coding.solution_allowed  # the reference diff waits for the end
    first = loop.coding.begin_grade("sha-1")
    clock.advance(30)  # a grade costs clock time
    loop.coding.end_grade(first, FAILED)
    assert loop.remaining_s == pytest.approx(1770)
    clock.advance(1770)
    assert loop.tick() is True
    assert loop.phase == "final-grade"
    with pytest.raises(CodingRoundError, match="over"):
        loop.coding.begin_grade("sha-2")
    assert loop.coding.final_grade_needed("sha-2") is True  # the saved code changed since
    final = loop.coding.begin_final_grade("sha-2")
    loop.coding.end_grade(final, PASSED)
    assert loop.phase == "done" and loop.coding.solution_allowed
    report = build_loop_report(
        loop, "L1", "INT8 affine math", deck_titles={"int8-math": "INT8 math", "ptq": "PTQ"}
    )
    assert report.coding.passed and report.coding.grades_run == 1
    assert report.coding.ended_by == "time" and report.concepts.ended_by == "time"
    assert report.summary == "INT8 math: strong; PTQ: revise calibration; INT8 affine math: passed"


def test_submitting_early_reuses_a_grade_of_the_same_code_as_the_final_one() -> None:
    clock = FakeClock()
    loop = new_loop(clock)
    loop.concepts.submit()
    loop.coding.start()
    index = loop.coding.begin_grade("sha-same")
    clock.advance(40)
    loop.coding.end_grade(index, FAILED)
    loop.coding.submit()
    assert loop.coding.ended_by == "submit"
    assert loop.coding.final_grade_needed("sha-same") is False
    assert loop.phase == "done"
    report = build_loop_report(loop, "L2", "X")
    assert not report.coding.passed and report.coding.grades_run == 1
    assert report.areas[-1].verdict == "not passed (accuracy)"
    assert report.coding.time_used_s == pytest.approx(40)


def test_a_grade_started_before_the_time_out_finishes_and_counts() -> None:
    clock = FakeClock()
    loop = new_loop(clock, coding_minutes=1)
    loop.concepts.submit()
    loop.coding.start()
    clock.advance(50)
    index = loop.coding.begin_grade("sha-late")
    clock.advance(30)  # the time runs out while it grades
    assert loop.tick() is True and loop.phase == "final-grade"
    assert loop.coding.final_grade_needed("sha-late") is False  # wait for the running one
    assert loop.phase == "final-grade"
    loop.coding.end_grade(index, PASSED)
    assert loop.coding.final_grade_needed("sha-late") is False
    assert loop.phase == "done" and loop.coding.final is not None and loop.coding.final.passed
    assert loop.coding.elapsed_s == 60  # the clock stops at the limit


def test_hints_are_counted_tier_by_tier_and_only_while_the_clock_runs() -> None:
    clock = FakeClock()
    loop = new_loop(clock)
    loop.concepts.submit()
    with pytest.raises(CodingRoundError, match="start"):
        loop.coding.show_hint()
    loop.coding.start()
    assert [loop.coding.show_hint() for _ in range(3)] == [0, 1, 2]
    with pytest.raises(CodingRoundError, match="every hint"):
        loop.coding.show_hint()
    loop.coding.submit()
    with pytest.raises(CodingRoundError, match="over"):
        loop.coding.show_hint()
    assert loop.coding.hints_shown == 3


def test_one_grade_at_a_time() -> None:
    clock = FakeClock()
    round_ = CodingRound("x", 600, clock)
    round_.start()
    round_.begin_grade("a")
    with pytest.raises(CodingRoundError, match="already running"):
        round_.begin_grade("b")


# --- free answers are judged after the coding round -------------------------------------------


def test_free_answers_are_judged_after_both_rounds() -> None:
    clock = FakeClock()
    loop = new_loop(clock, [free("explain", "ptq"), choice("c", "int8-math")])
    loop.concepts.answer({"text": "because"})
    loop.concepts.submit()
    assert loop.phase == "break"  # judging waits: the interview goes on
    loop.coding.start()
    loop.coding.submit()
    assert loop.coding.final_grade_needed("s") is True
    loop.coding.end_grade(loop.coding.begin_final_grade("s"), PASSED)
    assert loop.phase == "judging"
    loop.concepts.judge(0, {"mark": "right"})
    loop.concepts.complete()
    assert loop.phase == "done"


# --- resume after a kill ----------------------------------------------------------------------


def roundtrip(loop: InterviewLoop, clock: FakeClock) -> InterviewLoop:
    """Save as the app does, 'kill' it, open it again in a new process's clock."""
    state = json.loads(json.dumps(loop.to_state()))
    clock.advance(3600)  # the laptop lid was closed for an hour: not counted
    again = InterviewLoop.from_state(state, clock)
    again.resumed()
    return again


def test_a_loop_killed_in_the_concept_round_resumes_with_its_time() -> None:
    clock = FakeClock()
    loop = new_loop(clock, concept_minutes=10)
    loop.concepts.answer({"choices": [1]})
    clock.advance(200)
    loop = roundtrip(loop, clock)
    assert loop.phase == "concepts" and loop.remaining_s == pytest.approx(400)
    assert loop.concepts.responses[0] == {"choices": [1]}


def test_a_loop_killed_mid_grade_in_the_coding_round_resumes_with_its_time() -> None:
    clock = FakeClock()
    loop = new_loop(clock, coding_minutes=20)
    loop.concepts.submit()
    loop.coding.start()
    loop.coding.show_hint()
    clock.advance(300)
    loop.coding.begin_grade("sha")
    clock.advance(100)
    loop = roundtrip(loop, clock)
    assert loop.phase == "coding" and loop.remaining_s == pytest.approx(800)
    assert loop.coding.interruptions == 1 and loop.coding.hints_shown == 1
    assert loop.coding.in_flight() == [] and loop.coding.grades[0].interrupted
    assert loop.coding.grades_run == 1  # counted as run, with no result
    loop.coding.begin_grade("sha")  # and the learner may grade again


def test_a_loop_saved_after_its_coding_time_ran_out_closes_when_opened() -> None:
    clock = FakeClock()
    loop = new_loop(clock, coding_minutes=1)
    loop.concepts.submit()
    loop.coding.start()
    clock.advance(30)
    state = loop.to_state()
    state["coding"]["elapsed_s"] = 60.0  # as if the last save came at the very end
    again = InterviewLoop.from_state(state, clock)
    assert again.phase == "final-grade" and again.coding.ended_by == "time"
