"""The drill's keys: what each one does, and when it applies (a key that does not apply to the
card shown is left out of the footer and does nothing)."""

from __future__ import annotations

from fsrs import Rating
from textual.binding import Binding, BindingType

from quizapp.core.fsrs_scheduler import RATING_NAMES
from quizapp.core.questions import Question
from quizapp.tui.screens.drill.answer_side import AUTO_GRADED
from quizapp.tui.widgets.cards import KEY_POINT_KEYS

DRILL_BINDINGS: list[BindingType] = [
    Binding("escape", "finish", "End session", id="drill-finish"),
    Binding("space", "reveal", "Show answer", id="drill-reveal"),
    Binding("ctrl+s", "submit_free", "Show answer", id="drill-submit-free"),
    # enter before the digits: a narrow footer keeps the keys met first, and the rating
    # buttons show 1-4 anyway.
    Binding("enter", "check_choice", "Check", id="drill-check"),
    Binding("enter", "accept", "Accept", tooltip="Take the suggested rating", id="drill-accept"),
    *(
        Binding(str(i), f"pick({i - 1})", "Pick", show=i == 1, key_display="1-9")
        for i in range(1, 10)
    ),
    *(
        Binding(
            str(int(r)),
            f"rate({int(r)})",
            "Rate",
            show=r == Rating.Again,
            key_display="1-4",
            tooltip=" ".join(f"{int(x)} {RATING_NAMES[x]}" for x in Rating),
            id=f"drill-rate-{int(r)}",
        )
        for r in Rating
    ),
    Binding("space", "accept", "Accept", show=False),
    *(
        Binding(key, f"tick({i})", "Tick point", show=i == 0, key_display="a-i")
        for i, key in enumerate(KEY_POINT_KEYS)
    ),
    Binding("o", "override", "I was right", id="drill-override"),
    Binding("ctrl+t", "hint", "Hint", id="drill-hint"),  # works while typing too
    # ctrl+b: the answer fields take ctrl+z and ctrl+u themselves; priority so that it
    # undoes while a number field or the free answer has the focus.
    Binding("ctrl+b", "undo", "Undo", id="drill-undo", priority=True),
    Binding("u", "undo", "Undo", show=False),  # when no text field has the focus
]


def action_applies(
    action: str,
    parameters: tuple[object, ...],
    *,
    phase: str,
    question: Question | None,
    checked: bool,
    can_undo: bool,
) -> bool:
    """Whether `action` applies now: `phase` is "question" or "answered", `checked` whether
    the answer has a verdict, `can_undo` whether the session has a review to take back."""
    kind = question.kind if question else None
    options = question.options if question else ()
    key_points = question.key_points if question else ()
    asking = phase == "question" and question is not None
    answered = phase == "answered"
    if action == "reveal":
        return asking and kind == "flashcard"
    if action == "submit_free":
        return asking and kind == "free"
    if action == "pick":
        return asking and kind == "choice" and _index(parameters) < len(options)
    if action == "check_choice":
        return asking and kind == "choice" and question is not None and question.multiple
    if action in ("rate", "accept"):
        return answered
    if action == "tick":
        return answered and kind == "free" and _index(parameters) < len(key_points)
    if action == "override":
        return answered and kind in AUTO_GRADED and checked
    if action == "hint":
        return asking  # a card without a hint says so (the screen's action_hint)
    if action == "undo":
        return can_undo
    return True


def _index(parameters: tuple[object, ...]) -> int:
    """The number in an action's parameters, as `pick(2)` gives it."""
    value = parameters[0]
    return value if isinstance(value, int) else int(str(value))
