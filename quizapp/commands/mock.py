"""`quizapp mock [--minutes M] [--questions N] [--deck ID...] [--tag T...] [--per-question S]
[--seed S]`: the app, straight into a timed mock. `quizapp mock --report ID [--markdown]`: a
finished mock's report (printed, or written as a Markdown file whose path is printed)."""

from __future__ import annotations

import argparse

from quizapp.commands import fail
from quizapp.core.mock import (
    DEFAULT_MINUTES,
    DEFAULT_QUESTIONS,
    MockSetup,
    MockSetupError,
    candidate_cards,
    report_markdown,
)
from quizapp.library import load_library


def run(args: argparse.Namespace) -> int:
    if args.markdown and args.report is None:
        return fail("--markdown goes with --report ID (e.g. quizapp mock --report 3 --markdown)")
    if args.report is not None:
        return show_report(args.report, args.markdown)
    library = load_library()
    try:
        setup = MockSetup(
            minutes=args.minutes if args.minutes is not None else DEFAULT_MINUTES,
            questions=args.questions if args.questions is not None else DEFAULT_QUESTIONS,
            decks=tuple(args.deck or ()),
            tags=tuple(args.tag or ()),
            per_question_s=args.per_question,
            seed=args.seed,
        )
        candidate_cards(library.decks, setup)
    except MockSetupError as exc:
        note = (
            f" ({len(library.errors)} deck errors: run `quizapp validate`)"
            if library.errors
            else ""
        )
        return fail(f"mock: {exc}{note}")
    from quizapp.tui.app import QuizApp, StartRequest

    QuizApp(start=StartRequest("mock", {"setup": setup, "autostart": True})).run()
    return 0


def show_report(mock_id: str, markdown: bool) -> int:
    from quizapp.storage.db import Database
    from quizapp.storage.mocks import MockNotFound, load_report, write_markdown_report

    library = load_library()
    titles = {deck.deck: deck.title for deck in library.decks}
    with Database() as db:
        try:
            report = load_report(db, mock_id, titles)
        except MockNotFound as exc:
            return fail(str(exc))
        except ValueError as exc:
            return fail(str(exc))
    if markdown:
        print(write_markdown_report(report))
        return 0
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(report_markdown(report)))
    return 0
