"""The review screen: one card at a time, answered the way its type asks, then rated.

The screen asks `core.drill_queue.DrillSession` which card comes next, checks answers with
`core.questions`, and stores each rating with `storage.reviews.record_review` the moment it
is given (one transaction: nothing answered is lost if the process dies).
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fsrs import Rating
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, ProgressBar, Static, TextArea

from quizapp.core.drill_queue import DrillSession, SessionCard, SessionReview
from quizapp.core.fsrs_scheduler import RATING_NAMES, preview
from quizapp.core.questions import (
    Question,
    Verdict,
    auto_rating,
    check_choice,
    check_fields,
    field_problem,
    free_rating,
    instantiate,
)
from quizapp.core.study_days import minutes_until
from quizapp.core.time_format import format_interval
from quizapp.storage.db import Database
from quizapp.storage.reviews import load_state, record_review, undo_review
from quizapp.tui.screen_actions import ScreenActions
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.cards import (
    KEY_POINT_KEYS,
    CardTimer,
    ChoiceList,
    KeyPointList,
    MarkdownText,
    NumberFields,
    RatingBar,
    Section,
    key_range,
    shown_prompt,
)
from quizapp.tui.widgets.footer import QuickFooter

AUTO_GRADED = ("choice", "numeric", "generated")
KIND_LABELS = {"new": "NEW", "learning": "LEARNING", "relearning": "RELEARNING", "review": "REVIEW"}


class DrillCommands(ScreenActions):
    """The drill's actions in the command palette (ctrl+p), those that apply right now."""

    COMMANDS = (
        ("Undo the last review", "undo", "Take the last rating back and show its card (ctrl+b)"),
        ("Show a hint", "hint", "Strike a wrong option, or the first step of the working (ctrl+t)"),
        ("I was right", "override", "Mark a wrong verdict right; logged as an override (o)"),
        (
            "End the session",
            "finish",
            "The summary; an answered card is saved with the suggested rating (escape)",
        ),
    )

    def screen_type(self) -> type[Screen]:
        return DrillScreen


