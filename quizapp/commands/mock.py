"""`quizapp mock [--minutes M] [--questions N] [--deck ID...] [--tag T...] [--per-question S]
[--seed S]`: the app, straight into a timed mock. `quizapp mock --resume [ID]`: straight back
into an unfinished one. `quizapp mock --report ID [--markdown]`: a finished mock's report
(printed, or written as a Markdown file whose path is printed).

An unfinished mock is never left behind silently: while one exists, `quizapp mock` says so
and names `--resume` and `--new` (start another anyway; the unfinished one stays).
"""

from __future__ import annotations

import argparse
import sys

from quizapp.commands import fail, given_options, make_console
from quizapp.core.mock.draw import (
    DEFAULT_MINUTES,
    DEFAULT_QUESTIONS,
    MockSetup,
    MockSetupError,
    candidate_cards,
)
from quizapp.core.mock.report import report_markdown
from quizapp.core.mock.run import unfinished_summary
from quizapp.library import load_library

SETUP_OPTIONS = ("minutes", "questions", "deck", "tag", "per_question", "seed")


def run(args: argparse.Namespace) -> int:
    if args.markdown and args.report is None:
        return fail("--markdown goes with --report ID (e.g. quizapp mock --report 3 --markdown)")
    if args.report is not None:
        extra = given_options(args, (*SETUP_OPTIONS, "resume", "new"))
        if extra:
            return fail(f"--report shows a finished mock; it does not combine with {extra[0]}")
        return show_report(args.report, args.markdown)
    if args.resume is not None:
        extra = given_options(args, (*SETUP_OPTIONS, "new"))
        if extra:
            return fail(
                f"--resume continues a mock as it was set up; it does not combine with {extra[0]}"
            )
        return resume(args.resume)
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
    if not args.new:
        waiting = _unfinished()
        if waiting:
            mock_id, summary = waiting[0]
            return fail(
                f"{summary} Resume it with `quizapp mock --resume`, or start a new one anyway "
                f"with `quizapp mock --new` (mock {mock_id} then stays unfinished, to resume or "
                "discard from the mock screen)."
            )
    from quizapp.tui.app import QuizApp
    from quizapp.tui.start import StartMock

    QuizApp(start=StartMock(setup=setup, autostart=True)).run()
    return 0


def _unfinished() -> list[tuple[str, str]]:
    """(id, where it stands) of each unfinished mock, the latest first."""
    from quizapp.storage.db import Database
    from quizapp.storage.mocks import unfinished_mocks

    with Database() as db:
        return [(str(m.id), unfinished_summary(str(m.id), m.run)) for m in unfinished_mocks(db)]


def resume(mock_id: str) -> int:
    """Open the app on an unfinished mock: `mock_id`, or the latest when it is ""."""
    from quizapp.storage.db import Database
    from quizapp.storage.mocks import MockNotFound, load_mock

    waiting = _unfinished()
    if not waiting:
        return fail("no unfinished mock to resume; start one with `quizapp mock`")
    ids = [m for m, _ in waiting]
    if mock_id and mock_id not in ids:
        with Database() as db:
            try:
                status = load_mock(db, mock_id).status
            except MockNotFound:
                status = None
        if status == "finished":
            return fail(
                f"mock {mock_id} is finished; its report: `quizapp mock --report {mock_id}`"
            )
        return fail(f"no unfinished mock {mock_id!r} (unfinished: {', '.join(ids)})")
    from quizapp.tui.app import QuizApp
    from quizapp.tui.start import StartMock

    QuizApp(start=StartMock(resume=mock_id or ids[0])).run()
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
    text = report_markdown(report)
    if not sys.stdout.isatty():  # piped or redirected: the Markdown itself, lines whole
        sys.stdout.write(text)
        return 0
    from rich.markdown import Markdown

    make_console().print(Markdown(text))
    return 0
