"""The mock state machine: drawing, time-outs, per-question limits, resume, scoring, the report.

Time comes from a fake clock the tests move by hand: nothing here sleeps.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.core.loader import load_decks
from quizapp.core.mock.draw import (
    MissStat,
    MockSetup,
    MockSetupError,
    candidate_cards,
    draw_questions,
    miss_weight,
)
from quizapp.core.mock.report import build_report, report_markdown
from quizapp.core.mock.run import MockRun
from quizapp.core.mock.scoring import MockStateError, score_answer
from quizapp.core.models import Deck
from quizapp.core.questions import Question

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mock"


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def decks() -> list[Deck]:
    result = load_decks([FIXTURES])
    assert result.ok, result.errors
    return result.decks


def q(kind: str, card: str = "", deck: str = "d", **extra: object) -> Question:
    base: dict = dict(deck=deck, card=card or kind, kind=kind, prompt=f"{kind}?", answer_text="A")
    base.update(extra)
    return Question(**base)


def choice(card: str = "choice", deck: str = "d") -> Question:
    return q("choice", card, deck, options=("a", "b", "c"), correct_choices=(1,))


def flash(card: str = "flash", deck: str = "d") -> Question:
    return q("flashcard", card, deck)


# --- drawing -----------------------------------------------------------------------------------


def test_same_seed_draws_the_same_mock_and_other_seeds_differ(decks: list[Deck]) -> None:
    setup = MockSetup(questions=5, seed=7)
    first = draw_questions(decks, setup)
    again = draw_questions(decks, setup)
    assert [x.to_dict() for x in first] == [x.to_dict() for x in again]
    assert len({x.key for x in first}) == 5  # no card twice
    others = {tuple(x.key for x in draw_questions(decks, setup, seed=s)) for s in range(20)}
    assert len(others) > 5


def test_generated_questions_draw_fresh_numbers_per_mock(decks: list[Deck]) -> None:
    setup = MockSetup(questions=1, decks=("mock-math",), tags=("qparams",))
    prompts = {draw_questions(decks, setup, seed=s)[0].prompt for s in range(10)}
    assert len(prompts) >= 8
    question = draw_questions(decks, setup, seed=3)[0]
    assert question.kind == "generated" and question.seed is not None
    assert {f.name for f in question.fields} == {"scale", "zero_point"}


def test_setup_errors_name_what_was_asked(decks: list[Deck]) -> None:
    with pytest.raises(MockSetupError, match=r"no deck 'nope' \(decks: mock-basics, mock-math"):
        candidate_cards(decks, MockSetup(decks=("nope",), questions=1))
    with pytest.raises(MockSetupError, match=r"no card has the tag 'zzz' in any deck"):
        candidate_cards(decks, MockSetup(tags=("zzz",), questions=1))
    with pytest.raises(MockSetupError, match=r"in the chosen decks"):
        candidate_cards(decks, MockSetup(decks=("mock-math",), tags=("qat",), questions=1))
    with pytest.raises(MockSetupError, match=r"only 3 questions match .* 4 were asked"):
        candidate_cards(decks, MockSetup(decks=("mock-math",), questions=4))
    with pytest.raises(MockSetupError, match="minutes"):
        MockSetup(minutes=0)
    with pytest.raises(MockSetupError, match="per-question"):
        MockSetup(per_question_s=-1)


def test_tags_select_cards_with_any_of_them(decks: list[Deck]) -> None:
    pool = candidate_cards(decks, MockSetup(tags=("calibration", "size"), questions=1))
    assert sorted(f"{d}/{c.id}" for d, c in pool) == [
        "mock-basics/per-tensor-observers",
        "mock-basics/why-calibrate",
        "mock-math/int8-levels",
        "mock-math/int8-mb",
    ]


def test_miss_weight_favours_cards_missed_most() -> None:
    assert miss_weight(None) == 1.0
    assert miss_weight(MissStat(3, 3)) == 4.0
    assert miss_weight(MissStat(4, 1)) == 0.5
    assert miss_weight(MissStat(20, 0)) == 0.2  # floored: never vanishes
    assert miss_weight(MissStat(5, 5)) > miss_weight(MissStat(5, 2)) > miss_weight(MissStat(5, 0))


def _many_decks(cards_per_type: int = 6) -> list[Deck]:
    cards = []
    for kind in ("flashcard", "choice", "numeric"):
        for i in range(cards_per_type):
            card: dict = {"id": f"{kind}-{i}", "type": kind, "prompt": "p", "difficulty": "medium"}
            if kind == "choice":
                card.update(options=["x", "y"], answer=0)
            elif kind == "numeric":
                card.update(answer=1.0)
            else:
                card.update(answer="a")
            cards.append(card)
    return [Deck.model_validate({"deck": "many", "title": "Many", "cards": cards})]


def test_draw_is_weighted_toward_misses() -> None:
    decks = _many_decks()
    misses = {"many/choice-0": MissStat(4, 4), "many/choice-1": MissStat(6, 0)}
    counts: Counter[str] = Counter()
    for seed in range(300):
        for question in draw_questions(decks, MockSetup(questions=3), misses, seed=seed):
            counts[question.key] += 1
    typical = sum(counts[f"many/choice-{i}"] for i in range(2, 6)) / 4
    assert counts["many/choice-0"] > 2.5 * typical
    assert counts["many/choice-1"] < 0.6 * typical


def test_draw_mixes_types() -> None:
    decks = _many_decks()
    mixed = 0
    for seed in range(200):
        kinds = {x.kind for x in draw_questions(decks, MockSetup(questions=3), seed=seed)}
        mixed += len(kinds) == 3
    # Three types out of three draws: about 26% drawing blind, about 55% with the spreading.
    assert mixed > 0.4 * 200


# --- the clock ---------------------------------------------------------------------------------


def test_total_time_out_ends_the_mock_with_what_was_answered() -> None:
    clock = FakeClock()
    run = MockRun([choice("a"), choice("b"), choice("c")], 60, clock=clock)
    clock.advance(10)
    run.answer({"choices": [1]})
    run.next()
    clock.advance(45)
    assert not run.tick().ended
    assert run.remaining == pytest.approx(5)
    clock.advance(30)  # the tick comes late: the limit still acts at 60 s
    tick = run.tick()
    assert tick.ended and run.status == "finished" and run.ended_by == "time"
    assert run.time_spent == pytest.approx([10, 50, 0])
    assert run.elapsed == pytest.approx(60) and run.remaining == 0
    assert [run.result(i) for i in range(3)] == [("right", 1.0), ("blank", 0.0), ("blank", 0.0)]
    assert run.score == 1 and run.misses() == [1, 2]
    with pytest.raises(MockStateError):
        run.answer({"choices": [0]})
    with pytest.raises(MockStateError):
        run.next()


def test_per_question_limit_moves_on_once_and_then_lets_you_back() -> None:
    clock = FakeClock()
    run = MockRun([choice("a"), choice("b"), choice("c")], 300, per_question_s=20, clock=clock)
    clock.advance(25)
    tick = run.tick()
    assert tick.moved and run.current == 1
    assert run.time_spent == pytest.approx([20, 5, 0])
    assert run.question_remaining == pytest.approx(15)
    clock.advance(40)  # q1 runs out at 35 s, q2 at 55 s; then no question has budget left
    assert run.tick().moved
    assert run.current == 2 and run.time_spent == pytest.approx([20, 20, 25])
    run.go(0)
    clock.advance(5)
    assert not run.tick().moved  # its budget already ran out: no second push
    run.answer({"choices": [1]})  # still editable
    assert run.question_remaining == pytest.approx(-5)
    assert run.over_budget(0) and run.over_budget(2) and not run.over_budget(1)


def test_per_question_expiry_skips_questions_already_out_of_budget() -> None:
    clock = FakeClock()
    run = MockRun([choice("a"), choice("b"), choice("c")], 300, per_question_s=10, clock=clock)
    run.go(1)
    clock.advance(10)
    run.tick()  # q1 ran out -> q2
    assert run.current == 2
    clock.advance(10)  # q2 ran out -> wraps to q0 (q1 has nothing left)
    run.tick()
    assert run.current == 0
    assert run.time_spent == pytest.approx([0, 10, 10])


def test_total_limit_wins_when_both_run_out_together() -> None:
    clock = FakeClock()
    run = MockRun([choice("a"), choice("b")], 30, per_question_s=30, clock=clock)
    clock.advance(31)
    tick = run.tick()
    assert tick.ended and run.ended_by == "time" and run.current == 0


def test_moving_back_and_forth_accumulates_time_per_question() -> None:
    clock = FakeClock()
    run = MockRun([choice("a"), choice("b"), choice("c")], 600, clock=clock)
    clock.advance(3)
    run.next()
    clock.advance(4)
    run.previous()
    clock.advance(5)
    run.previous()  # wraps to the last question
    assert run.current == 2
    clock.advance(6)
    run.go(1)
    clock.advance(1)
    run.tick()
    assert run.time_spent == pytest.approx([8, 5, 6])
    assert run.elapsed == pytest.approx(19)


def test_answers_change_until_submit_and_blank_text_clears() -> None:
    clock = FakeClock()
    run = MockRun([choice("a"), flash("f")], 60, clock=clock)
    run.answer({"choices": [0]})
    run.answer({"choices": [1]})
    run.answer({"text": "my answer"}, position=1)
    assert run.answered(1)
    run.answer({"text": "   "}, position=1)
    assert not run.answered(1) and run.responses[1] is None
    run.submit()
    assert run.status == "finished" and run.ended_by == "submit"  # the blank needs no judging
    assert run.result(0) == ("right", 1.0) and run.result(1) == ("blank", 0.0)


# --- grading -----------------------------------------------------------------------------------


def test_self_graded_questions_are_judged_after_the_clock_stops() -> None:
    clock = FakeClock()
    free = q("free", "explain", key_points=("one", "two", "three", "four"))
    run = MockRun([flash("f"), free, choice("c")], 60, clock=clock)
    run.answer({"text": "to observe ranges"})
    with pytest.raises(MockStateError):
        run.judge(0, {"mark": "right"})  # not while the clock runs
    run.answer({"text": "PTQ vs QAT"}, position=1)
    run.submit()
    assert run.status == "grading" and run.pending_judgments() == [0, 1]
    with pytest.raises(MockStateError, match="still to be judged"):
        run.complete()
    with pytest.raises(MockStateError):
        run.score  # noqa: B018
    with pytest.raises(MockStateError, match="marked one of"):
        run.judge(0, {"mark": "maybe"})
    with pytest.raises(MockStateError, match="blank"):
        run.judge(2, {"mark": "right"})
    run.judge(0, {"mark": "partly"})
    run.judge(1, {"covered": [0, 2, 3]})
    run.judge(0, {"mark": "right"})  # a judgment may be changed until the report
    run.complete()
    assert run.result(0) == ("right", 1.0)
    assert run.result(1) == ("partial", 0.75)
    assert run.score == pytest.approx(1.75)
    assert run.misses() == [2] and run.partly_right() == [1]  # 3 of 4 key points: Hard


def test_a_partly_right_answer_is_not_a_miss_and_is_reviewed_as_a_drill_would() -> None:
    """Ratings as the drill gives them: a free answer with half its key points or more is
    Hard, under half Again; a flashcard marked "partly" is Hard; a half-right select-all is
    still Again (auto-checked answers are right or not)."""
    from fsrs import Rating

    clock = FakeClock()
    points = ("one", "two", "three", "four", "five")
    mostly = q("free", "mostly", key_points=points)
    barely = q("free", "barely", key_points=points)
    multi = q("choice", "multi", options=("a", "b", "c"), correct_choices=(0, 1), multiple=True)
    run = MockRun([mostly, barely, flash("f"), multi, choice("c")], 60, clock=clock)
    for position in range(3):
        run.answer({"text": "something"}, position)
    run.answer({"choices": [0]}, 3)
    run.submit()
    run.judge(0, {"covered": [0, 1, 2]})  # 0.6
    run.judge(1, {"covered": [0]})  # 0.2
    run.judge(2, {"mark": "partly"})
    run.complete()
    assert [run.result(i)[0] for i in range(5)] == [
        "partial",
        "partial",
        "partial",
        "partial",
        "blank",
    ]
    assert [run.rating(i) for i in range(5)] == [
        Rating.Hard,
        Rating.Again,
        Rating.Hard,
        Rating.Again,
        Rating.Again,
    ]
    assert run.misses() == [1, 3, 4] and run.partly_right() == [0, 2]
    report = build_report(run, "9")
    assert [r.position for r in report.misses] == [2, 4, 5]
    assert report.review_note() == (
        "3 missed questions went back into your review queue as Again; 2 partly right as Hard."
    )
    assert f"- {report.review_note()}" in report_markdown(report)


def test_partial_credit_from_the_checkers(decks: list[Deck]) -> None:
    multi = Question(
        deck="d",
        card="m",
        kind="choice",
        prompt="?",
        answer_text="",
        options=("a", "b", "c"),
        correct_choices=(0, 2),
        multiple=True,
    )
    assert score_answer(multi, {"choices": [0]}) == ("partial", 0.5)
    assert score_answer(multi, {"choices": [0, 1]}) == ("wrong", 0.0)
    assert score_answer(multi, {"choices": [2, 0]}) == ("right", 1.0)
    gen = draw_questions(decks, MockSetup(questions=1, tags=("qparams",)), seed=11)[0]
    values = {f.name: f for f in gen.fields}
    right_scale = {"scale": f"{values['scale'].value:.8g}", "zero_point": "999"}
    assert score_answer(gen, {"fields": right_scale}) == ("partial", 0.5)
    both = {
        "scale": f"{values['scale'].value:.8g}",
        "zero_point": str(int(values["zero_point"].value)),
    }
    assert score_answer(gen, {"fields": both}) == ("right", 1.0)
    assert score_answer(gen, {"fields": {"scale": "", "zero_point": " "}}) == ("blank", 0.0)
    assert score_answer(gen, {"fields": {"scale": "abc"}}) == ("wrong", 0.0)


# --- resume ------------------------------------------------------------------------------------


def test_resume_continues_with_the_remaining_time() -> None:
    clock = FakeClock()
    run = MockRun([choice("a"), flash("f"), choice("c")], 120, per_question_s=50, clock=clock)
    clock.advance(30)
    run.answer({"choices": [2]})
    run.next()
    clock.advance(20)
    run.answer({"text": "draft"})
    state = json.loads(json.dumps(run.to_state()))  # what the database keeps

    later = FakeClock(start=99_999.0)  # another process, another monotonic origin
    resumed = MockRun.from_state(state, clock=later)
    resumed.resumed()
    assert resumed.status == "running" and resumed.current == 1
    assert resumed.remaining == pytest.approx(70)
    assert resumed.responses == run.responses and resumed.interruptions == 1
    later.advance(30)  # q1's budget (50) runs out 30 s after resuming
    assert resumed.tick().moved and resumed.current == 2
    later.advance(45)
    assert resumed.tick().ended
    assert resumed.time_spent == pytest.approx([30, 50, 40])
    assert resumed.status == "grading" and resumed.pending_judgments() == [1]


def test_the_clock_starts_when_asked_not_when_the_run_is_built() -> None:
    clock = FakeClock()
    run = MockRun([choice("a")], 60, clock=clock)
    clock.advance(3)  # building the screen
    run.start_clock()
    clock.advance(10)
    run.tick()
    assert run.elapsed == pytest.approx(10) and run.interruptions == 0


def test_a_saved_mock_whose_time_was_up_ends_when_opened() -> None:
    clock = FakeClock()
    run = MockRun([choice("a")], 10, clock=clock)
    state = run.to_state()
    state["time_spent"] = [10.0]
    reopened = MockRun.from_state(state, clock=FakeClock())
    assert reopened.status == "finished" and reopened.ended_by == "time"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["tick", "next", "previous", "go", "answer", "wait"]),
            st.floats(min_value=0, max_value=40, allow_nan=False),
            st.integers(min_value=0, max_value=3),
        ),
        max_size=40,
    ),
    st.one_of(st.none(), st.floats(min_value=1, max_value=60)),
)
def test_every_second_is_attributed_until_the_limit(
    actions: list, per_question: float | None
) -> None:
    clock = FakeClock()
    limit = 200.0
    run = MockRun(
        [choice(str(i)) for i in range(4)], limit, per_question_s=per_question, clock=clock
    )
    waited = 0.0
    for action, seconds, position in actions:
        clock.advance(seconds)
        waited += seconds
        if run.status != "running":
            break
        if action == "next":
            run.next()
        elif action == "previous":
            run.previous()
        elif action == "go":
            run.go(position)
        elif action == "answer":
            try:
                run.answer({"choices": [position % 3]})
            except MockStateError:
                assert run.status != "running"  # the time ran out just as it was given
        else:
            run.tick()
    run.tick()
    assert run.elapsed == pytest.approx(min(waited, limit))
    assert (run.status == "running") == (waited < limit)
    assert all(t >= 0 for t in run.time_spent)


# --- the report --------------------------------------------------------------------------------


def _finished_run() -> MockRun:
    clock = FakeClock()
    free = q("free", "explain", deck="b", key_points=("one", "two"))
    run = MockRun(
        [choice("c1", "a"), free, choice("c2", "a"), flash("f", "b")],
        600,
        per_question_s=60,
        clock=clock,
    )
    clock.advance(12)
    run.answer({"choices": [1]})
    run.next()
    clock.advance(70)  # over budget: moved on to q3 at 60 s
    run.go(1)  # back to the question that ran out: allowed, and now over its budget
    clock.advance(5)
    run.answer({"text": "my explanation"})
    run.go(2)
    clock.advance(40)
    run.answer({"choices": [0]})
    run.submit()
    run.judge(1, {"covered": [1]})
    run.complete()
    return run


def test_report_scores_topics_and_lists_the_slowest() -> None:
    run = _finished_run()
    report = build_report(
        run,
        "7",
        started_at=datetime(2026, 5, 1, 9, 0, tzinfo=UTC),
        finished_at=datetime(2026, 5, 1, 9, 3, tzinfo=UTC),
        deck_titles={"a": "Topic A", "b": "Topic B"},
    )
    assert report.score == pytest.approx(1.5) and report.max_score == 4
    assert [(t.title, t.score, t.max_score) for t in report.topics] == [
        ("Topic A", 1.0, 2.0),
        ("Topic B", 0.5, 2.0),
    ]
    assert [r.verdict for r in report.results] == ["right", "partial", "wrong", "blank"]
    assert [r.position for r in report.slowest] == [2, 3, 1]
    assert report.results[1].over_budget and not report.results[0].over_budget
    assert report.results[0].given == "2. b"
    text = report_markdown(report)
    assert text.startswith("# Mock interview 7: 1.5 / 4 (38%)")
    assert "| Topic B | 0.5 / 2 (25%) | 2 |" in text
    assert "- [ ] one\n- [x] two" in text
    assert "- Q2 b/explain: 1:05 (partial)" in text
    assert "over the per-question limit" in text
    assert "(submitted)" in text


def test_random_sessions_never_score_above_the_maximum() -> None:
    rng = random.Random(5)
    for _ in range(50):
        clock = FakeClock()
        run = MockRun([choice(str(i)) for i in range(5)], 100, clock=clock)
        for i in range(5):
            if rng.random() < 0.7:
                run.answer({"choices": [rng.randrange(3)]}, position=i)
        run.submit()
        assert 0 <= run.score <= run.max_score
        assert run.score == 5 - len(run.misses())
