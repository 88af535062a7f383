"""Widgets that show a question and take its answer (drill and mock both use them).

They only render and collect input: a screen checks answers (`quizapp.core.questions`) and
tells them what to show. Messages go up (`NumberFields.Submitted`, `RatingBar.Rated`),
attributes and method calls come down.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TypedDict, Unpack

from fsrs import Rating
from rich.markdown import Markdown as RichMarkdown
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from quizapp.core.generators import AnswerField
from quizapp.core.questions import Question, Verdict, without_select_all

_CODE = re.compile(r"`([^`]+)`")
KEY_POINT_KEYS = "abcdefghi"  # ticks key points; digits stay free for the ratings


class WidgetOptions(TypedDict, total=False):
    """What every Textual widget takes as keywords, passed on to it unchanged."""

    name: str | None
    id: str | None
    classes: str | None
    disabled: bool


def shown_prompt(question: Question) -> str:
    """The prompt as a card shows it. A multi-answer card's meta line says "select all that
    apply" on every such card, so a deck's own trailing "(select all that apply)" is dropped
    rather than said twice."""
    if question.kind == "choice" and question.multiple:
        return without_select_all(question.prompt)
    return question.prompt


def key_range(count: int) -> str:
    """The letters that tick `count` key points: "a", "a-d"."""
    count = min(count, len(KEY_POINT_KEYS))
    if count <= 1:
        return KEY_POINT_KEYS[:count]
    return f"{KEY_POINT_KEYS[0]}-{KEY_POINT_KEYS[count - 1]}"


def inline_text(text: str, style: str = "") -> Text:
    """One line of card text: `code` spans are styled, nothing else is interpreted."""
    out = Text(style=style)
    last = 0
    for match in _CODE.finditer(text):
        out.append(text[last : match.start()])
        out.append(match.group(1), style="bold cyan")
        last = match.end()
    out.append(text[last:])
    return out


class MarkdownText(Static):
    """Card text as Markdown, code blocks syntax-highlighted.

    One widget drawn by Rich, rather than Textual's `Markdown` (a widget per block): a card
    shows several of these per answer, and this keeps a key press to the next card quick.
    """

    DEFAULT_CSS = """
    MarkdownText {
        height: auto;
        padding: 0 2;
    }
    """

    def __init__(self, source: str, **kwargs: Unpack[WidgetOptions]) -> None:
        super().__init__(**kwargs)
        self.source = source
        self._markdown: tuple[tuple[str, str], RichMarkdown] | None = None

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        """Show other Markdown text (a screen reusing this widget for the next card)."""
        self.source = content if isinstance(content, str) else str(content)
        self.refresh(layout=layout)

    def render(self) -> RichMarkdown:
        theme = "monokai" if self.app.current_theme.dark else "default"
        # Parsed once per text and theme: a layout asks for the renderable more than once.
        key = (self.source, theme)
        if self._markdown is None or self._markdown[0] != key:
            self._markdown = (key, RichMarkdown(self.source, code_theme=theme, hyperlinks=False))
        return self._markdown[1]


class ChoiceList(Widget):
    """The options of a choice question, numbered 1-9; marks what is picked, then the key."""

    DEFAULT_CSS = """
    ChoiceList {
        height: auto;
        padding: 0 2;
    }
    """

    selected: reactive[frozenset[int]] = reactive(frozenset())
    struck: reactive[frozenset[int]] = reactive(frozenset())  # removed by a hint
    correct: reactive[frozenset[int] | None] = reactive(None)  # shown once answered

    def __init__(
        self, options: Sequence[str], multiple: bool, **kwargs: Unpack[WidgetOptions]
    ) -> None:
        super().__init__(**kwargs)
        self.options = tuple(options)
        self.multiple = multiple

    def toggle(self, index: int) -> None:
        if not 0 <= index < len(self.options) or index in self.struck:
            return
        if self.multiple:
            self.selected = self.selected ^ {index}
        else:
            self.selected = frozenset({index})

    def render(self) -> Table:
        # A grid, so that a long option wraps under its own text, not under its number.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        for i, option in enumerate(self.options):
            chosen = i in self.selected
            if self.correct is None:
                box = (
                    ("[x]" if chosen else "[ ]") if self.multiple else ("(•)" if chosen else "( )")
                )
                style = "dim strike" if i in self.struck else ("bold" if chosen else "")
                mark = Text(f"{i + 1}  {box}", style="bold" if chosen else "")
            else:
                right = i in self.correct
                if right:
                    mark, style = Text(f"{i + 1}   ✔ ", style="bold green"), "green"
                elif chosen:
                    mark, style = Text(f"{i + 1}   ✘ ", style="bold red"), "red"
                else:
                    mark, style = Text(f"{i + 1}     ", style="dim"), "dim"
                if chosen and right:
                    style = "bold green"
            grid.add_row(mark, inline_text(option, style))
        return grid


class NumberFields(Widget):
    """One labelled input per answer field (e.g. scale and zero point)."""

    DEFAULT_CSS = """
    NumberFields {
        height: auto;
        padding: 0 1;
    }
    NumberFields .field-row {
        height: auto;
    }
    NumberFields .field-label {
        padding: 1 1 0 0;
        text-align: right;
    }
    NumberFields Input {
        width: 30;
    }
    NumberFields .field-note {
        width: 1fr;
        padding: 1 0 0 1;
    }
    NumberFields .field-note.-problem {
        color: $error;
    }
    """

    class Submitted(Message):
        """Enter was pressed with every field filled."""

        def __init__(self, fields: NumberFields, values: dict[str, str]) -> None:
            super().__init__()
            self.fields = fields
            self.values = values

        @property
        def control(self) -> NumberFields:
            return self.fields

    def __init__(
        self,
        answer_fields: Sequence[AnswerField],
        *,
        empty_note: str = "type a number first",
        **kwargs: Unpack[WidgetOptions],
    ) -> None:
        super().__init__(**kwargs)
        self.answer_fields = tuple(answer_fields)
        self.empty_note = empty_note  # said when enter is pressed on an empty field

    def compose(self) -> ComposeResult:
        # One label width for all rows, so the inputs line up (labels can be long).
        width = min(30, max((len(f.label or f.name) for f in self.answer_fields), default=0) + 2)
        for field in self.answer_fields:
            with Horizontal(classes="field-row"):
                label = Label(field.label or field.name, classes="field-label")
                label.styles.width = max(width, 8)
                yield label
                yield Input(
                    placeholder="a whole number" if field.integer else "e.g. 0.0157 or 4/255",
                    id=f"field-{field.name}",
                )
                unit = field.unit or ""
                yield Static(unit, id=f"note-{field.name}", classes="field-note")

    def input(self, name: str) -> Input:
        return self.query_one(f"#field-{name}", Input)

    def values(self) -> dict[str, str]:
        return {f.name: self.input(f.name).value for f in self.answer_fields}

    def focus_first(self) -> None:
        if self.answer_fields:
            self.input(self.answer_fields[0].name).focus()

    def show_problem(self, name: str, message: str, *, focus: bool = True) -> None:
        """Say why a field's text can't be checked, in place of its unit, until it changes."""
        note = self.query_one(f"#note-{name}", Static)
        note.update(message)
        note.add_class("-problem")
        if focus:
            self.input(name).focus()

    def clear_problem(self, name: str) -> None:
        field = next(f for f in self.answer_fields if f.name == name)
        note = self.query_one(f"#note-{name}", Static)
        note.remove_class("-problem")
        note.update(field.unit or "")

    def clear_problems(self) -> None:
        for field in self.answer_fields:
            self.clear_problem(field.name)

    def show_result(self, verdict: Verdict, *, overridden: bool = False) -> None:
        """Lock the inputs and mark each field right or wrong with the expected value; after
        "I was right" (`overridden`) a wrong field is marked as the learner's call."""
        expected = {f.name: f.display_with_unit() for f in self.answer_fields}
        for result in verdict.fields:
            self.input(result.name).disabled = True
            note = self.query_one(f"#note-{result.name}", Static)
            note.remove_class("-problem")
            shown = expected.get(result.name, result.expected)
            if result.correct:
                note.update(Text("✔ right", style="bold green"))
            elif overridden:
                mark = Text("✔ marked right by you", style="bold green")
                mark.append(f" (key: {shown})", style="dim")
                note.update(mark)
            else:
                note.update(Text(f"✘ expected {shown}", style="bold red"))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        # A problem note is about the text it was given: any edit takes it away (a screen
        # that checks as the learner types says so again after this).
        name = (event.input.id or "").removeprefix("field-")
        if not event.input.disabled and any(f.name == name for f in self.answer_fields):
            self.clear_problem(name)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        values = self.values()
        here = (event.input.id or "").removeprefix("field-")
        if here in values and not values[here].strip():
            self.show_problem(here, self.empty_note)
            return
        for field in self.answer_fields:  # fill the fields in order before checking
            if not values[field.name].strip():
                self.input(field.name).focus()
                return
        self.post_message(self.Submitted(self, values))


