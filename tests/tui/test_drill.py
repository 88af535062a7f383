"""Drill flows through the real screens: answer each card type, rate, and find it in SQLite."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

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

from quizapp.grading.catalogue import load_catalogue
from quizapp.storage.reviews import (
    get_interview_date,
    load_state,
    load_states,
    record_review,
    reviews_of,
    reviews_total,
)
from quizapp.tui.app import QuizApp
from quizapp.tui.screens.drill.session import DrillScreen
from quizapp.tui.screens.drill.setup import DrillSetupScreen
from quizapp.tui.screens.drill.summary import DrillSummaryScreen
from quizapp.tui.start import StartDrill

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
        assert reviews_total(app.db) == 1  # cram answers are no reviews
        text = summary_text(app)
        assert "Cards crammed 1 (2 answers, 0 new)" in text and "unchanged (cram)" in text


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
        assert "Coming up" in text and "tomorrow" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DrillSetupScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


async def test_escape_mid_session_ends_it_and_keeps_what_was_answered() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="ptq")  # flashcard, choice, free
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space", "3", "escape")  # the choice card is left unanswered
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


# --- what a newcomer hits (issue 12) ----------------------------------------------------------


def summary_text(app: QuizApp) -> str:
    assert isinstance(app.screen, DrillSummaryScreen)
    return " ".join(shown_text(app.screen.query_one("#summary-figures", Static)).split())


async def test_escape_after_the_verdict_saves_the_suggested_rating_and_says_so() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-choice")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        clock.advance(4)
        await pilot.press("2")  # right: Good suggested
        await pilot.pause()
        assert app.screen.phase == "answered"
        await pilot.press("escape")
        await pilot.pause()
        [review] = reviews_of(app.db, DECK, "x86-weights")
        assert (review.rating, review.correct) == (Rating.Good, True)
        assert load_state(app.db, DECK, "x86-weights") is not None  # no longer new
        text = summary_text(app)
        assert "Nothing reviewed" not in shown_text(app.screen.query_one("#summary-heading"))
        assert f"{DECK}/x86-weights rated Good (the suggested rating) as you left" in text


async def test_escape_after_revealing_a_flashcard_saves_it_as_good() -> None:
    app = drill_app(FakeClock(), tag="only-flashcard")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space", "escape")
        await pilot.pause()
        assert [r.rating for r in reviews_of(app.db, DECK, "why-calibrate")] == [Rating.Good]
        assert "rated Good" in summary_text(app)


async def test_escape_with_an_unchecked_answer_asks_before_leaving() -> None:
    from quizapp.tui.screens.confirm import ConfirmDialog

    app = drill_app(FakeClock(), tag="only-free")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        drill = app.screen
        await pilot.press(*"fake quant", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # keep answering: the text is still there
        await pilot.pause()
        assert app.screen is drill
        assert drill.query_one("#free-answer").text == "fake quant"
        await pilot.press("escape", "y")
        await pilot.pause()
        assert isinstance(app.screen, DrillSummaryScreen)
        assert reviews_total(app.db) == 0


async def test_escape_with_an_empty_field_leaves_at_once() -> None:
    app = drill_app(FakeClock(), tag="only-numeric")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DrillSummaryScreen)


async def test_ctrl_b_undoes_while_a_number_field_has_the_focus() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-numeric")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("1", "2", "enter", "enter")  # right, Good: back early as learning
        await pilot.pause()
        assert reviews_total(app.db) == 1
        assert screen.current.kind == "learning"
        field = screen.query_one("#field-answer", Input)
        assert app.focused is field
        _, binding, enabled, _ = screen.active_bindings["ctrl+b"]
        assert enabled and binding.show and binding.description == "Undo"
        assert app.get_key_display(binding) == "^b"  # what the footer shows
        await pilot.press("u")  # a letter is typed, as in any text field
        await pilot.pause()
        assert field.value == "u" and reviews_total(app.db) == 1
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert reviews_total(app.db) == 0
        assert load_states(app.db) == {}
        assert screen.current.kind == "new" and screen.phase == "question"
        assert app.focused.id == "field-answer" and app.focused.value == ""


async def test_ctrl_b_undoes_from_a_free_answer_and_the_palette_finds_undo() -> None:
    app = drill_app(FakeClock(), tag="only-free")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"calibration", "ctrl+s", "a", "b", "c", "enter")  # Good
        await pilot.pause()
        screen = app.screen
        assert screen.current.kind == "learning"
        assert app.focused.id == "free-answer"
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert reviews_total(app.db) == 0
        assert "b" not in screen.query_one("#free-answer").text
        await pilot.press(*"again", "ctrl+s", "enter")  # nothing ticked: Again
        await pilot.pause()
        assert reviews_total(app.db) == 1
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"undo")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert reviews_total(app.db) == 0


async def test_a_card_shown_early_says_so_and_stopping_tells_when_it_is_due() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="only-flashcard")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space", "3")  # Good: the 10-minute step, nothing else left
        await pilot.pause()
        screen = app.screen
        clock.advance(120)
        assert screen.current.kind == "learning"
        meta = str(screen.query_one("#card-meta", Static).render())
        assert "due in 10 min, shown early" in meta
        await pilot.press("escape")  # rather stop than see it early
        await pilot.pause()
        assert len(reviews_of(app.db, DECK, "why-calibrate")) == 1
        text = summary_text(app)
        assert "1 card due again in 8 min; none tomorrow" in text
        assert "Tomorrow" not in text and "Not reached" not in text


async def test_learn_ahead_setting_zero_ends_the_session_until_the_step_is_due() -> None:
    from quizapp.storage.reviews import set_learn_ahead

    setup = QuizApp(library=fixture_library())
    set_learn_ahead(setup.db, timedelta(0))
    setup.db.close()
    clock = FakeClock()
    app = drill_app(clock, tag="only-flashcard")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space", "3")
        await pilot.pause()
        assert "Session complete" in shown_text(app.screen.query_one("#summary-heading"))
        assert "1 card due again in 10 min" in summary_text(app)


async def test_summary_after_a_first_session_does_not_call_minutes_tomorrow() -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="ptq")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space", "3")  # flashcard: Good, 10 min
        await pilot.pause()
        await pilot.press("2", "enter")  # choice: right, Good, 10 min
        await pilot.pause()
        await pilot.press(*"x", "ctrl+s", "enter")  # free: Again, 1 min
        await pilot.pause()
        clock.advance(30)
        await pilot.press("escape")
        await pilot.pause()
        text = summary_text(app)
        assert "3 cards due again in 1-10 min; none tomorrow" in text
        assert "Tomorrow" not in text


async def test_summary_interview_note_counts_the_cards_just_seen() -> None:
    setup = QuizApp(library=fixture_library())
    setup.db.set_config("interview-date", "2026-03-12")
    setup.db.close()
    app = drill_app(FakeClock(), tag="only-flashcard")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space", "4")  # Easy: graduated, the session is over
        await pilot.pause()
        note = str(app.screen.query_one("#summary-interview", Static).render())
        assert "5 cards never seen" in note  # 6 in the deck, one seen now


async def test_setup_filters_decks_and_tags_by_typing() -> None:
    app = QuizApp(library=fixture_library())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        setup = app.screen
        scopes = setup.query_one("#scopes", OptionList)
        await pilot.press("slash", *"free")
        await pilot.pause()
        assert [o.id for o in scopes.options if o.id] == ["tag:only-free"]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillScreen)
        assert app.screen.scope_title == "#only-free"


async def test_setup_filter_down_moves_to_the_list_and_escape_clears_it() -> None:
    app = QuizApp(library=fixture_library())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        setup = app.screen
        scopes = setup.query_one("#scopes", OptionList)
        await pilot.press("slash", *"only")
        await pilot.pause()
        ids = [o.id for o in scopes.options if o.id]
        assert ids and all(i.startswith("tag:only-") for i in ids)
        await pilot.press("down")
        await pilot.pause()
        assert app.focused is scopes
        await pilot.press("slash", "escape")  # back to the filter, then clear it
        await pilot.pause()
        assert isinstance(app.screen, DrillSetupScreen)
        assert [o.id for o in scopes.options if o.id][:2] == ["all", f"deck:{DECK}"]
        assert app.focused is scopes
        await pilot.press("slash", *"nothing-like-this")
        await pilot.pause()
        assert [o.id for o in scopes.options if o.id] == []
        await pilot.press("enter")  # nothing to start: said so
        await pilot.pause()
        assert isinstance(app.screen, DrillSetupScreen)


async def test_setup_new_card_limit_follows_the_one_rule_with_its_range() -> None:
    app = QuizApp(library=fixture_library())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        setup = app.screen
        assert isinstance(setup, DrillSetupScreen)
        field = setup.query_one("#new-limit", Input)
        field.value = "100000"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is setup  # refused: no session started
        messages = [n.message for n in app._notifications]
        assert any("from 0 to 500" in m for m in messages), messages
        app.clear_notifications()
        field.value = "0"  # reviews only: allowed (nothing is due here, so it says so)
        await pilot.press("enter")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert not any(m.startswith("New cards:") for m in messages), messages


async def test_a_card_an_exercise_lists_names_that_exercise_once_answered() -> None:
    exercises = Path(__file__).resolve().parent.parent / "fixtures" / "exercises"
    catalogue = load_catalogue(exercises)
    start = StartDrill(deck=DECK, tag="only-flashcard", autostart=True, clock=FakeClock(), seed=7)
    app = QuizApp(start=start, library=fixture_library(), catalogue=catalogue)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        assert screen.question.key == f"{DECK}/why-calibrate"
        assert not screen.query("#practice")  # the question side gives nothing away
        await pilot.press("space")
        await pilot.pause()
        line = shown_text(screen.query_one("#practice", Static))
        assert "Practise it in code: tiny-dequantize (Dequantize one code)" in line
        assert "e on home" in line
