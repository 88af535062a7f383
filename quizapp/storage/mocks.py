"""Mocks in SQLite: created with their questions, saved on every change, resumed, reported.

Tables (storage/db.py): `mocks` holds one row per mock (status running | grading | finished |
abandoned; `config` is JSON `{"setup": ..., "current": i, "ended_by": ..., "interruptions": n}`);
`mock_questions` one row per question (`question`: the instantiated Question as JSON, so a
generated question keeps its numbers; `answer`: JSON `{"response": ..., "judgment": ...}`;
`verdict`/`score` once graded).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

from quizapp.core.mock.draw import MissStat, MockSetup
from quizapp.core.mock.report import MockReport, build_report, report_markdown
from quizapp.core.mock.run import Clock, MockRun
from quizapp.core.mock.run import Status as MockStatus
from quizapp.core.questions import Question
from quizapp.storage.db import Database, from_db_time, to_db_time, utc_now
from quizapp.storage.reports import write_report_file


class MockNotFound(KeyError):
    def __str__(self) -> str:
        return f"no mock {self.args[0]!r} (see the history in the mock screen)"


@dataclass
class StoredMock:
    id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    setup: MockSetup
    run: MockRun

    @property
    def remaining_s(self) -> float:
        return self.run.remaining


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _config(setup: MockSetup, run: MockRun) -> str:
    return _dumps(
        {
            "setup": setup.to_dict(),
            "current": run.current,
            "ended_by": run.ended_by,
            "interruptions": run.interruptions,
        }
    )


def _answer_json(run: MockRun, position: int) -> str | None:
    response, judgment = run.responses[position], run.judgments[position]
    if response is None and judgment is None:
        return None
    return _dumps({"response": response, "judgment": judgment})


def create_mock(
    db: Database, setup: MockSetup, run: MockRun, started_at: datetime | None = None
) -> str:
    """Store a new mock with all its questions (one transaction); its id is the next number."""
    started_at = started_at or utc_now()
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT COALESCE(MAX(CAST(id AS INTEGER)), 0) + 1 FROM mocks WHERE id GLOB '[0-9]*'"
        ).fetchone()
        mock_id = str(row[0])
        conn.execute(
            "INSERT INTO mocks (id, started_at, status, config, time_limit_s, per_question_s, "
            "elapsed_s, max_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                mock_id,
                to_db_time(started_at),
                run.status,
                _config(setup, run),
                run.time_limit_s,
                run.per_question_s,
                run.elapsed,
                run.max_score,
            ),
        )
        conn.executemany(
            "INSERT INTO mock_questions (mock_id, position, deck, card, seed, question, answer, "
            "time_spent_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    mock_id,
                    i,
                    q.deck,
                    q.card,
                    q.seed,
                    _dumps(q.to_dict()),
                    _answer_json(run, i),
                    run.time_spent[i],
                )
                for i, q in enumerate(run.questions)
            ],
        )
    return mock_id


def save_run(
    db: Database,
    mock_id: str,
    setup: MockSetup,
    run: MockRun,
    positions: Iterable[int] | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Save the run's state: the mock row and the given questions (default: all of them).

    Time moves on every question's clock only while it is shown, so a save after an answer
    or a move only needs the questions involved; the periodic save passes the current one.
    """
    indices = range(len(run.questions)) if positions is None else sorted(set(positions))
    finished = run.status == "finished"
    with db.transaction() as conn:
        conn.execute(
            "UPDATE mocks SET status = ?, config = ?, elapsed_s = ?, score = ?, max_score = ?, "
            "finished_at = COALESCE(?, finished_at) WHERE id = ?",
            (
                run.status,
                _config(setup, run),
                run.elapsed,
                run.score if finished else None,
                run.max_score,
                to_db_time(finished_at) if finished_at else None,
                mock_id,
            ),
        )
        rows = []
        for i in indices:
            verdict, score = run.result(i) if finished else (None, None)
            rows.append((_answer_json(run, i), run.time_spent[i], verdict, score, mock_id, i))
        conn.executemany(
            "UPDATE mock_questions SET answer = ?, time_spent_s = ?, verdict = ?, score = ? "
            "WHERE mock_id = ? AND position = ?",
            rows,
        )


