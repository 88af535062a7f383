"""Stats: the queries and the stats screen on a year of history (10,000 cards, 100,000 reviews).

The history is simulated, not random rows: a learner who studies most days, reviews what FSRS
says is due (recalling a card with the probability FSRS predicts, less for hard cards, so some
become leeches), introduces new cards each day, takes a mock now and then and grades an
exercise a few times. Every review goes through `quizapp.core.fsrs_scheduler.review`, so card
states, due dates and `state_before` are what the app itself would have stored.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fsrs import Rating

from bench.common import Figure, fresh_home, median_time
from quizapp.core.drill_queue import DrillSession
from quizapp.core.fsrs_scheduler import CardState, card_key, retrievability, review
from quizapp.core.loader import LoadResult
from quizapp.core.stats import CALENDAR_DAYS, build_report, days_ending, format_percent
from quizapp.core.study_days import study_day
from quizapp.storage.db import Database, to_db_time
from quizapp.storage.mocks import mocks_for_stats
from quizapp.storage.reviews import load_states

SECONDS_PER_ANSWER = 9


def simulate_history(
    cards: Sequence[tuple[str, str]],
    *,
    end: datetime,
    days: int = 365,
    reviews: int = 100_000,
    new_per_day: int = 30,
    seed: int = 1,
) -> tuple[list[tuple], dict[str, CardState]]:
    """The review rows and final card states of a learner who studied `days` days up to `end`.

    Stops at `reviews` reviews (the last day may be cut short). Rows are tuples in the column
    order of `insert_history`.
    """
    rng = random.Random(seed)
    hardness = {card_key(d, c): rng.betavariate(1.1, 14) for d, c in cards}
    unseen = list(cards)
    states: dict[str, CardState] = {}
    rows: list[tuple] = []
    start_day = end - timedelta(days=days)
    for day in range(days):
        if len(rows) >= reviews:
            break
        if rng.random() < 0.12:  # a day off
            continue
        session = start_day + timedelta(days=day, hours=18, minutes=rng.randrange(0, 180))
        day_end = start_day + timedelta(days=day + 1, hours=4)
        queue: list[tuple[datetime, int, str, str]] = []
        order = 0
        for state in states.values():
            if state.due < day_end:
                queue.append(
                    (
                        max(state.due, session) if state.learning else session,
                        order,
                        state.deck,
                        state.card,
                    )
                )
                order += 1
        for deck, card in unseen[:new_per_day]:
            queue.append((session, order, deck, card))
            order += 1
        del unseen[:new_per_day]
        heapq.heapify(queue)
        clock = session
        while queue and len(rows) < reviews:
            due, _, deck, card = heapq.heappop(queue)
            clock = max(clock, due) + timedelta(seconds=rng.uniform(3, 2 * SECONDS_PER_ANSWER))
            if clock >= day_end:
                break
            key = card_key(deck, card)
            before = states.get(key)
            if before is None:
                recall = 0.6 - 0.5 * hardness[key]
            else:
                recall = retrievability(before, clock) ** (1 + 5 * hardness[key])
            if rng.random() < recall:
                rating = rng.choices((Rating.Hard, Rating.Good, Rating.Easy), (15, 75, 10))[0]
            else:
                rating = Rating.Again
            cram = before is not None and rng.random() < 0.01
            duration = int(rng.uniform(2, 25) * 1000)
            if cram:
                state_before = None
            else:
                state_before = json.dumps(_state_dict(before) if before else None)
                after = review(before, deck, card, rating, clock)
                states[key] = after
                if after.learning and after.due < day_end:
                    order += 1
                    heapq.heappush(queue, (after.due, order, deck, card))
            rows.append(
                (
                    deck,
                    card,
                    int(rating),
                    to_db_time(clock),
                    duration,
                    "cram" if cram else "drill",
                    None,
                    state_before,
                )
            )
    return rows, states


def _state_dict(state: CardState) -> dict:
    """`CardState.to_dict()` without dataclasses.asdict's deep copies (10x faster)."""
    return {
        "deck": state.deck,
        "card": state.card,
        "state": int(state.state),
        "step": state.step,
        "stability": state.stability,
        "difficulty": state.difficulty,
        "due": state.due.isoformat(),
        "last_review": state.last_review.isoformat() if state.last_review else None,
        "reps": state.reps,
        "lapses": state.lapses,
    }


