"""Giving an answer as a newcomer does: units, typos and their notes, "I was right", hints,
multi-answer cues and the key points of a free answer (drill and mock read answers alike)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static
from tui.drill_support import START, FakeClock, drill_app, shown_text, utc_days

from quizapp.core.loader import load_decks
from quizapp.core.mock.draw import MockSetup
from quizapp.storage.db import Database
from quizapp.storage.reviews import reviews_of
from quizapp.tui.app import QuizApp
from quizapp.tui.screens.confirm import ConfirmDialog
from quizapp.tui.screens.mock.report import MockReportScreen
from quizapp.tui.screens.mock.run import MockRunScreen
from quizapp.tui.start import StartDrill, StartMock
from quizapp.tui.widgets.cards import NumberFields

__all__ = ["utc_days"]
pytestmark = pytest.mark.usefixtures("utc_days")
SIZE = (120, 40)


def note(screen, name: str = "answer") -> Static:
    return screen.query_one(f"#note-{name}", Static)


def note_text(screen, name: str = "answer") -> str:
    return str(note(screen, name).render())


async def test_a_numeric_answer_may_carry_the_cards_unit() -> None:
    app = drill_app(FakeClock(), tag="only-numeric")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press(*"11.7 mb", "enter")
        await pilot.pause()
        assert screen.phase == "answered"
        assert screen.verdict.correct
        assert "right" in note_text(screen)


async def test_a_unit_of_another_scale_is_named_not_graded() -> None:
    app = drill_app(FakeClock(), tag="only-numeric")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press(*"11.7 GB", "enter")
        await pilot.pause()
        assert screen.phase == "question"
        assert "the answer is in MB, not GB" in note_text(screen)


async def test_a_stale_error_goes_as_soon_as_the_field_changes() -> None:
    app = drill_app(FakeClock(), tag="only-numeric")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press(*"12,5", "enter")
        await pilot.pause()
        assert "decimal point" in note_text(screen)
        assert note(screen).has_class("-problem")
        await pilot.press(*["backspace"] * 4)
        await pilot.pause()
        # The error is gone with the text it was about; the unit label is back.
        assert not note(screen).has_class("-problem")
        assert note_text(screen) == "MB"
        await pilot.press("enter")  # enter on an empty field says why nothing happened
        await pilot.pause()
        assert screen.phase == "question"
        assert "type a number" in note_text(screen)
        await pilot.press("1")
        await pilot.pause()
        assert note_text(screen) == "MB"
        await pilot.press("2", "enter")
        await pilot.pause()
        assert screen.phase == "answered" and screen.verdict.correct


async def test_i_was_right_turns_the_fields_mark_too() -> None:
    app = drill_app(FakeClock(), tag="only-numeric")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press(*"14", "enter")
        await pilot.pause()
        assert "✘ expected 11.7 MB" in note_text(screen)
        await pilot.press("o")
        await pilot.pause()
        assert "✘" not in note_text(screen)
        assert "marked right by you" in note_text(screen)
        await pilot.press("o")  # undone: the mark is the checker's again
        await pilot.pause()
        assert "✘ expected 11.7 MB" in note_text(screen)


async def test_select_all_that_apply_is_said_once() -> None:
    app = drill_app(FakeClock(), tag="only-multi")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        meta = shown_text(screen.query_one("#card-meta", Static))
        prompt = screen.query_one("#prompt").source
        assert (meta + prompt).lower().count("select all that apply") == 1
        assert prompt.startswith("Which observers are per-tensor?")


@pytest.mark.parametrize("tag", ["only-numeric", "only-flashcard", "only-free"])
async def test_a_hint_on_a_card_without_one_says_so(tag: str) -> None:
    app = drill_app(FakeClock(), tag=tag)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+t")  # with the answer field focused where there is one
        await pilot.pause()
        assert "No hint for this card" in str(screen.query_one("#drill-hint-line").render())
        assert not screen.hint_used


LONG_FREE_DECK = """\
deck: free-long
title: Free long
description: A free card whose model answer fills the screen.
cards:
  - id: ptq-vs-qat
    type: free
    prompt: Explain PTQ vs QAT to an interviewer in under a minute.
    answer: |
{answer}
    key_points: [no retraining vs fine-tuning, calibration data, fake quant + STE, accuracy/cost trade-off]
    explanation: |
{answer}
"""


def long_free_app(tmp_path: Path, clock: FakeClock) -> QuizApp:
    paragraph = "\n".join(
        "      PTQ calibrates a trained model on a few batches and converts it; QAT fine-tunes"
        " with fake quantization."
        for _ in range(12)
    )
    (tmp_path / "free-long.yaml").write_text(LONG_FREE_DECK.format(answer=paragraph))
    library = load_decks([tmp_path / "free-long.yaml"])
    assert library.ok, library.errors
    options = {"deck": "free-long", "autostart": True, "clock": clock, "seed": 7}
    return QuizApp(start=StartDrill(**options), library=library)


async def test_free_key_points_are_lettered_and_on_screen_at_80x24(tmp_path: Path) -> None:
    app = long_free_app(tmp_path, FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press(*"no retraining", "ctrl+s")
        await pilot.pause()
        await pilot.pause()
        line = str(screen.query_one("#drill-hint-line").render())
        assert "(a-d)" in line and "a-i" not in line
        points = screen.query_one("#key-points")
        visible = screen.query_one("#drill-scroll").region
        assert points.region.height == 4  # every point drawn, none clipped
        assert visible.contains_region(points.region)
        await pilot.press("a", "d", "enter")
        await pilot.pause()
        [review] = reviews_of(app.db, "free-long", "ptq-vs-qat")
        assert review.answer["covered"] == [0, 3]


def test_free_answer_at_80x24(snap_compare, tmp_path: Path) -> None:
    app = long_free_app(tmp_path, FakeClock())

    async def answer(pilot) -> None:
        await pilot.pause()
        await pilot.press(*"no retraining", "ctrl+s", "b")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=answer)


# --- the mock reads answers as the drill does --------------------------------------------------

MOCK_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mock"


async def test_the_mock_reads_units_as_the_drill_and_the_report_do(quizapp_home: Path) -> None:
    from unit.test_mock import FakeClock as MonotonicClock

    library = load_decks([MOCK_FIXTURES])
    setup = MockSetup(minutes=10, questions=2, decks=("mock-math",), tags=("size",), seed=1)
    options = {"clock": MonotonicClock(), "now": lambda: START, "setup": setup, "autostart": True}
    app = QuizApp(start=StartMock(**options), database=Database(), library=library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockRunScreen)
        keys = [q.card for q in screen.run.questions]
        position = keys.index("int8-mb")
        while screen.run.current != position:
            await pilot.press("pagedown")
        fields = screen.query_one(f"#answer-{position}", NumberFields)
        fields.input("answer").focus()
        await pilot.press(*"4.5 GB")
        await pilot.pause()
        assert "the answer is in MB, not GB" in str(fields.query_one("#note-answer").render())
        await pilot.press(*["backspace"] * 6, *"11.7 MB")
        await pilot.pause()
        shown = fields.query_one("#note-answer", Static)
        assert not shown.has_class("-problem") and str(shown.render()) == "MB"
        # Typed fast, the check of "11.7 M" (not a unit) may be handled after the field has
        # moved on: the note follows the last text, not the last complaint.
        for text in ("11.7 M", "11.7 MB"):
            fields.input("answer").value = text
        await pilot.pause()
        assert not shown.has_class("-problem") and str(shown.render()) == "MB"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#choice-submit")
        await pilot.pause()
        report = app.screen
        assert isinstance(report, MockReportScreen)
        result = next(r for r in report.report.results if r.question.card == "int8-mb")
        assert result.verdict == "right"
        assert result.given == "11.7 MB"
