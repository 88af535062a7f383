"""`quizapp stats [--json]`: progress figures, the same ones the stats screen shows.

`stats_document` builds the one JSON document (`core.stats.StatsReport.to_json`, its shape
declared by `core.stats.document.StatsDocument`); without
--json a plain table and a few lines that fit an 80-column terminal.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from quizapp.commands import make_console, print_json
from quizapp.core.loader import LoadResult
from quizapp.core.stats import (
    COUNT_FIELDS,
    TARGET_RETENTION,
    WEAK_MIN_REVIEWS,
    WEAK_WINDOW_DAYS,
    StatsReport,
    describe_figure,
    format_percent,
    plural,
)
from quizapp.grading.catalogue import exercise_titles
from quizapp.library import load_library
from quizapp.storage.db import Database
from quizapp.storage.stats import collect_stats

# Narrow headers so that the table fits 80 columns with the longest shipped deck id.
HEADERS = {
    "cards": "cards",
    "new": "new",
    "learning": "learning",
    "review": "review",
    "mastered": "mastered",
    "due": "due",
    "leeches": "leeches",
}


def stats_document(
    db: Database,
    library: LoadResult,
    now: datetime | None = None,
    tz: tzinfo | None = None,
    exercises: Sequence[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Every figure of `quizapp stats --json`, as one JSON-ready dict. `exercises`: the
    catalogue as (id, title) (default: the shipped one)."""
    if exercises is None:
        exercises = exercise_titles()
    return collect_stats(db, library, now, tz, exercises=exercises).to_json()


def summary_lines(report: StatsReport) -> list[str]:
    """The figures below the deck table, one short line each (Rich markup)."""
    cram = f" (and {report.cram_total} cram answers)" if report.cram_total else ""
    lines = [f"reviews: {report.reviews_total} in all, {report.reviews_today} today{cram}"]
    if report.outlook is not None:
        lines.append(f"due: {report.outlook.describe(report.tz)}")
    if report.is_empty:
        lines.append("No reviews yet: run `quizapp drill` (or press d in the app) to start.")
    else:
        windows = ", ".join(
            f"{w.days} days: {format_percent(w.rate)} of {plural(w.reviews, 'review')}"
            if w.reviews
            else f"{w.days} days: none"
            for w in report.retention
        )
        if not any(w.reviews for w in report.retention):
            windows = "no review card answered yet (a card counts once it leaves learning)"
        lines.append(f"true retention (target {format_percent(TARGET_RETENTION, 0)}): {windows}")
        lines.append("due, next 14 days: " + " ".join(str(n) for n in report.forecast))
        act = report.activity
        lines.append(
            f"activity: {act.days_active} of {len(act.daily)} days, streak "
            f"{plural(act.streak, 'day')} (longest {act.longest_streak})"
            + (f", {act.average:.0f} reviews a study day" if act.average else "")
        )
        for kind, spots in (("decks", report.weak_decks), ("tags", report.weak_tags)):
            if spots:
                text = ", ".join(
                    f"{s.name} {format_percent(s.accuracy, 0)} of {s.reviews}" for s in spots
                )
                lines.append(f"weakest {kind} ({WEAK_WINDOW_DAYS} days): {text}")
        if not report.weak_decks:
            lines.append(
                f"weakest decks: none yet (a deck needs {WEAK_MIN_REVIEWS} answers in "
                f"{WEAK_WINDOW_DAYS} days)"
            )
        if report.leeches:
            names = ", ".join(f"{x.deck}/{x.card} ({x.lapses})" for x in report.leeches[:5])
            more = f" and {len(report.leeches) - 5} more" if len(report.leeches) > 5 else ""
            lines.append(f"leeches: {names}{more}")
        else:
            lines.append("leeches: none")
    trend = report.mock_trend
    if trend.count:
        change = "" if trend.change is None else f", {trend.change:+.0f} points lately"
        lines.append(
            f"mocks: {trend.count} finished, last {trend.last:.0f}%, best {trend.best:.0f}%{change}"
        )
    exercises = report.exercises
    if exercises:
        passed = [e for e in exercises if e.passed]
        lines.append(f"exercises: {len(passed)} of {len(exercises)} passed")
        for e in passed:
            figures = "; ".join(describe_figure(f) for f in e.best)
            lines.append(
                f"  {e.id}: {e.best_score:g}/{e.max_score:g}" + (f", {figures}" if figures else "")
            )
    ready = report.interview
    if ready is not None:
        text = (
            f"interview: {ready.date.isoformat()} ({ready.days_left} days left, "
            f"{ready.unseen} cards never seen, pace {ready.new_per_day} new a day)"
        )
        lines.append(text)
        if ready.predicted_recall is not None:
            lines.append(
                f"  seen {format_percent(ready.seen_share, 0)} of the cards; recall on the day "
                f"with no more reviews: {format_percent(ready.predicted_recall, 0)} of those "
                f"seen, {format_percent(ready.predicted_recall_all, 0)} of all"
            )
    return lines


def run(args: argparse.Namespace) -> int:
    library = load_library()
    with Database() as db:
        report = collect_stats(db, library, exercises=exercise_titles())
    if args.json:
        print_json(report.to_json())
        return 0
    from rich.table import Table

    console = make_console()
    table = Table(box=None, pad_edge=False)
    table.add_column("deck", no_wrap=True)
    for name in COUNT_FIELDS:
        table.add_column(HEADERS[name], justify="right", min_width=len(HEADERS[name]))
    for deck in report.decks:
        table.add_row(deck.deck, *(str(n) for n in deck.counts().values()))
    totals = report.totals.counts()
    table.add_row("[b]total[/]", *(f"[b]{totals[f]}[/]" for f in COUNT_FIELDS))
    console.print(table)
    for line in summary_lines(report):
        console.print(line)
    if library.errors:
        console.print(
            f"[yellow]{len(library.errors)} deck errors; run `quizapp validate` to see them[/]"
        )
    return 0