def insert_history(db: Database, rows: list[tuple], states: dict[str, CardState]) -> None:
    with db.transaction() as conn:
        conn.executemany(
            "INSERT INTO reviews (deck, card, rating, reviewed_at, duration_ms, mode, correct, "
            "state_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO card_state (deck, card, state, step, stability, difficulty, due, "
            "last_review, reps, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    s.deck,
                    s.card,
                    int(s.state),
                    s.step,
                    s.stability,
                    s.difficulty,
                    to_db_time(s.due),
                    to_db_time(s.last_review) if s.last_review else None,
                    s.reps,
                    s.lapses,
                )
                for s in states.values()
            ],
        )


def insert_mocks_and_results(
    db: Database, *, end: datetime, mocks: int = 30, seed: int = 2
) -> None:
    """Finished mocks every ~12 days with a rising score, and a few exercise results."""
    rng = random.Random(seed)
    with db.transaction() as conn:
        for i in range(mocks):
            started = end - timedelta(days=12 * (mocks - i), hours=-20)
            score = min(10.0, max(0.0, round(4 + 5 * i / mocks + rng.uniform(-1.5, 1.5))))
            conn.execute(
                "INSERT INTO mocks (id, started_at, finished_at, status, config, time_limit_s, "
                "elapsed_s, score, max_score) VALUES (?, ?, ?, 'finished', '{}', 900, ?, ?, 10)",
                (
                    str(i + 1),
                    to_db_time(started),
                    to_db_time(started + timedelta(minutes=14)),
                    rng.uniform(500, 900),
                    score,
                ),
            )
            conn.executemany(
                "INSERT INTO mock_questions (mock_id, position, deck, card, question, verdict, "
                "score) VALUES (?, ?, 'bench-0', ?, '{}', ?, ?)",
                [(str(i + 1), q, f"card-{q}", "right", 1.0) for q in range(10)],
            )
        for i in range(12):
            passed = i >= 4
            checks = [
                {
                    "name": "size <= 0.30 of FP32",
                    "status": "pass" if passed else "fail",
                    "message": "",
                    "measured": round(0.27 - 0.001 * i, 4),
                    "threshold": "<= 0.30",
                    "direction": "lower",
                },
                {
                    "name": "accuracy drop <= 1 point",
                    "status": "pass" if passed else "skip",
                    "message": "",
                    "measured": round(0.9 - 0.05 * i, 2) if passed else None,
                    "threshold": "<= 1 point",
                    "direction": "lower",
                },
            ]
            result = {
                "exercise": "ptq-resnet18",
                "status": "pass" if passed else "fail",
                "score": 10 if passed else 4,
                "max_score": 10,
                "duration_s": 9.5,
                "message": "",
                "checks": checks,
                "env": {"torch": "2.14.1", "engine": "x86", "threads": 1},
            }
            conn.execute(
                "INSERT INTO exercise_results (exercise, finished_at, status, score, max_score, "
                "duration_s, result) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    "ptq-resnet18",
                    to_db_time(end - timedelta(days=40 - 3 * i)),
                    result["status"],
                    result["score"],
                    10,
                    9.5,
                    json.dumps(result),
                ),
            )


# --- the benchmark ----------------------------------------------------------------------------

CARDS = 10_000
REVIEWS = 100_000
EXERCISES = [("ptq-resnet18", "Post-training quantization of a ResNet-18")]


