"""The question side of a drill card: its meta line, its prompt, where the answer is given,
and the line that says how to answer."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static, TextArea

from quizapp.core.drill_queue import SessionCard
from quizapp.core.questions import Question
from quizapp.core.study_days import minutes_until
from quizapp.tui.widgets.cards import ChoiceList, MarkdownText, NumberFields, shown_prompt

KIND_LABELS = {"new": "NEW", "learning": "LEARNING", "relearning": "RELEARNING", "review": "REVIEW"}


def question_widgets(card: SessionCard, question: Question, now: datetime) -> list[Widget]:
    """The whole question side, for a card body that has none yet."""
    widgets: list[Widget] = [
        Static(meta_text(card, question, now), id="card-meta"),
        MarkdownText(shown_prompt(question), id="prompt"),
    ]
    entry = answer_input(question)
    if entry is not None:
        widgets.append(entry)
    return widgets


def meta_text(card: SessionCard, question: Question, now: datetime) -> Text:
    """NEW / LEARNING / ..., a leech mark, the deck, the card type and its tags."""
    meta = Text()
    meta.append(f" {KIND_LABELS[card.kind]} ", style=f"bold reverse {kind_color(card)}")
    if card.state is not None and card.state.is_leech:
        meta.append("  LEECH ", style="bold reverse red")
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


def kind_color(card: SessionCard) -> str:
    return {"new": "blue", "learning": "red", "relearning": "red"}.get(card.kind, "green")


def answer_input(question: Question) -> Widget | None:
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


def how_to_answer(question: Question) -> str:
    """The hint line while the question is asked."""
    return {
        "flashcard": "Recall the answer, then press space to see it.",
        "choice": (
            "Press the numbers of every right option, then enter."
            if question.multiple
            else "Press the number of your answer."
        ),
        "numeric": "Type the number, then enter.",
        "generated": "Type each value (tab moves between fields), then enter.",
        "free": "Answer as you would to an interviewer; ctrl+s shows the model answer.",
    }[question.kind]
