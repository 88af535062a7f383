"""What the drill screens look like, per card type (frozen clock, fixed seed, UTC days)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from tui.drill_support import FakeClock, drill_app, fixture_library, utc_days

from quizapp.tui.app import QuizApp

__all__ = ["utc_days"]
pytestmark = pytest.mark.usefixtures("utc_days")
SIZE = (120, 40)


def keys(*pressed: str) -> Callable[[Pilot], Awaitable[None]]:
    async def run(pilot: Pilot) -> None:
        await pilot.pause()
        await pilot.press(*pressed)
        await pilot.pause()

    return run


def test_flashcard_question(snap_compare) -> None:
    app = drill_app(FakeClock(), tag="only-flashcard")
    assert snap_compare(app, terminal_size=SIZE, run_before=keys())


def test_flashcard_answer_with_intervals(snap_compare) -> None:
    app = drill_app(FakeClock(), tag="only-flashcard")
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("space"))


def test_choice_wrong_answer(snap_compare) -> None:
    app = drill_app(FakeClock(), tag="only-choice")
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("3"))


def test_multiple_choice_question(snap_compare) -> None:
    app = drill_app(FakeClock(), tag="only-multi")
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("1"))


def test_numeric_right_answer(snap_compare) -> None:
    app = drill_app(FakeClock(), tag="only-numeric")
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("1", "2", "enter"))


def test_generated_answer_with_working(snap_compare) -> None:
    app = drill_app(FakeClock(), tag="only-generated")

    async def answer(pilot: Pilot) -> None:
        await pilot.pause()
        scale, zero_point = (f.value for f in app.screen.question.fields)
        await pilot.press(*f"{scale:.5g}", "tab", *str(int(zero_point) + 1), "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=answer)


def test_free_answer_with_key_points(snap_compare) -> None:
    app = drill_app(FakeClock(), tag="only-free")
    typed = "PTQ needs no retraining; QAT fine-tunes with fake quant"
    assert snap_compare(app, terminal_size=SIZE, run_before=keys(*typed, "ctrl+s", "a", "c"))


def test_setup_screen(snap_compare) -> None:
    app = QuizApp(library=fixture_library())
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("d"))


def test_summary_screen(snap_compare) -> None:
    clock = FakeClock()
    app = drill_app(clock, tag="ptq")

    async def session(pilot: Pilot) -> None:
        await pilot.pause()
        answers = (
            ("space", "4"),  # flashcard: Easy
            ("1", "enter"),  # choice: wrong, Again (it comes back)
            (*"calibration", "ctrl+s", "a", "b", "c", "4"),  # free: all points, Easy
            ("2", "4"),  # the choice again: right, Easy; the session is over
        )
        for pressed in answers:
            clock.advance(12)
            await pilot.press(*pressed)
            await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=session)


SMALL = (80, 24)  # the default terminal
ANSWER_KEYS = {
    "flashcard": ("space",),
    "choice": ("3",),
    "multi": ("1", "2", "enter"),
    "numeric": ("1", "2", "enter"),
    "generated": ("1", "tab", "2", "enter"),
    "free": (*"PTQ needs no retraining", "ctrl+s", "a"),
}


@pytest.mark.parametrize("side", ["question", "answer"])
@pytest.mark.parametrize("kind", list(ANSWER_KEYS))
def test_every_card_type_at_80x24(snap_compare, kind: str, side: str) -> None:
    app = drill_app(FakeClock(), tag=f"only-{kind}")
    pressed = ANSWER_KEYS[kind] if side == "answer" else ()
    assert snap_compare(app, terminal_size=SMALL, run_before=keys(*pressed))