def _seed_database(library: LoadResult) -> datetime:
    """A year of history in the current QUIZAPP_HOME's database; returns the moment "now"
    (two hours after the last review, so today has reviews)."""
    cards = [(d.deck, c.id) for d in library.decks for c in d.cards]
    end = datetime(2026, 3, 2, 9, tzinfo=UTC)
    rows, states = simulate_history(cards, end=end, reviews=REVIEWS, new_per_day=20)
    now = datetime.fromisoformat(rows[-1][3]) + timedelta(hours=2)
    with Database() as db:
        insert_history(db, rows, states)
        insert_mocks_and_results(db, end=now)
    return now


async def _screen_times(library: LoadResult, now: datetime, runs: int) -> tuple[float, float]:
    """Median seconds from pushing the stats screen to its first paint (the loading line),
    and to the figures painted (worker done, widgets mounted and filled), in a running app
    (headless, 120x40)."""
    from quizapp.tui.app import QuizApp
    from quizapp.tui.screens.stats import screen as stats_screen_module
    from quizapp.tui.screens.stats.screen import StatsScreen

    class TimedStatsScreen(StatsScreen):
        CSS_PATH = str(Path(stats_screen_module.__file__).with_name("stats.tcss"))
        painted_at = 0.0

        def on_mount(self) -> None:  # runs after StatsScreen.on_mount (Textual walks the MRO)
            self.call_after_refresh(self._painted)

        def _painted(self) -> None:
            self.painted_at = self.painted_at or time.perf_counter()

    app = QuizApp(library=library)
    first, full = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for i in range(runs + 1):  # the first run imports the screen's modules: warm-up
            start = time.perf_counter()
            screen = TimedStatsScreen(now=lambda: now, exercises=EXERCISES)
            await app.push_screen(screen)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert screen.report is not None and screen.painted_at
            done = time.perf_counter()
            if i:
                first.append(screen.painted_at - start)
                full.append(done - start)
            app.pop_screen()
            await pilot.pause()
        await pilot.press("ctrl+q")
    return statistics.median(first), statistics.median(full)


def _drill_start(db: Database, cards: list, now: datetime) -> DrillSession:
    """What the drill set-up does when a session starts: load the states, build the queue,
    pick the first card."""
    states = load_states(db)
    session = DrillSession.build(cards, states, now, new_limit=20)
    session.next_card(now)
    return session


def _answer_times(session: DrillSession, now: datetime, answers: int = 200) -> float:
    """Median seconds to record an answer (Good, with its new FSRS state) and pick the next
    card, over a session's first `answers` cards."""
    samples = []
    moment = now
    for _ in range(answers):
        card = session.next_card(moment)
        if card is None:
            break
        start = time.perf_counter()
        state = review(card.state, card.deck, card.card.id, Rating.Good, moment)
        session.record(card.key, Rating.Good, moment, new_state=state)
        session.next_card(moment)
        samples.append(time.perf_counter() - start)
        moment += timedelta(seconds=8)
    return statistics.median(samples)


