"""`quizapp stats [--json]`: progress figures. `stats_document` builds the one JSON document;
other features add their keys there (mock: "mocks"; the stats issue: forecast, retention...)."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, tzinfo
from typing import Any

from quizapp.commands import print_json
from quizapp.core.loader import LoadResult
from quizapp.core.scheduling import (
    card_key,
    day_start,
    end_of_tomorrow,
    interview_plan,
    study_day,
)
from quizapp.library import load_library
from quizapp.storage.db import Database, utc_now
from quizapp.storage.mocks import mocks_for_stats
from quizapp.storage.reviews import (
    deck_counts,
    due_before,
    get_interview_date,
    reviews_between,
    reviews_total,
)

COUNT_FIELDS = ("cards", "new", "learning", "review", "due", "leeches")


def stats_document(
    db: Database,
    library: LoadResult,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """Every figure of `quizapp stats --json`, as one JSON-ready dict."""
    now = now or utc_now()
    today = study_day(now, tz)
    counts = deck_counts(db, library, now, tz=tz)
    decks = [
        {"deck": deck.deck, "title": deck.title, **counts[deck.deck].to_dict()}
        for deck in library.decks
    ]
    totals = {name: sum(d[name] for d in decks) for name in COUNT_FIELDS}
    keys = {card_key(d.deck, c.id) for d in library.decks for c in d.cards}
    tomorrow = today + timedelta(days=1)
    interview = get_interview_date(db)
    document: dict[str, Any] = {
        "reviews_total": reviews_total(db),
        "reviews_today": reviews_between(db, day_start(today, tz), day_start(tomorrow, tz)),
        # what a session tomorrow would hold (new cards aside), of the cards the decks have
        "due_tomorrow": due_before(db, end_of_tomorrow(now, tz), keys),
        "interview_date": interview.isoformat() if interview else None,
        "totals": totals,
        "decks": decks,
        "mocks": mocks_for_stats(db),
    }
    if interview is not None:
        plan = interview_plan(interview, today, totals["new"])
        document["interview"] = {
            "date": interview.isoformat(),
            "days_left": plan.days_left,
            "unseen": plan.unseen,
            "new_per_day": plan.new_per_day,
        }
    return document


def run(args: argparse.Namespace) -> int:
    library = load_library()
    with Database() as db:
        document = stats_document(db, library)
    if args.json:
        print_json(document)
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(box=None, pad_edge=False)
    table.add_column("deck", no_wrap=True)
    for name in COUNT_FIELDS:
        table.add_column(name, justify="right", min_width=len(name))
    for row in document["decks"]:
        table.add_row(row["deck"], *(str(row[f]) for f in COUNT_FIELDS))
    table.add_row("[b]total[/]", *(f"[b]{document['totals'][f]}[/]" for f in COUNT_FIELDS))
    console.print(table)
    console.print(
        f"reviews: {document['reviews_total']} in all, {document['reviews_today']} today; "
        f"{document['due_tomorrow']} cards come due tomorrow"
    )
    if document["interview_date"]:
        plan = document["interview"]
        console.print(
            f"interview: {plan['date']} ({plan['days_left']} days left, "
            f"{plan['unseen']} cards never seen, pace {plan['new_per_day']} new a day)"
        )
    if library.errors:
        console.print(
            f"[yellow]{len(library.errors)} deck errors; run `quizapp validate` to see them[/]"
        )
    return 0