def load_mock(db: Database, mock_id: str, clock: Clock = time.monotonic) -> StoredMock:
    rows = db.query("SELECT * FROM mocks WHERE id = ?", (str(mock_id),))
    if not rows:
        raise MockNotFound(str(mock_id))
    return _stored(db, rows[0], clock)


def _stored(db: Database, row: Any, clock: Clock) -> StoredMock:
    config = json.loads(row["config"])
    questions = db.query(
        "SELECT * FROM mock_questions WHERE mock_id = ? ORDER BY position", (row["id"],)
    )
    answers = [json.loads(q["answer"]) if q["answer"] else {} for q in questions]
    # An abandoned mock is rebuilt as it was left (it is never resumed, only read).
    status: MockStatus = row["status"] if row["status"] in get_args(MockStatus) else "running"
    run = MockRun(
        [Question.from_dict(json.loads(q["question"])) for q in questions],
        row["time_limit_s"],
        row["per_question_s"],
        clock,
        responses=[a.get("response") for a in answers],
        time_spent=[q["time_spent_s"] for q in questions],
        judgments=[a.get("judgment") for a in answers],
        current=config.get("current", 0),
        status=status,
        ended_by=config.get("ended_by"),
        interruptions=config.get("interruptions", 0),
    )
    return StoredMock(
        id=row["id"],
        started_at=from_db_time(row["started_at"]),
        finished_at=from_db_time(row["finished_at"]) if row["finished_at"] else None,
        status=row["status"],
        setup=MockSetup.from_dict(config["setup"]),
        run=run,
    )


def unfinished_mocks(db: Database, clock: Clock = time.monotonic) -> list[StoredMock]:
    """Mocks left running or waiting for self-grading (a crash, a kill, the learner left)."""
    rows = db.query(
        "SELECT * FROM mocks WHERE status IN ('running', 'grading') ORDER BY started_at DESC"
    )
    return [_stored(db, row, clock) for row in rows]


def abandon_mock(db: Database, mock_id: str) -> None:
    """The learner declined to resume: the mock stays in the database, out of the history."""
    with db.transaction() as conn:
        conn.execute(
            "UPDATE mocks SET status = 'abandoned' WHERE id = ? AND status != 'finished'",
            (mock_id,),
        )


def finish_mock(
    db: Database,
    mock_id: str,
    setup: MockSetup,
    run: MockRun,
    finished_at: datetime | None = None,
) -> list[int]:
    """Feed the misses into the review queue as Again (answers mostly there as Hard, as a
    drill rates them: `MockRun.rating`), then store the final result.

    Misses are recorded first and idempotently (each review names its mock and position), so a
    crash between the two steps leaves a mock that finishes again without double reviews.
    Returns the ids of the reviews recorded now.
    """
    finished_at = finished_at or utc_now()
    run.complete()
    recorded = queue_misses(
        db, run, {"mock": mock_id}, _recorded_positions(db, mock_id), finished_at
    )
    save_run(db, mock_id, setup, run, finished_at=finished_at)
    return recorded


def queue_misses(
    db: Database,
    run: MockRun,
    origin: Mapping[str, str],
    already: set[int],
    now: datetime,
) -> list[int]:
    """Each answer the run rates (misses as Again, mostly-right ones as Hard) as a review of
    mode 'mock', its answer naming `origin` and the position; positions in `already` were
    recorded before (a finish that crashed half-way). Returns the new reviews' ids."""
    from quizapp.storage.reviews import record_review

    recorded = []
    for i, question in enumerate(run.questions):
        rating = run.rating(i)
        if rating is None or i in already:
            continue
        recorded.append(
            record_review(
                db,
                question.deck,
                question.card,
                rating,
                mode="mock",
                duration_ms=round(run.time_spent[i] * 1000),
                correct=None if question.self_rated else False,
                answer={**origin, "position": i, "response": run.responses[i]},
                now=now,
            )
        )
    return recorded