class KeyPointList(Widget):
    """The key points of a free answer; the learner ticks those their answer covered."""

    DEFAULT_CSS = """
    KeyPointList {
        height: auto;
        padding: 0 2;
    }
    """

    ticked: reactive[frozenset[int]] = reactive(frozenset())

    class Changed(Message):
        def __init__(self, points: KeyPointList) -> None:
            super().__init__()
            self.points = points

    def __init__(self, points: Sequence[str], **kwargs: Unpack[WidgetOptions]) -> None:
        super().__init__(**kwargs)
        self.points = tuple(points)

    @property
    def covered(self) -> int:
        return len(self.ticked)

    def toggle(self, index: int) -> None:
        if 0 <= index < len(self.points):
            self.ticked = self.ticked ^ {index}
            self.post_message(self.Changed(self))

    def render(self) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        for i, point in enumerate(self.points):
            key = KEY_POINT_KEYS[i] if i < len(KEY_POINT_KEYS) else " "
            ticked = i in self.ticked
            mark = Text(f"{key}  ", style="bold")
            mark.append("[x]" if ticked else "[ ]", style="bold green" if ticked else "")
            grid.add_row(mark, inline_text(point, "green" if ticked else ""))
        return grid


RATING_KEYS = {Rating.Again: "1", Rating.Hard: "2", Rating.Good: "3", Rating.Easy: "4"}


