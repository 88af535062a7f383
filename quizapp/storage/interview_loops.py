"""Interview loops in SQLite: created, saved on every change, resumed, finished, reported.

One row per loop in `interview_loops` (storage/db.py): the whole state as JSON (both rounds:
the concept questions with their answers and clocks, the coding round's clock, hints and
grades), plus the figures the history and `stats --json` read without parsing it.
Misses of the concept round go back into the review queue as a mock's do (mode 'mock', the
answer naming the loop and position, so finishing twice never reviews twice).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from quizapp.core.interview_loop import InterviewLoop, LoopReport, build_loop_report
from quizapp.core.interview_loop.coding_round import Clock
from quizapp.core.interview_loop.report import loop_report_markdown
from quizapp.storage.db import Database, from_db_time, to_db_time, utc_now
from quizapp.storage.mocks import queue_misses
from quizapp.storage.reports import write_report_file

UNFINISHED = ("concepts", "break", "coding", "final-grade", "judging")


class LoopNotFound(KeyError):
    def __str__(self) -> str:
        return f"no interview loop {self.args[0]!r} (`quizapp stats --json` lists them)"


@dataclass
class StoredLoop:
    id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    loop: InterviewLoop


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def create_loop(db: Database, loop: InterviewLoop, started_at: datetime | None = None) -> str:
    """Store a new loop; its id is the next number."""
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT COALESCE(MAX(CAST(id AS INTEGER)), 0) + 1 FROM interview_loops "
            "WHERE id GLOB '[0-9]*'"
        ).fetchone()
        loop_id = str(row[0])
        conn.execute(
            "INSERT INTO interview_loops (id, started_at, status, exercise, state) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                loop_id,
                to_db_time(started_at or utc_now()),
                loop.phase,
                loop.coding.exercise_id,
                _dumps(loop.to_state()),
            ),
        )
    return loop_id


def save_loop(
    db: Database, loop_id: str, loop: InterviewLoop, finished_at: datetime | None = None
) -> None:
    done = loop.phase == "done"
    final = loop.coding.final
    with db.transaction() as conn:
        conn.execute(
            "UPDATE interview_loops SET status = ?, state = ?, concept_score = ?, "
            "concept_max = ?, coding_passed = ?, finished_at = COALESCE(?, finished_at) "
            "WHERE id = ?",
            (
                loop.phase,
                _dumps(loop.to_state()),
                loop.concepts.score if done else None,
                loop.concepts.max_score,
                None if final is None else int(final.passed),
                to_db_time(finished_at) if finished_at else None,
                loop_id,
            ),
        )


def _stored(row: Any, clock: Clock) -> StoredLoop:
    return StoredLoop(
        id=row["id"],
        started_at=from_db_time(row["started_at"]),
        finished_at=from_db_time(row["finished_at"]) if row["finished_at"] else None,
        status=row["status"],
        loop=InterviewLoop.from_state(json.loads(row["state"]), clock),
    )


def load_loop(db: Database, loop_id: str, clock: Clock = time.monotonic) -> StoredLoop:
    rows = db.query("SELECT * FROM interview_loops WHERE id = ?", (str(loop_id),))
    if not rows:
        raise LoopNotFound(str(loop_id))
    return _stored(rows[0], clock)


def unfinished_loops(db: Database, clock: Clock = time.monotonic) -> list[StoredLoop]:
    """Loops left mid-way (a crash, a kill, the lid closed), newest first."""
    marks = ", ".join("?" * len(UNFINISHED))
    rows = db.query(
        f"SELECT * FROM interview_loops WHERE status IN ({marks}) ORDER BY started_at DESC",
        UNFINISHED,
    )
    return [_stored(row, clock) for row in rows]


def abandon_loop(db: Database, loop_id: str) -> None:
    """The learner declined to resume: kept in the database, out of the history."""
    with db.transaction() as conn:
        conn.execute(
            "UPDATE interview_loops SET status = 'abandoned' WHERE id = ? AND status != 'done'",
            (loop_id,),
        )


def _recorded_positions(db: Database, loop_id: str) -> set[int]:
    rows = db.query(
        "SELECT json_extract(answer, '$.position') AS position FROM reviews "
        "WHERE mode = 'mock' AND json_valid(answer) "
        "AND json_extract(answer, '$.interview_loop') = ?",
        (str(loop_id),),
    )
    return {int(row["position"]) for row in rows if row["position"] is not None}


def finish_loop(
    db: Database, loop_id: str, loop: InterviewLoop, finished_at: datetime | None = None
) -> list[int]:
    """Queue the concept round's misses as Again (mostly-right free answers as Hard), then
    store the loop as done. Idempotent: a crash in between finishes again without double
    reviews. Returns the ids of the reviews recorded now."""
    if loop.phase != "done":
        raise ValueError(f"interview loop {loop_id} is not over yet ({loop.phase})")
    finished_at = finished_at or utc_now()
    recorded = queue_misses(
        db,
        loop.concepts,
        {"interview_loop": loop_id},
        _recorded_positions(db, loop_id),
        finished_at,
    )
    save_loop(db, loop_id, loop, finished_at=finished_at)
    return recorded


def loops_for_stats(db: Database) -> list[dict[str, Any]]:
    """Finished loops, oldest first: the `interview_loops` list of `quizapp stats --json`."""
    rows = db.query(
        "SELECT id, started_at, finished_at, exercise, concept_score, concept_max, "
        "coding_passed FROM interview_loops WHERE status = 'done' ORDER BY started_at, id"
    )
    return [
        {
            "id": row["id"],
            "started_at": row["started_at"],
            "finished_at": row["finished_at"],
            "concept_score": row["concept_score"],
            "concept_max": row["concept_max"],
            "exercise": row["exercise"],
            "coding_passed": bool(row["coding_passed"]),
        }
        for row in rows
    ]


def load_loop_report(
    db: Database,
    loop_id: str,
    exercise_title: str,
    deck_titles: Mapping[str, str] | None = None,
) -> LoopReport:
    stored = load_loop(db, loop_id)
    if stored.status != "done":
        raise ValueError(
            f"interview loop {loop_id} is not finished yet ({stored.status}); "
            "open `quizapp interview` to resume it"
        )
    return build_loop_report(
        stored.loop,
        loop_id,
        exercise_title,
        started_at=stored.started_at,
        finished_at=stored.finished_at,
        deck_titles=deck_titles,
    )


def write_loop_markdown(report: LoopReport, folder: Path | None = None) -> Path:
    """Write the report as `<reports dir>/interview-loop-<id>.md` (replacing an older copy)."""
    return write_report_file(
        f"interview-loop-{report.loop_id}", loop_report_markdown(report), folder
    )
