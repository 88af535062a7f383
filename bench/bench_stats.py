"""Stats: the queries and the stats screen on a year of history (10,000 cards, 100,000 reviews).

The history is simulated, not random rows: a learner who studies most days, reviews what FSRS
says is due (recalling a card with the probability FSRS predicts, less for hard cards, so some
become leeches), introduces new cards each day, takes a mock now and then and grades an
exercise a few times. Every review goes through `quizapp.core.scheduling.review`, so card
states, due dates and `state_before` are what the app itself would have stored.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from fsrs import Rating, State

from quizapp.core.scheduling import CardState, card_key, retrievability, review
from quizapp.storage.db import Database, to_db_time

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
                },
                {
                    "name": "accuracy drop <= 1 point",
                    "status": "pass" if passed else "skip",
                    "message": "",
                    "measured": round(0.9 - 0.05 * i, 2) if passed else None,
                    "threshold": "<= 1 point",
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


def _state_counts(states: dict[str, CardState]) -> dict[str, int]:
    counts = {"learning": 0, "review": 0, "leeches": 0}
    for s in states.values():
        counts["learning" if s.state != State.Review else "review"] += 1
        counts["leeches"] += s.is_leech
    return counts


if __name__ == "__main__":
    import time

    end = datetime(2026, 3, 2, 9, tzinfo=UTC)
    cards = [(f"bench-{i // 500}", f"card-{i}") for i in range(10_000)]
    t = time.perf_counter()
    rows, states = simulate_history(cards, end=end)
    print(len(rows), len(states), _state_counts(states), f"{time.perf_counter() - t:.1f}s")
    print(rows[0][3], rows[-1][3])