class DrillScreen(QuizScreen[None]):
    """A drill (or cram) session over the cards of `session`."""

    CSS_PATH = "session.tcss"
    COMMANDS = {DrillCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (72, "-wide")]
    BINDINGS = [
        Binding("escape", "finish", "End session", id="drill-finish"),
        Binding("space", "reveal", "Show answer", id="drill-reveal"),
        Binding("ctrl+s", "submit_free", "Show answer", id="drill-submit-free"),
        # enter before the digits: a narrow footer keeps the keys met first, and the rating
        # buttons show 1-4 anyway.
        Binding("enter", "check_choice", "Check", id="drill-check"),
        Binding(
            "enter", "accept", "Accept", tooltip="Take the suggested rating", id="drill-accept"
        ),
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

    def __init__(
        self,
        session: DrillSession,
        *,
        database: Database,
        title: str,
        clock: Callable[[], datetime],
        seed: int | None = None,
        interview_note: str | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.db = database
        self.scope_title = title
        self.clock = clock
        self.rng = random.Random(seed)
        self.interview_note = interview_note
        self.current: SessionCard | None = None
        self.question: Question | None = None
        self.phase = "question"  # question | answered
        self.shown_at: datetime | None = None
        self.answer_seconds = 0.0
        self.verdict: Verdict | None = None
        self.overridden = False
        self.hint_used = False
        self.suggested: Rating | None = None
        self.answer: Any = None
        self.intervals: dict[Rating, str] | None = None

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="drill-status"):
            yield Static(id="drill-progress-text")
            yield ProgressBar(id="drill-progress", show_eta=False, show_percentage=False)
            yield CardTimer(self.clock, id="drill-timer")
        with VerticalScroll(id="drill-scroll"):
            yield Vertical(id="card-body")
        with Vertical(id="drill-bottom"):
            yield Static(id="drill-hint-line")
            yield RatingBar(id="ratings")
        yield QuickFooter()

    def on_resize(self) -> None:
        # After Screen's own handler has set the breakpoint class the progress line reads.
        if self.question is not None:
            self.call_after_refresh(self._update_progress)

    async def on_mount(self) -> None:
        self.title = "quizapp"
        self.sub_title = ("Cram: " if self.session.cram else "Drill: ") + self.scope_title
        await self.show_next()

    # --- the card ---------------------------------------------------------------------------

    async def show_next(self) -> None:
        card = self.session.next_card(self.clock())
        if card is None:
            self.finish()
            return
        await self.show_card(card)

    async def show_card(self, card: SessionCard) -> None:
        self.current = card
        self.question = instantiate(card.deck, card.card, self.rng.randrange(2**31))
        self.phase = "question"
        self.verdict = None
        self.overridden = self.hint_used = False
        self.suggested = None
        self.answer = None
        self.intervals = None
        self.shown_at = self.clock()
        # One batch: the screen is laid out and painted once, with the new card complete.
        with self.app.batch_update():
            await self._show_question(card, self.question)
            self.query_one("#ratings", RatingBar).display = False
            self.query_one("#drill-timer", CardTimer).start()
            self._update_progress()
            self._set_hint_line()
            scroll = self.query_one("#drill-scroll", VerticalScroll)
            scroll.scroll_home(animate=False)
            if self.question.kind in ("numeric", "generated"):
                self.query_one("#fields", NumberFields).focus_first()
            elif self.question.kind == "free":
                self.query_one("#free-answer", TextArea).focus()
            else:
                scroll.focus()
            self.refresh_bindings()

    async def _show_question(self, card: SessionCard, question: Question) -> None:
        """The card's meta line and prompt (reused from the last card), then its answer input."""
        body = self.query_one("#card-body", Vertical)
        shown = {widget.id: widget for widget in body.children}
        meta, prompt = shown.get("card-meta"), shown.get("prompt")
        if not isinstance(meta, Static) or not isinstance(prompt, MarkdownText):
            await body.remove_children()
            await body.mount_all(self._question_widgets(card, question))
            return
        await body.remove_children([w for w in body.children if w not in (meta, prompt)])
        meta.update(self._meta_text(card, question))
        prompt.update(shown_prompt(question))
        entry = self._answer_input(question)
        if entry is not None:
            await body.mount(entry)

    def _question_widgets(self, card: SessionCard, question: Question) -> list:
        widgets: list = [
            Static(self._meta_text(card, question), id="card-meta"),
            MarkdownText(shown_prompt(question), id="prompt"),
        ]
        entry = self._answer_input(question)
        if entry is not None:
            widgets.append(entry)
        return widgets

    def _meta_text(self, card: SessionCard, question: Question) -> Text:
        meta = Text()
        meta.append(f" {KIND_LABELS[card.kind]} ", style=f"bold reverse {self._kind_color(card)}")
        if card.state is not None and card.state.is_leech:
            meta.append("  LEECH ", style="bold reverse red")
        now = self.clock()
        if card.shown_early_by(now) is not None and card.state is not None:
            # Learn-ahead (nothing else left): say so, rather than pass it off as due.
            minutes = minutes_until(card.state.due, now)
            meta.append(f"  due in {minutes} min, shown early", style="italic yellow")
        meta.append(f"  {card.deck} · {question.kind}", style="dim")
        if question.tags:
            meta.append("  " + " ".join(f"#{t}" for t in question.tags), style="dim")
        if question.kind == "choice" and question.multiple:
            meta.append("  (select all that apply)", style="italic")
        return meta

    @staticmethod
    def _answer_input(question: Question) -> Widget | None:
        """Where the answer is given (choices, number fields, a text area); None: recall."""
        if question.kind == "choice":
            return ChoiceList(question.options, question.multiple, id="choices")
        if question.kind in ("numeric", "generated"):
            return NumberFields(question.fields, id="fields")
        if question.kind == "free":
            area = TextArea(id="free-answer", soft_wrap=True, show_line_numbers=False)
            area.border_title = "Your answer (ctrl+s when done)"
            return area
        return None

    @staticmethod
    def _kind_color(card: SessionCard) -> str:
        return {"new": "blue", "learning": "red", "relearning": "red"}.get(card.kind, "green")

    def _set_hint_line(self, text: str | None = None) -> None:
        line = self.query_one("#drill-hint-line", Static)
        if text is None and self.question is not None and self.phase == "question":
            text = {
                "flashcard": "Recall the answer, then press space to see it.",
                "choice": (
                    "Press the numbers of every right option, then enter."
                    if self.question.multiple
                    else "Press the number of your answer."
                ),
                "numeric": "Type the number, then enter.",
                "generated": "Type each value (tab moves between fields), then enter.",
                "free": "Answer as you would to an interviewer; ctrl+s shows the model answer.",
            }[self.question.kind]
        line.update(text or "")

    def _update_progress(self) -> None:
        counts = self.session.counts(self.clock())
        done = len(self.session.log)
        # A narrow terminal gets short words, so the counts stay whole beside the clock.
        narrow = self.has_class("-narrow")
        comma, dot = (" ", " · ") if narrow else (", ", "   ·   ")
        text = Text()
        text.append(f"{counts.total} left: ", style="bold")
        text.append(f"{counts.new} new", style="bold blue")
        text.append(comma)
        text.append(f"{counts.learning} {'lrn' if narrow else 'learning'}", style="bold red")
        text.append(comma)
        text.append(f"{counts.review} {'rev' if narrow else 'review'}", style="bold green")
        if counts.later:
            text.append(
                f" (+{counts.later} today)" if narrow else f" ({counts.later} later today)",
                style="dim",
            )
        text.append(f"{dot}{done} done", style="dim")
        if self.session.cram:
            text.append(
                f"{dot}cram" if narrow else f"{dot}cram: schedule unchanged", style="italic yellow"
            )
        self.query_one("#drill-progress-text", Static).update(text)
        bar = self.query_one("#drill-progress", ProgressBar)
        bar.update(total=max(1, done + counts.total), progress=done)

    # --- answering --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        question = self.question
        kind = question.kind if question else None
        options = question.options if question else ()
        key_points = question.key_points if question else ()
        asking = self.phase == "question" and question is not None
        answered = self.phase == "answered"
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
            return answered and kind in AUTO_GRADED and self.verdict is not None
        if action == "hint":
            return asking  # a card without a hint says so (action_hint)
        if action == "undo":
            return self.session.can_undo
        return True

    async def action_reveal(self) -> None:
        await self._answered()

    async def action_submit_free(self) -> None:
        text = self.query_one("#free-answer", TextArea).text
        self.answer = {"text": text}
        await self._answered()

    async def action_pick(self, index: int) -> None:
        choices = self.query_one("#choices", ChoiceList)
        choices.toggle(index)
        if not choices.multiple:
            await self._grade_choice(choices)

    async def action_check_choice(self) -> None:
        choices = self.query_one("#choices", ChoiceList)
        if not choices.selected:
            self.notify("Pick at least one option (number keys) first.", severity="warning")
            return
        await self._grade_choice(choices)

    async def _grade_choice(self, choices: ChoiceList) -> None:
        assert self.question is not None
        self.answer = {"selected": sorted(choices.selected)}
        self.verdict = check_choice(self.question, choices.selected)
        choices.correct = frozenset(self.question.correct_choices)
        await self._answered()

    @on(NumberFields.Submitted)
    async def _fields_submitted(self, event: NumberFields.Submitted) -> None:
        assert self.question is not None
        if self.phase != "question":
            return
        fields = event.fields
        # The same reading check_fields makes: a typo or a wrong unit is said, not graded.
        for answer_field in self.question.fields:
            problem = field_problem(answer_field, event.values.get(answer_field.name, ""))
            if problem is not None:
                fields.show_problem(answer_field.name, problem)
                return
        self.verdict = check_fields(self.question, event.values)
        self.answer = {"fields": event.values}
        if self.question.seed is not None and self.question.kind == "generated":
            self.answer["seed"] = self.question.seed
        fields.show_result(self.verdict)
        await self._answered()

    async def _answered(self) -> None:
        """Show the answer side: verdict, model answer, working, key points, explanation."""
        assert self.question is not None and self.current is not None
        question = self.question
        timer = self.query_one("#drill-timer", CardTimer)
        timer.stop()
        self.answer_seconds = timer.seconds
        self.phase = "answered"
        if question.kind in AUTO_GRADED:
            assert self.verdict is not None
            self.suggested = auto_rating(
                question, self.verdict, self.answer_seconds, self.hint_used
            )
        elif question.kind == "flashcard":
            self.suggested = Rating.Good
        area = self.query_one("#free-answer", TextArea) if question.kind == "free" else None
        if area is not None:
            area.read_only = True

        side: list = []
        if question.kind in AUTO_GRADED:
            side.append(Static(self._verdict_text(), id="verdict"))
        if question.kind == "free":
            # First, right under the learner's answer: ticked while the answer is in mind, and
            # on screen however long the model answer below is.
            points = KeyPointList(question.key_points, id="key-points")
            letters = key_range(len(question.key_points))
            side.append(Section(f"Key points: tick those your answer covered ({letters})", points))
            self.suggested = free_rating(0, len(question.key_points))
        if question.kind != "choice":  # a choice list marks the right options itself
            side.append(Section("Answer", MarkdownText(question.answer_text, id="answer")))
        if question.kind == "generated" and question.params:
            drawn = ", ".join(f"{k} = {v}" for k, v in question.params.items())
            side.append(
                Section(
                    "Working",
                    Static(Text(f"Numbers drawn: {drawn}", style="dim"), id="drawn"),
                    MarkdownText(question.working or "", id="working"),
                    Static(
                        Text(
                            f"Same numbers again: quizapp sample {question.key} "
                            f"--seed {question.seed}",
                            style="dim italic",
                        ),
                        id="seed-line",
                    ),
                )
            )
        elif question.working:
            side.append(Section("Working", MarkdownText(question.working, id="working")))
        if question.explanation:
            side.append(
                Section("Explanation", MarkdownText(question.explanation, id="explanation"))
            )
        if question.source:
            side.append(Static(Text(f"Source: {question.source}", style="dim italic"), id="source"))
        if self.session.cram:
            self.intervals = None
        else:
            now = self.clock()
            self.intervals = {
                rating: format_interval(delta)
                for rating, delta in preview(
                    self.current.state, self.current.deck, self.current.card.id, now
                ).items()
            }
        # One batch, one mount: the screen is laid out and painted once, answer side complete.
        with self.app.batch_update():
            answer_side = Vertical(*side, id="answer-side")
            await self.query_one("#card-body", Vertical).mount(answer_side)
            self._show_ratings()
            self.call_after_refresh(self._bring_into_view, answer_side)
            self.query_one("#drill-scroll", VerticalScroll).focus()
            self.refresh_bindings()

    def _bring_into_view(self, answer_side: Vertical) -> None:
        """Scroll to the answer only when it starts below the fold: otherwise the prompt stays
        on screen above it (the learner scrolls on with the arrow keys)."""
        scroll = self.query_one("#drill-scroll", VerticalScroll)
        points = next(self.query("#key-points").results(KeyPointList), None)
        if points is not None:
            # A free answer's key points are ticked by letter: they must be on screen whole.
            # They come first on the answer side, so with it at the top they are.
            shown = points.region
            if not (shown.height and scroll.region.contains_region(shown)):
                scroll.scroll_to_widget(answer_side, animate=False, top=True)
            return
        offset = answer_side.region.y - scroll.region.y
        if offset > scroll.region.height - 4:
            scroll.scroll_relative(y=offset, animate=False)

    def _verdict_text(self) -> Text:
        assert self.verdict is not None and self.question is not None
        text = Text()
        if self.overridden:
            text.append("✔ Marked right by you ", style="bold green")
            text.append("(logged as an override; o undoes it)", style="dim")
        elif self.verdict.correct:
            text.append("✔ Right", style="bold green")
            if self.suggested == Rating.Hard:
                why = (
                    "after a hint" if self.hint_used else f"but slow ({self.answer_seconds:.0f} s)"
                )
                text.append(f" {why}: suggested Hard", style="yellow")
        else:
            text.append("✘ Wrong", style="bold red")
            if self.verdict.score > 0:
                text.append(f" (partly right: {self.verdict.score:.0%})", style="yellow")
            text.append("   press o if you were right after all", style="dim")
        return text

    def _show_ratings(self) -> None:
        bar = self.query_one("#ratings", RatingBar)
        bar.display = True
        bar.show(self.intervals, self.suggested)
        name = RATING_NAMES[self.suggested] if self.suggested else "a rating"
        if self.question is not None and self.question.kind == "free":
            covered = self.query_one("#key-points", KeyPointList).covered
            total = len(self.question.key_points)
            line = (
                f"Tick the key points you covered ({key_range(total)}): {covered} of {total} "
                f"→ {name}. Enter accepts, 1-4 choose."
            )
        else:
            line = f"Enter accepts {name}; 1-4 choose another rating."
            if self.session.can_undo:
                line += " ctrl+b undoes the last review."
        self._set_hint_line(line)

    def action_tick(self, index: int) -> None:
        assert self.question is not None
        points = self.query_one("#key-points", KeyPointList)
        points.toggle(index)
        self.suggested = free_rating(points.covered, len(self.question.key_points))
        self._show_ratings()

    def action_override(self) -> None:
        assert self.question is not None and self.verdict is not None
        self.overridden = not self.overridden
        if self.overridden:
            self.suggested = Rating.Good
        else:
            self.suggested = auto_rating(
                self.question, self.verdict, self.answer_seconds, self.hint_used
            )
        self.query_one("#verdict", Static).update(self._verdict_text())
        if self.question.fields:
            self.query_one("#fields", NumberFields).show_result(
                self.verdict, overridden=self.overridden
            )
        self._show_ratings()

    def _hint_available(self) -> bool:
        question = self.question
        if question is None:
            return False
        if question.kind == "choice":
            found = self.query("#choices").results(ChoiceList)
            choices = next(found, None)  # None while the card's widgets are being mounted
            wrong = set(range(len(question.options))) - set(question.correct_choices)
            return choices is not None and len(wrong - choices.struck) > 1
        return question.kind == "generated" and bool(question.working)

    def action_hint(self) -> None:
        """Choice: strike out one wrong option. Generated: show the first step of the working.
        A right answer after a hint is suggested Hard (`core.questions.auto_rating`)."""
        assert self.question is not None
        if not self._hint_available():
            more = self.hint_used and self.question.kind == "choice"
            self._set_hint_line(
                "No more hints for this card." if more else "No hint for this card."
            )
            return
        self.hint_used = True
        if self.question.kind == "choice":
            choices = self.query_one("#choices", ChoiceList)
            wrong = sorted(
                set(range(len(self.question.options)))
                - set(self.question.correct_choices)
                - choices.struck
            )
            struck = self.rng.choice(wrong)
            choices.struck = choices.struck | {struck}
            choices.selected = choices.selected - {struck}
            self._set_hint_line(f"Hint: option {struck + 1} is not right.")
        else:
            first = (self.question.working or "").strip().splitlines()[0].lstrip("- ")
            self._set_hint_line(f"Hint: {first}")
        self.refresh_bindings()

    # --- rating and undo ----------------------------------------------------------------------

    async def action_accept(self) -> None:
        if self.suggested is not None:
            await self.rate(self.suggested)

    async def action_rate(self, rating: int) -> None:
        await self.rate(Rating(rating))

    @on(RatingBar.Rated)
    async def _rated_by_click(self, event: RatingBar.Rated) -> None:
        if self.phase == "answered":
            await self.rate(event.rating)

    async def rate(self, rating: Rating) -> None:
        """Store the review (committed at once), then move to the next card."""
        if await self._store(rating) is not None:
            await self.show_next()

    async def _store(self, rating: Rating) -> SessionReview | None:
        """Store the review of the card shown; None when the database refused it (said so)."""
        card, question = self.current, self.question
        assert card is not None and question is not None and self.shown_at is not None
        now = self.clock()
        duration_ms = max(0, int((now - self.shown_at).total_seconds() * 1000))
        correct = None
        if self.verdict is not None:
            correct = self.verdict.correct or self.overridden
        answer = self.answer
        if question.kind == "free":
            points = self.query_one("#key-points", KeyPointList)
            answer = {**(answer or {}), "covered": sorted(points.ticked)}
        try:
            review_id = record_review(
                self.db,
                card.deck,
                card.card.id,
                rating,
                mode="cram" if self.session.cram else "drill",
                duration_ms=duration_ms,
                correct=correct,
                answer=answer,
                now=now,
                override=self.overridden,
                hint_used=self.hint_used,
            )
            new_state = None if self.session.cram else load_state(self.db, card.deck, card.card.id)
        except sqlite3.Error as exc:
            self.notify(
                f"This review could not be saved ({exc}); nothing changed, rate it again.",
                title="Database",
                severity="error",
                timeout=10,
            )
            return None
        entry = self.session.record(
            card.key,
            rating,
            now,
            new_state=new_state,
            correct=correct,
            duration_ms=duration_ms,
            review_id=review_id,
        )
        if entry.leech:
            lapses = new_state.lapses if new_state else 0
            self.notify(
                f"{card.key} has been forgotten {lapses} times: it is a leech. "
                "Consider rewriting it, or splitting it into smaller cards.",
                title="Leech",
                severity="warning",
                timeout=10,
            )
        return entry

    async def action_undo(self) -> None:
        if not self.session.can_undo:
            return
        last = self.session.log[-1]
        if last.review_id is not None:
            try:
                undo_review(self.db, last.review_id)
            except Exception as exc:  # UndoError or a database error: keep the session as is
                self.notify(f"Cannot undo: {exc}", severity="error")
                return
        entry = self.session.undo()
        self.notify(f"Undid {RATING_NAMES[entry.rating]} on {entry.key}", timeout=3)
        await self.show_card(self.session.card(entry.key))

    # --- the end ------------------------------------------------------------------------------

    async def action_finish(self) -> None:
        """Escape: end the session. A card already answered is saved with the suggested
        rating first (the learner saw the answer: dropping it would show it again as new)."""
        if self.phase == "question" and self._typed_answer():
            from quizapp.tui.screens.confirm import ConfirmDialog

            dialog = ConfirmDialog.yes_or_no(
                "End the session?",
                "What you typed on this card has not been checked and will not be kept.",
                yes="End session",
                no="Keep answering",
            )
            # Nothing is stored on the question side: yes ends the session as it is.
            self.app.push_screen(dialog, lambda choice: self.finish() if choice == "yes" else None)
            return
        saved = None
        if self.phase == "answered" and self.suggested is not None:
            saved = await self._store(self.suggested)
            if saved is None:
                return  # not stored (the error is shown): stay, nothing is lost
        self.finish(saved_on_leaving=saved)

    def _typed_answer(self) -> bool:
        """Whether the card's answer field holds text not yet checked."""
        for widget in self.query("#fields Input, #free-answer"):
            if isinstance(widget, TextArea) and widget.text.strip():
                return True
            if isinstance(widget, Input) and widget.value.strip():
                return True
        return False

    def finish(self, saved_on_leaving: SessionReview | None = None) -> None:
        from quizapp.tui.screens.drill.setup import interview_note
        from quizapp.tui.screens.drill.summary import DrillSummaryScreen

        note = self.interview_note
        if note is not None:  # counted again: the cards seen in this session are seen
            note = interview_note(self.app.library, self.db, self.clock())
        self.app.switch_screen(
            DrillSummaryScreen(
                self.session.summary(),
                database=self.db,
                keys=list(self.session.cards),
                title=self.scope_title,
                cram=self.session.cram,
                clock=self.clock,
                remaining=self.session.counts(self.clock()),
                interview_note=note,
                saved_on_leaving=saved_on_leaving,
            )
        )


def _index(parameters: tuple[object, ...]) -> int:
    """The number in an action's parameters, as `pick(2)` gives it."""
    value = parameters[0]
    return value if isinstance(value, int) else int(str(value))