def _recorded_positions(db: Database, mock_id: str) -> set[int]:
    positions = set()
    for row in db.query("SELECT answer FROM reviews WHERE mode = 'mock' AND answer IS NOT NULL"):
        try:
            answer = json.loads(row["answer"])
        except ValueError:
            continue
        if isinstance(answer, dict) and str(answer.get("mock")) == str(mock_id):
            positions.add(int(answer.get("position", -1)))
    return positions


def mock_history(db: Database) -> list[dict[str, Any]]:
    """Finished mocks, oldest first: what the history table, the trend and stats show."""
    rows = db.query(
        "SELECT m.id, m.started_at, m.finished_at, m.score, m.max_score, m.elapsed_s, "
        "m.time_limit_s, (SELECT COUNT(*) FROM mock_questions q WHERE q.mock_id = m.id) AS n "
        "FROM mocks m WHERE m.status = 'finished' ORDER BY m.started_at, m.id"
    )
    return [
        {
            "id": row["id"],
            "started_at": row["started_at"],
            "finished_at": row["finished_at"],
            "score": row["score"],
            "max_score": row["max_score"],
            "questions": row["n"],
            "duration_s": row["elapsed_s"],
            "time_limit_s": row["time_limit_s"],
        }
        for row in rows
    ]


def mocks_for_stats(db: Database) -> list[dict[str, Any]]:
    """The `mocks` list of `quizapp stats --json` (a contract: other tools read it)."""
    keys = ("id", "started_at", "finished_at", "score", "max_score", "questions")
    return [{k: row[k] for k in keys} for row in mock_history(db)]


def miss_stats(db: Database) -> dict[str, MissStat]:
    """Per card ("deck/card"): answers seen and missed, over drills and finished mocks.

    Mock misses are also logged as reviews (mode 'mock'); those are skipped here so that the
    mock's own rows count each mock answer exactly once.
    """
    counts: dict[str, list[int]] = {}
    for row in db.query(
        "SELECT deck, card, COUNT(*) AS seen, SUM(rating = 1) AS missed FROM reviews "
        "WHERE mode != 'mock' GROUP BY deck, card"
    ):
        counts[f"{row['deck']}/{row['card']}"] = [row["seen"], row["missed"] or 0]
    for row in db.query(
        "SELECT q.deck, q.card, COUNT(*) AS seen, SUM(q.verdict != 'right') AS missed "
        "FROM mock_questions q JOIN mocks m ON m.id = q.mock_id "
        "WHERE m.status = 'finished' GROUP BY q.deck, q.card"
    ):
        entry = counts.setdefault(f"{row['deck']}/{row['card']}", [0, 0])
        entry[0] += row["seen"]
        entry[1] += row["missed"] or 0
    return {key: MissStat(seen, missed) for key, (seen, missed) in counts.items()}


def load_report(
    db: Database, mock_id: str, deck_titles: Mapping[str, str] | None = None
) -> MockReport:
    stored = load_mock(db, mock_id)
    if stored.status != "finished":
        raise ValueError(
            f"mock {mock_id} is not finished yet ({stored.status}); "
            "open `quizapp mock` to resume it"
        )
    return build_report(
        stored.run,
        mock_id=stored.id,
        started_at=stored.started_at,
        finished_at=stored.finished_at,
        deck_titles=deck_titles,
    )


def write_markdown_report(report: MockReport, folder: Path | None = None) -> Path:
    """Write the report as `<reports dir>/mock-<id>.md` (replacing an older copy)."""
    return write_report_file(f"mock-{report.mock_id}", report_markdown(report), folder)
