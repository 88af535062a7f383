"""`quizapp interview [--concepts N] [--concept-minutes M] [--coding ID|random]
[--coding-minutes C] [--seed S]`: the app, straight into a full interview loop (a concept
round, then a timed coding round). `quizapp interview --resume [ID]`: back into an unfinished
one. `quizapp interview --report ID [--markdown]`: a finished loop's report.

Not the interview *date* (`quizapp config interview-date`), which paces the drills.
An unfinished loop is never left behind silently: `--resume` or `--new`.
"""

from __future__ import annotations

import argparse
import sys

from quizapp.commands import fail, given_options, make_console
from quizapp.core.interview_loop import LoopPlan, LoopSetupError
from quizapp.core.interview_loop.plan import RANDOM
from quizapp.core.mock.draw import MockSetup, MockSetupError, candidate_cards
from quizapp.library import load_library

PLAN_OPTIONS = ("concepts", "concept_minutes", "coding", "coding_minutes", "seed")


def run(args: argparse.Namespace) -> int:
    if args.markdown and args.report is None:
        return fail(
            "--markdown goes with --report ID (e.g. quizapp interview --report 3 --markdown)"
        )
    if args.report is not None:
        extra = given_options(args, (*PLAN_OPTIONS, "resume", "new"))
        if extra:
            return fail(f"--report shows a finished loop; it does not combine with {extra[0]}")
        return show_report(args.report, args.markdown)
    if args.resume is not None:
        extra = given_options(args, (*PLAN_OPTIONS, "new"))
        if extra:
            return fail(
                f"--resume continues a loop as it was set up; it does not combine with {extra[0]}"
            )
        return resume(args.resume)
    try:
        plan = _plan(args)
    except (LoopSetupError, MockSetupError) as exc:
        return fail(f"interview: {exc}")
    if not args.new:
        waiting = _unfinished()
        if waiting:
            loop_id, phase = waiting[0]
            return fail(
                f"Interview loop {loop_id} is unfinished ({phase}). Resume it with `quizapp "
                "interview --resume`, or start a new one anyway with `quizapp interview --new` "
                f"(loop {loop_id} then stays, to resume later)."
            )
    from quizapp.tui.app import QuizApp
    from quizapp.tui.start import StartLoop

    QuizApp(start=StartLoop(plan=plan, autostart=True)).run()
    return 0


def _plan(args: argparse.Namespace) -> LoopPlan:
    """The plan asked for, checked against the decks and exercises before the app opens."""
    from quizapp.grading.catalogue import load_catalogue

    defaults = LoopPlan()
    plan = LoopPlan(
        concepts=args.concepts or defaults.concepts,
        concept_minutes=args.concept_minutes or defaults.concept_minutes,
        coding=args.coding or RANDOM,
        coding_minutes=args.coding_minutes or defaults.coding_minutes,
        seed=args.seed,
    )
    catalogue = load_catalogue()
    if plan.coding != RANDOM and plan.coding not in catalogue.ids:
        known = ", ".join(sorted(catalogue.ids))
        raise LoopSetupError(f"--coding: no exercise {plan.coding!r} (known: {known}, or random)")
    library = load_library()
    note = f" ({len(library.errors)} deck errors: run `quizapp validate`)" if library.errors else ""
    try:
        candidate_cards(library.decks, MockSetup(questions=plan.concepts))
    except MockSetupError as exc:
        raise MockSetupError(f"--concepts: {exc}{note}") from None
    return plan


def _unfinished() -> list[tuple[str, str]]:
    """(id, phase) of each unfinished loop, the latest first."""
    from quizapp.storage.db import Database
    from quizapp.storage.interview_loops import unfinished_loops

    with Database() as db:
        return [(stored.id, stored.status) for stored in unfinished_loops(db)]


def resume(loop_id: str) -> int:
    """Open the app on an unfinished loop: `loop_id`, or the latest when it is ""."""
    waiting = _unfinished()
    if not waiting:
        return fail("no unfinished interview loop to resume; start one with `quizapp interview`")
    ids = [i for i, _ in waiting]
    if loop_id and loop_id not in ids:
        return fail(
            f"no unfinished interview loop {loop_id!r} (unfinished: {', '.join(ids)}; a "
            f"finished one's report: `quizapp interview --report {loop_id}`)"
        )
    from quizapp.tui.app import QuizApp
    from quizapp.tui.start import StartLoop

    QuizApp(start=StartLoop(resume=loop_id or ids[0])).run()
    return 0


def show_report(loop_id: str, markdown: bool) -> int:
    from quizapp.core.interview_loop.report import loop_report_markdown
    from quizapp.grading.catalogue import UnknownExercise, load_catalogue
    from quizapp.storage.db import Database
    from quizapp.storage.interview_loops import (
        LoopNotFound,
        load_loop,
        load_loop_report,
        write_loop_markdown,
    )

    library = load_library()
    titles = {deck.deck: deck.title for deck in library.decks}
    with Database() as db:
        try:
            exercise_id = load_loop(db, loop_id).loop.coding.exercise_id
            try:
                title = load_catalogue().get(exercise_id).title
            except UnknownExercise:
                title = exercise_id  # an exercise since removed: its id still names it
            report = load_loop_report(db, loop_id, title, titles)
        except (LoopNotFound, ValueError) as exc:
            return fail(str(exc))
    if markdown:
        print(write_loop_markdown(report))
        return 0
    text = loop_report_markdown(report)
    if not sys.stdout.isatty():  # piped or redirected: the Markdown itself, lines whole
        sys.stdout.write(text)
        return 0
    from rich.markdown import Markdown

    make_console().print(Markdown(text))
    return 0