class RatingBar(Horizontal):
    """The four rating buttons, each with the interval it would give; one is suggested."""

    DEFAULT_CSS = """
    RatingBar {
        height: auto;
        width: 1fr;
        align-horizontal: center;
    }
    RatingBar Button {
        width: 1fr;
        max-width: 24;
        min-width: 14;
        margin: 0 1;
    }
    RatingBar Button.-suggested {
        text-style: bold reverse;
    }
    """

    class Rated(Message):
        def __init__(self, rating: Rating) -> None:
            super().__init__()
            self.rating = rating

    VARIANTS = {
        Rating.Again: "error",
        Rating.Hard: "warning",
        Rating.Good: "success",
        Rating.Easy: "primary",
    }

    def compose(self) -> ComposeResult:
        for rating in Rating:
            button = Button(
                self._label(rating, ""), id=f"rate-{rating.name.lower()}", variant="default"
            )
            button.can_focus = False  # the digit keys rate; focus stays where typing happens
            yield button

    @staticmethod
    def _label(rating: Rating, interval: str) -> str:
        return f"{RATING_KEYS[rating]} {rating.name} {interval}"

    def show(self, intervals: Mapping[Rating, str] | None, suggested: Rating | None) -> None:
        """Set the interval under each button (None: cram, no schedule) and the suggestion."""
        for rating in Rating:
            button = self.query_one(f"#rate-{rating.name.lower()}", Button)
            interval = intervals[rating] if intervals is not None else "no change"
            button.label = self._label(rating, interval)
            button.variant = self.VARIANTS[rating] if rating == suggested else "default"
            button.set_class(rating == suggested, "-suggested")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        name = (event.button.id or "").removeprefix("rate-").capitalize()
        self.post_message(self.Rated(Rating[name]))


class CardTimer(Static):
    """Time on the current card (m:ss), from an injected clock; stops when answered."""

    DEFAULT_CSS = """
    CardTimer {
        width: auto;
        min-width: 9;
        text-align: right;
    }
    """

    def __init__(self, clock: Callable[[], datetime], **kwargs: Unpack[WidgetOptions]) -> None:
        super().__init__("", **kwargs)
        self.clock = clock
        self.started: datetime | None = None
        self.stopped: datetime | None = None

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def start(self) -> None:
        self.started, self.stopped = self.clock(), None
        self._tick()

    def stop(self) -> None:
        self.stopped = self.clock()
        self._tick()

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return ((self.stopped or self.clock()) - self.started).total_seconds()

    def _tick(self) -> None:
        minutes, seconds = divmod(int(self.seconds), 60)
        self.update(f"⏱ {minutes}:{seconds:02d}")


class Section(Vertical):
    """A titled block of the answer side (Answer, Working, Explanation...)."""

    DEFAULT_CSS = """
    Section {
        height: auto;
        margin: 1 0 0 0;
    }
    Section > .section-heading {
        color: $text-muted;
        text-style: bold;
    }
    """

    def __init__(self, title: str, *children: Widget, **kwargs: Unpack[WidgetOptions]) -> None:
        super().__init__(Label(title, classes="section-heading"), *children, **kwargs)
