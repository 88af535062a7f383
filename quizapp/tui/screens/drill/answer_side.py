"""The answer side of a drill card: the verdict, the key points to tick, the model answer, the
working and the explanation; how far to scroll to show it; the line that says which rating
enter gives."""

from __future__ import annotations

from collections.abc import Sequence

from fsrs import Rating
from rich.text import Text
from textual.containers import ScrollableContainer
from textual.widget import Widget
from textual.widgets import Static

from quizapp.core.fsrs_scheduler import RATING_NAMES
from quizapp.core.questions import Question, Verdict
from quizapp.tui.widgets.cards import KeyPointList, MarkdownText, Section, key_range

AUTO_GRADED = ("choice", "numeric", "generated")


def answer_side(
    question: Question, verdict: Text | None, exercises: Sequence[tuple[str, str]] = ()
) -> list[Widget]:
    """The widgets under the question once it is answered; `verdict` for a checked answer;
    `exercises` (id, title): the coding exercises that practise this card."""
    side: list[Widget] = []
    if verdict is not None:
        side.append(Static(verdict, id="verdict"))
    if question.kind == "free":
        # First, right under the learner's answer: ticked while the answer is in mind, and
        # on screen however long the model answer below is.
        points = KeyPointList(question.key_points, id="key-points")
        letters = key_range(len(question.key_points))
        side.append(Section(f"Key points: tick those your answer covered ({letters})", points))
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
                        f"Same numbers again: quizapp sample {question.key} --seed {question.seed}",
                        style="dim italic",
                    ),
                    id="seed-line",
                ),
            )
        )
    elif question.working:
        side.append(Section("Working", MarkdownText(question.working, id="working")))
    if question.explanation:
        side.append(Section("Explanation", MarkdownText(question.explanation, id="explanation")))
    if exercises:
        side.append(Static(practice_line(exercises), id="practice"))
    if question.source:
        side.append(Static(Text(f"Source: {question.source}", style="dim italic"), id="source"))
    return side


def practice_line(exercises: Sequence[tuple[str, str]]) -> Text:
    """Where to write this card's idea as code: the exercises that list it."""
    text = Text()
    text.append("Practise it in code: ", style="bold")
    for n, (exercise_id, title) in enumerate(exercises):
        if n:
            text.append("; ")
        text.append(exercise_id, style="bold cyan")
        text.append(f" ({title})")
    text.append("   e on home opens the exercises", style="dim")
    return text


def bring_into_view(
    scroll: ScrollableContainer, side: Widget, key_points: KeyPointList | None
) -> None:
    """Scroll to the answer side only when it starts below the fold: otherwise the prompt
    stays on screen above it (the learner scrolls on with the arrow keys)."""
    if key_points is not None:
        # A free answer's key points are ticked by letter: they must be on screen whole.
        # They come first on the answer side, so with it at the top they are.
        shown = key_points.region
        if not (shown.height and scroll.region.contains_region(shown)):
            scroll.scroll_to_widget(side, animate=False, top=True)
        return
    offset = side.region.y - scroll.region.y
    if offset > scroll.region.height - 4:
        scroll.scroll_relative(y=offset, animate=False)


def verdict_text(
    verdict: Verdict,
    *,
    overridden: bool,
    suggested: Rating | None,
    hint_used: bool,
    answer_seconds: float,
) -> Text:
    """Right or wrong, why a right answer is suggested Hard, and the way to override."""
    text = Text()
    if overridden:
        text.append("✔ Marked right by you ", style="bold green")
        text.append("(logged as an override; o undoes it)", style="dim")
    elif verdict.correct:
        text.append("✔ Right", style="bold green")
        if suggested == Rating.Hard:
            why = "after a hint" if hint_used else f"but slow ({answer_seconds:.0f} s)"
            text.append(f" {why}: suggested Hard", style="yellow")
    else:
        text.append("✘ Wrong", style="bold red")
        if verdict.score > 0:
            text.append(f" (partly right: {verdict.score:.0%})", style="yellow")
        text.append("   press o if you were right after all", style="dim")
    return text


def how_to_rate(
    suggested: Rating | None, key_points: tuple[int, int] | None, *, can_undo: bool
) -> str:
    """The hint line once answered; `key_points` (covered, total) for a free answer."""
    name = RATING_NAMES[suggested] if suggested else "a rating"
    if key_points is not None:
        covered, total = key_points
        return (
            f"Tick the key points you covered ({key_range(total)}): {covered} of {total} "
            f"→ {name}. Enter accepts, 1-4 choose."
        )
    line = f"Enter accepts {name}; 1-4 choose another rating."
    if can_undo:
        line += " ctrl+b undoes the last review."
    return line
