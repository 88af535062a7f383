"""Drill flows through the real screens: answer each card type, rate, and find it in SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fsrs import Rating, State
from textual.widgets import DataTable, Input, OptionList, Static
from tui.drill_support import (
    DECK,
    START,
    FakeClock,
    drill_app,
    fixture_library,
    shown_text,
    utc_days,
)

from quizapp.storage.reviews import (
    get_interview_date,
    load_state,
    load_states,
    record_review,
    reviews_of,
    reviews_total,
)
from quizapp.tui.app import QuizApp
from quizapp.tui.screens.drill import DrillSetupScreen
from quizapp.tui.screens.drill_session import DrillScreen
from quizapp.tui.screens.drill_summary import DrillSummaryScreen

__all__ = ["utc_days"]
pytestmark = pytest.mark.usefixtures("utc_days")


async def test_flashcard_reveal_rate_and_store() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-flashcard")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        assert screen.question.kind == "flashcard"
        assert not screen.query("#answer-side")
        clock.advance(6)
        await pilot.press("space")
        await pilot.pause()
        assert screen.phase == "answered"
        # The buttons show what FSRS would give a new card.
        assert screen.intervals == {
            Rating.Again: "1m",
            Rating.Hard: "6m",
            Rating.Good: "10m",
            Rating.Easy: "8d",
        }
        assert "calibration_batch" in str(screen.query_one("#answer").source)
        clock.advance(2)
        await pilot.press("3")
        await pilot.pause()
        [review] = reviews_of(app.db, DECK, "why-calibrate")
        assert (review.rating, review.mode, review.duration_ms) == (Rating.Good, "drill", 8000)
        assert review.correct is None  # self-rated
        state = load_state(app.db, DECK, "why-calibrate")
        assert state.state == State.Learning
        assert state.due == START + timedelta(seconds=8) + timedelta(minutes=10)
        # The card comes back within the session (learn-ahead), now as a learning card.
        assert screen.current.kind == "learning"
        await pilot.press("space", "4")
        await pilot.pause()
        assert load_state(app.db, DECK, "why-calibrate").state == State.Review
        assert isinstance(app.screen, DrillSummaryScreen)


async def test_single_choice_number_key_answers_and_grades() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-choice")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.question.kind == "choice"
        clock.advance(4)
        await pilot.press("2")
        await pilot.pause()
        assert screen.phase == "answered"
        assert screen.verdict.correct
        assert screen.suggested == Rating.Good
        await pilot.press("enter")
        await pilot.pause()
        [review] = reviews_of(app.db, DECK, "x86-weights")
        assert (review.rating, review.correct, review.override) == (Rating.Good, True, False)
        assert review.answer == {"selected": [1]}


async def test_wrong_choice_is_again_and_i_was_right_overrides() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-choice")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("1")
        await pilot.pause()
        assert not screen.verdict.correct
        assert screen.suggested == Rating.Again
        await pilot.press("o")
        await pilot.pause()
        assert screen.suggested == Rating.Good
        assert "Marked right by you" in str(screen.query_one("#verdict").render())
        await pilot.press("enter")
        await pilot.pause()
        [review] = reviews_of(app.db, DECK, "x86-weights")
        assert (review.rating, review.correct, review.override) == (Rating.Good, True, True)


async def test_choice_hint_strikes_a_wrong_option_and_right_answer_is_hard() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-choice")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+t")
        await pilot.pause()
        choices = screen.query_one("#choices")
        assert len(choices.struck) == 1 and 1 not in choices.struck
        await pilot.press("2")
        await pilot.pause()
        assert screen.verdict.correct and screen.suggested == Rating.Hard
        await pilot.press("enter")
        await pilot.pause()
        [review] = reviews_of(app.db, DECK, "x86-weights")
        assert (review.rating, review.hint_used) == (Rating.Hard, True)


async def test_multiple_choice_toggles_then_enter_and_rating_can_be_adjusted() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-multi")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("enter")  # nothing picked: refused, still asking
        await pilot.pause()
        assert screen.phase == "question"
        await pilot.press("1", "2", "3", "2")  # 2 toggled back off
        await pilot.pause()
        assert screen.query_one("#choices").selected == {0, 2}
        await pilot.press("enter")
        await pilot.pause()
        assert screen.verdict.correct
        await pilot.press("4")  # Easy instead of the suggested Good
        await pilot.pause()
        [review] = reviews_of(app.db, DECK, "per-tensor-observers")
        assert (review.rating, review.correct) == (Rating.Easy, True)
        assert review.answer == {"selected": [0, 2]}


async def test_numeric_checks_within_tolerance_and_slow_is_hard() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-numeric")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("a", "b", "c", "enter")  # not a number: said so, not graded
        await pilot.pause()
        assert screen.phase == "question"
        assert "not a number" in str(screen.query_one("#note-answer", Static).render())
        screen.query_one("#field-answer", Input).value = ""
        clock.advance(100)  # slower than the 90 s a numeric answer may take
        await pilot.press("1", "2", "enter")  # 12 is within 5% of 11.7
        await pilot.pause()
        assert screen.phase == "answered"
        assert screen.verdict.correct
        assert screen.suggested == Rating.Hard
        await pilot.press("enter")
        await pilot.pause()
        [review] = reviews_of(app.db, DECK, "resnet18-int8-mb")
        assert (review.rating, review.correct, review.duration_ms) == (Rating.Hard, True, 100_000)
        assert review.answer == {"fields": {"answer": "12"}}


async def test_generated_card_with_two_fields_shows_the_working() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-generated")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        question = screen.question
        assert [f.name for f in question.fields] == ["scale", "zero_point"]
        scale, zero_point = (f.value for f in question.fields)
        await pilot.press(*f"{scale:.5g}", "enter")  # enter moves on to the empty field
        await pilot.pause()
        assert screen.phase == "question"
        assert app.focused.id == "field-zero_point"
        await pilot.press(*str(int(zero_point)), "enter")
        await pilot.pause()
        assert screen.verdict.correct
        assert "Numbers drawn" in str(screen.query_one("#drawn").render())
        assert "scale" in screen.query_one("#working").source
        await pilot.press("enter")
        await pilot.pause()
        [review] = reviews_of(app.db, DECK, "qparams-drill")
        assert review.correct and review.rating == Rating.Good
        assert review.answer["seed"] == question.seed


async def test_generated_wrong_answer_marks_the_field_and_is_again() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-generated")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("1", "tab", "9", "9", "9", "enter")
        await pilot.pause()
        assert not screen.verdict.correct
        assert "expected" in str(screen.query_one("#note-scale").render())
        await pilot.press("enter")
        await pilot.pause()
        [review] = reviews_of(app.db, DECK, "qparams-drill")
        assert (review.rating, review.correct) == (Rating.Again, False)


async def test_free_answer_ticked_key_points_give_the_rating() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-free")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press(*"no retraining, calibration data")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.phase == "answered"
        assert screen.suggested == Rating.Again  # nothing ticked yet
        await pilot.press("a", "b")
        await pilot.pause()
        assert screen.suggested == Rating.Hard  # 2 of 3
        await pilot.press("c")
        await pilot.pause()
        assert screen.suggested == Rating.Good
        await pilot.press("c", "enter")  # untick: back to Hard, accepted
        await pilot.pause()
        [review] = reviews_of(app.db, DECK, "explain-ptq-vs-qat")
        assert review.rating == Rating.Hard
        assert review.answer == {"text": "no retraining, calibration data", "covered": [0, 1]}


async def test_undo_restores_the_card_and_deletes_the_review() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="ptq")  # flashcard, choice, free
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        first = screen.current.key
        await pilot.press("space", "4")  # Easy: graduates at once
        await pilot.pause()
        assert reviews_total(app.db) == 1
        assert screen.current.key != first
        await pilot.press("u")
        await pilot.pause()
        assert reviews_total(app.db) == 0
        assert load_states(app.db) == {}
        assert screen.current.key == first
        assert screen.phase == "question"
        assert not screen.session.can_undo
        await pilot.press("space", "3")
        await pilot.pause()
        assert [r.rating for r in reviews_of(app.db, DECK, "why-calibrate")] == [Rating.Good]


async def test_cram_leaves_the_schedule_untouched() -> None:
    clock = FakeClock()
    db_app = QuizApp(library=fixture_library())
    record_review(db_app.db, DECK, "why-calibrate", Rating.Easy, mode="drill", now=START)
    before = load_states(db_app.db)
    db_app.db.close()
    app = drill_app(clock, tag="only-flashcard", cram=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.session.cram
        assert screen.intervals is None
        await pilot.press("space")
        await pilot.pause()
        assert "no change" in str(screen.query_one("#rate-again").label)
        await pilot.press("1")  # Again: it comes back in the session
        await pilot.pause()
        clock.advance(61)
        await pilot.press("space", "3")
        await pilot.pause()
        assert isinstance(app.screen, DrillSummaryScreen)
        assert load_states(app.db) == before
        modes = [r.mode for r in reviews_of(app.db, DECK, "why-calibrate")]
        assert modes == ["drill", "cram", "cram"]


async def test_summary_counts_the_session_and_escape_goes_back() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-choice")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        clock.advance(5)
        await pilot.press("1", "enter")  # wrong -> Again (+1 min): shown again at once,
        await pilot.pause()  # as nothing else is left (the learn-ahead limit)
        clock.advance(5)
        await pilot.press("2", "enter")  # right -> Good (+10 min)
        await pilot.pause()
        clock.advance(4)
        await pilot.press("2", "enter")  # right -> Good: graduated, the session is over
        await pilot.pause()
        summary = app.screen
        assert isinstance(summary, DrillSummaryScreen)
        figures = summary.summary
        assert (figures.reviews, figures.cards, figures.correct) == (3, 1, 2)
        text = shown_text(summary.query_one("#summary-figures", Static))
        assert "Correct" in text and "2 of 3 (67%)" in text
        assert "Tomorrow" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DrillSetupScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


async def test_escape_mid_session_ends_it_and_keeps_what_was_answered() -> None:
    clock = FakeClock()
    app = drill_app(clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space", "3", "escape")
        await pilot.pause()
        assert isinstance(app.screen, DrillSummaryScreen)
        assert "Not reached" in shown_text(app.screen.query_one("#summary-figures", Static))
        assert reviews_total(app.db) == 1


async def test_setup_lists_scopes_with_counts_and_starts_a_deck() -> None:
    clock = FakeClock()
    app = QuizApp(library=fixture_library())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        setup = app.screen
        assert isinstance(setup, DrillSetupScreen)
        setup.clock = clock
        ids = [o.id for o in setup.query_one("#scopes", OptionList).options if o.id]
        assert ids[:2] == ["all", f"deck:{DECK}"]
        assert "tag:only-free" in ids
        assert setup.counts[f"deck:{DECK}"].new == 6
        setup.query_one("#new-limit", Input).value = "2"
        await pilot.press("down", "enter")
        await pilot.pause()
        session = app.screen
        assert isinstance(session, DrillScreen)
        assert session.session.counts(clock()).new == 2


async def test_nothing_due_says_so_and_stays_on_setup() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-choice", new_limit=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DrillSetupScreen)
        assert any("Nothing to drill" in n.message for n in app._notifications)


async def test_home_shows_due_and_new_and_sets_the_interview_date() -> None:
    app = QuizApp(library=fixture_library())
    record_review(app.db, DECK, "why-calibrate", Rating.Good, mode="drill")  # learning: due soon
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one("#decks", DataTable)
        row = table.get_row(DECK)
        assert [str(cell) for cell in row[4:6]] == ["1", "5"]
        await pilot.press("i")
        await pilot.pause()
        await pilot.press(*"2099-12-15", "enter")
        await pilot.pause()
        assert get_interview_date(app.db).isoformat() == "2099-12-15"
        assert "2099-12-15" in str(app.screen.query_one("#interview", Static).render())
        await pilot.press("i")
        await pilot.pause()
        await pilot.press(*"garbage", "enter")
        await pilot.pause()
        assert "YYYY-MM-DD" in str(app.screen.query_one("#interview-error", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert get_interview_date(app.db).isoformat() == "2099-12-15"


async def test_palette_offers_the_main_actions() -> None:
    app = QuizApp(library=fixture_library())
    async with app.run_test(size=(120, 40)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Home", "Drill", "Set interview date"):
            assert wanted in titles


async def test_a_card_forgotten_eight_times_is_flagged_as_a_leech() -> None:
    setup_app = QuizApp(library=fixture_library())
    db = setup_app.db
    moment = START
    record_review(db, DECK, "why-calibrate", Rating.Easy, mode="drill", now=moment)
    for _ in range(7):  # seven lapses, each relearned
        moment = load_state(db, DECK, "why-calibrate").due
        record_review(db, DECK, "why-calibrate", Rating.Again, mode="drill", now=moment)
        moment = load_state(db, DECK, "why-calibrate").due
        record_review(db, DECK, "why-calibrate", Rating.Good, mode="drill", now=moment)
    due = load_state(db, DECK, "why-calibrate").due
    db.close()
    clock = FakeClock(due)
    app = drill_app(clock, tag="only-flashcard")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.current.kind == "review"
        await pilot.press("space", "1")  # the eighth lapse
        await pilot.pause()
        assert load_state(app.db, DECK, "why-calibrate").lapses == 8
        assert any(n.title == "Leech" for n in app._notifications)
        assert "LEECH" in str(app.screen.query_one("#card-meta", Static).render())
