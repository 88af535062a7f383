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
from textual.containers import Horizontal, Vertical, VerticalScroll
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
from quizapp.core.time_format import format_interval
from quizapp.storage.db import Database
from quizapp.storage.reviews import undo_review
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.screens.drill.answer_side import (
    AUTO_GRADED,
    answer_side,
    bring_into_view,
    how_to_rate,
    verdict_text,
)
from quizapp.tui.screens.drill.commands import DrillCommands
from quizapp.tui.screens.drill.hints import first_step, hint_available, wrong_options
from quizapp.tui.screens.drill.keys import DRILL_BINDINGS, action_applies
from quizapp.tui.screens.drill.progress import progress_text
from quizapp.tui.screens.drill.question_side import (
    answer_input,
    how_to_answer,
    meta_text,
    question_widgets,
)
from quizapp.tui.screens.drill.recording import store_review
from quizapp.tui.widgets.cards import (
    CardTimer,
    ChoiceList,
    KeyPointList,
    MarkdownText,
    NumberFields,
    RatingBar,
    shown_prompt,
)
from quizapp.tui.widgets.footer import QuickFooter


class DrillScreen(QuizScreen[None]):
    """A drill (or cram) session over the cards of `session`."""

    CSS_PATH = "session.tcss"
    COMMANDS = {DrillCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (72, "-wide")]
    BINDINGS = DRILL_BINDINGS

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
        # Read once the first card is drawn, before it is answered: the answer side names
        # the exercises that practise a card.
        self.call_after_refresh(lambda: self.app.catalogue)

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
            await body.mount_all(question_widgets(card, question, self.clock()))
            return
        await body.remove_children([w for w in body.children if w not in (meta, prompt)])
        meta.update(meta_text(card, question, self.clock()))
        prompt.update(shown_prompt(question))
        entry = answer_input(question)
        if entry is not None:
            await body.mount(entry)

    def _set_hint_line(self, text: str | None = None) -> None:
        line = self.query_one("#drill-hint-line", Static)
        if text is None and self.question is not None and self.phase == "question":
            text = how_to_answer(self.question)
        line.update(text or "")

    def _update_progress(self) -> None:
        counts = self.session.counts(self.clock())
        done = len(self.session.log)
        text = progress_text(counts, done, cram=self.session.cram, narrow=self.has_class("-narrow"))
        self.query_one("#drill-progress-text", Static).update(text)
        bar = self.query_one("#drill-progress", ProgressBar)
        bar.update(total=max(1, done + counts.total), progress=done)

    # --- answering --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action_applies(
            action,
            parameters,
            phase=self.phase,
            question=self.question,
            checked=self.verdict is not None,
            can_undo=self.session.can_undo,
        )

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
        elif question.kind == "free":
            self.suggested = free_rating(0, len(question.key_points))
            self.query_one("#free-answer", TextArea).read_only = True
        verdict = self._verdict_text() if question.kind in AUTO_GRADED else None
        linked = self.app.catalogue.by_card.get(question.key, [])
        side = answer_side(question, verdict, [(e.id, e.title) for e in linked])
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
            shown = Vertical(*side, id="answer-side")
            await self.query_one("#card-body", Vertical).mount(shown)
            self._show_ratings()
            self.call_after_refresh(self._bring_into_view, shown)
            self.query_one("#drill-scroll", VerticalScroll).focus()
            self.refresh_bindings()

    def _bring_into_view(self, side: Vertical) -> None:
        scroll = self.query_one("#drill-scroll", VerticalScroll)
        bring_into_view(scroll, side, next(self.query("#key-points").results(KeyPointList), None))

    def _verdict_text(self) -> Text:
        assert self.verdict is not None
        return verdict_text(
            self.verdict,
            overridden=self.overridden,
            suggested=self.suggested,
            hint_used=self.hint_used,
            answer_seconds=self.answer_seconds,
        )

    def _show_ratings(self) -> None:
        bar = self.query_one("#ratings", RatingBar)
        bar.display = True
        bar.show(self.intervals, self.suggested)
        key_points = None
        if self.question is not None and self.question.kind == "free":
            covered = self.query_one("#key-points", KeyPointList).covered
            key_points = (covered, len(self.question.key_points))
        self._set_hint_line(how_to_rate(self.suggested, key_points, can_undo=self.session.can_undo))

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
        if self.question is None:
            return False
        choices = next(self.query("#choices").results(ChoiceList), None)
        return hint_available(self.question, choices.struck if choices is not None else None)

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
            struck = self.rng.choice(sorted(wrong_options(self.question) - choices.struck))
            choices.struck = choices.struck | {struck}
            choices.selected = choices.selected - {struck}
            self._set_hint_line(f"Hint: option {struck + 1} is not right.")
        else:
            self._set_hint_line(f"Hint: {first_step(self.question)}")
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
            entry, new_state = store_review(
                self.db,
                self.session,
                card,
                rating,
                now=now,
                duration_ms=duration_ms,
                correct=correct,
                answer=answer,
                override=self.overridden,
                hint_used=self.hint_used,
            )
        except sqlite3.Error as exc:
            self.notify(
                f"This review could not be saved ({exc}); nothing changed, rate it again.",
                title="Database",
                severity="error",
                timeout=10,
            )
            return None
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
