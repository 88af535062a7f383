"""The drill in small terminals: at 80x24 (the default) and 60x20 the answer field, the
suggested rating, all four rating buttons, the counts and the way back are on screen."""

from __future__ import annotations

import pytest
from textual.widget import Widget
from tui.drill_support import FakeClock, drill_app, utc_days
from tui.screen_text import screen_lines, shown_footer_keys, whole_on_screen

__all__ = ["utc_days"]
pytestmark = pytest.mark.usefixtures("utc_days")
SIZES = [(80, 24), (60, 20)]
ANSWER_FIELDS = {
    "flashcard": None,
    "choice": "#choices",
    "numeric": "#fields Input",
    "generated": "#fields Input",
    "free": "#free-answer",
}
ANSWERS = {
    "flashcard": ("space",),
    "choice": ("3",),
    "numeric": ("1", "2", "enter"),
    "generated": ("1", "tab", "2", "enter"),
    "free": (*"no retraining", "ctrl+s"),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("kind", list(ANSWER_FIELDS))
async def test_the_question_side_shows_the_answer_field_and_the_way_back(kind, size) -> None:
    app = drill_app(FakeClock(), tag=f"only-{kind}")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        selector = ANSWER_FIELDS[kind]
        if selector is not None:
            field: Widget = app.screen.query(selector).first()
            assert whole_on_screen(app, field), f"{selector} at {field.region}"
        lines = screen_lines(app)
        assert "1 left: 1 new" in lines[1] and "0 done" in lines[1], lines[1]
        assert "esc End session" in await shown_footer_keys(pilot, app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("kind", list(ANSWERS))
async def test_the_answer_side_shows_the_suggestion_and_every_rating(kind, size) -> None:
    app = drill_app(FakeClock(), tag=f"only-{kind}")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press(*ANSWERS[kind])
        await pilot.pause()
        assert app.screen.phase == "answered"
        hint = app.screen.query_one("#drill-hint-line")
        assert whole_on_screen(app, hint)
        text = "\n".join(screen_lines(app))
        assert "Enter accepts" in text
        for name in ("Again", "Hard", "Good", "Easy"):
            button = app.screen.query_one(f"#rate-{name.lower()}")
            assert whole_on_screen(app, button), name
            label = str(button.label)
            assert label in text, f"{label!r} is cut"
        keys = await shown_footer_keys(pilot, app)
        assert "esc End session" in keys and "⏎ Accept" in keys, keys