def run() -> list[Figure]:
    from bench.decks_gen import write_decks
    from quizapp.core.due_cards import select_cards
    from quizapp.core.loader import load_decks
    from quizapp.storage import stats as queries
    from quizapp.storage.stats import collect_stats

    folder = Path(tempfile.mkdtemp(prefix="stats-decks-"))
    write_decks(folder, CARDS)
    library = load_decks([folder])
    assert sum(len(d.cards) for d in library.decks) == CARDS

    empty_home = fresh_home()
    empty_db = Database()
    full_home = fresh_home()
    seed_start = time.perf_counter()
    now = _seed_database(library)
    seed_s = time.perf_counter() - seed_start
    full_db = Database()
    tz = UTC
    today = study_day(now, tz)
    calendar = days_ending(today, CALENDAR_DAYS)

    steps: list[tuple[str, Callable[[Database], object]]] = [
        ("card states (10,000 rows)", queries.load_card_states),
        ("reviews per day, 365 days", lambda db: queries.daily_review_counts(db, calendar, tz)),
        (
            "true retention per day, 90 days",
            lambda db: queries.daily_true_retention(db, calendar[-90:], tz),
        ),
        (
            "answers per card, 30 days (weakest)",
            lambda db: queries.recent_answers(db, now - timedelta(days=30)),
        ),
        (
            "mocks and exercise results",
            lambda db: (mocks_for_stats(db), queries.exercise_attempts(db)),
        ),
        (
            "all figures (queries + computing)",
            lambda db: collect_stats(db, library, now, tz, exercises=EXERCISES),
        ),
    ]
    figures = []
    for name, step in steps:
        ours = median_time(lambda step=step: step(full_db), runs=7, warmup=2)
        empty = median_time(lambda step=step: step(empty_db), runs=7, warmup=2)
        figures.append(
            Figure(
                "stats",
                name,
                ours,
                "s",
                baseline=empty,
                baseline_name="same, empty database",
                goal="all < 0.5 s" if name.startswith("all") else "",
            )
        )
    # CPU time too: on a shared machine the wall-clock figures carry the other processes' load.
    cpu_samples = []
    for _ in range(7):
        start = time.process_time()
        collect_stats(full_db, library, now, tz, exercises=EXERCISES)
        cpu_samples.append(time.process_time() - start)
    figures.append(
        Figure(
            "stats",
            "all figures, CPU time of this process",
            statistics.median(cpu_samples),
            "s",
            note="SQLite runs in this process: queries included",
        )
    )
    inputs = queries.gather(full_db, library, now, tz, exercises=EXERCISES)
    report = build_report(inputs)
    computing = median_time(lambda: build_report(inputs), runs=7, warmup=1)
    figures.append(Figure("stats", "computing the figures from the query results", computing, "s"))

    os.environ["QUIZAPP_HOME"] = str(full_home)
    first, full = asyncio.run(_screen_times(library, now, runs=5))
    os.environ["QUIZAPP_HOME"] = str(empty_home)
    first_empty, full_empty = asyncio.run(_screen_times(library, now, runs=5))
    figures += [
        Figure(
            "stats",
            "stats screen: push to first paint (loading line)",
            first,
            "s",
            baseline=first_empty,
            baseline_name="same, empty database",
        ),
        Figure(
            "stats",
            "stats screen: push to figures painted",
            full,
            "s",
            baseline=full_empty,
            baseline_name="same, empty database",
            goal="well under 1 s",
        ),
    ]

    cards = select_cards(library.decks)
    start_full = median_time(lambda: _drill_start(full_db, cards, now), runs=5)
    answer_full = _answer_times(_drill_start(full_db, cards, now), now)
    start_empty = median_time(lambda: _drill_start(empty_db, cards, now), runs=5)
    answer_empty = _answer_times(_drill_start(empty_db, cards, now), now)
    full_db.close()
    empty_db.close()
    for folder_to_remove in (folder, empty_home, full_home):
        shutil.rmtree(folder_to_remove, ignore_errors=True)
    figures += [
        Figure(
            "stats",
            "drill start: load states + build queue + first card",
            start_full,
            "s",
            baseline=start_empty,
            baseline_name="same 10,000 cards, no history",
        ),
        Figure(
            "stats",
            "drill: next card after an answer (FSRS + queue)",
            answer_full,
            "s",
            baseline=answer_empty,
            baseline_name="same 10,000 cards, no history",
        ),
    ]
    counts = report.totals
    note = (
        f"seeded in {seed_s:.0f} s: {report.reviews_total:,} reviews over "
        f"{report.activity.days_active} days, {counts.cards - counts.new:,} cards seen, "
        f"{counts.mastered:,} mastered, {counts.leeches} leeches, retention 30 d "
        f"{format_percent(report.main_retention.rate)}"
    )
    figures[0].note = note
    return figures


if __name__ == "__main__":
    for figure in run():
        ratio = f"  ({figure.ratio:.2f}x {figure.baseline_name})" if figure.ratio else ""
        print(f"{figure.name}: {figure.value * 1000:.1f} ms{ratio}  {figure.note}")
