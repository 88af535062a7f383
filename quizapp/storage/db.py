"""SQLite persistence: one file, WAL, schema version in PRAGMA user_version, migrations in code.

A file that is not a readable quizapp database is moved aside with a timestamped name and a
fresh one is started; the move is reported through `Database.notices`, never silent.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quizapp.storage.locations import locations

SqlParams = tuple[Any, ...] | dict[str, Any]

# Each entry migrates from version i to i+1. Never edit a shipped entry: append a new one.
MIGRATIONS: list[str] = [
    # 0 -> 1: the whole first schema.
    """
    CREATE TABLE card_state (
        deck TEXT NOT NULL,
        card TEXT NOT NULL,
        state INTEGER NOT NULL,          -- fsrs.State: 1 learning, 2 review, 3 relearning
        step INTEGER,
        stability REAL,
        difficulty REAL,
        due TEXT NOT NULL,               -- UTC, fixed-width ISO (see storage.db.to_db_time)
        last_review TEXT,
        reps INTEGER NOT NULL DEFAULT 0,
        lapses INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (deck, card)
    );
    CREATE INDEX card_state_due ON card_state (due);

    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        deck TEXT NOT NULL,
        card TEXT NOT NULL,
        rating INTEGER NOT NULL,         -- fsrs.Rating 1..4
        reviewed_at TEXT NOT NULL,
        duration_ms INTEGER,
        mode TEXT NOT NULL,              -- drill | cram | mock
        correct INTEGER,                 -- 1/0 for auto-graded answers, NULL for self-rated
        override INTEGER NOT NULL DEFAULT 0,   -- the learner overrode the auto-grade
        hint_used INTEGER NOT NULL DEFAULT 0,
        answer TEXT,                     -- JSON: what the learner answered
        state_before TEXT                -- JSON of the card_state row before, for undo
    );
    CREATE INDEX reviews_card ON reviews (deck, card);
    CREATE INDEX reviews_time ON reviews (reviewed_at);
    -- true retention (storage/stats.py): drill reviews of cards in the review state; the
    -- query repeats this WHERE clause so that it reads this index alone
    CREATE INDEX reviews_review_state ON reviews (reviewed_at, deck, card, rating)
        WHERE mode = 'drill' AND json_extract(state_before, '$.state') = 2;

    CREATE TABLE mocks (
        id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,            -- running | grading | finished | abandoned
        config TEXT NOT NULL,            -- JSON of the set-up
        time_limit_s REAL NOT NULL,
        per_question_s REAL,
        elapsed_s REAL NOT NULL DEFAULT 0,
        score REAL,
        max_score REAL
    );
    CREATE INDEX mocks_started ON mocks (started_at);

    CREATE TABLE mock_questions (
        mock_id TEXT NOT NULL REFERENCES mocks (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        deck TEXT NOT NULL,
        card TEXT NOT NULL,
        seed INTEGER,
        question TEXT NOT NULL,          -- JSON of the instantiated question
        answer TEXT,                     -- JSON of the learner's answer
        time_spent_s REAL NOT NULL DEFAULT 0,
        verdict TEXT,                    -- right | wrong | partial | blank
        score REAL,
        PRIMARY KEY (mock_id, position)
    );

    CREATE TABLE exercise_results (
        id INTEGER PRIMARY KEY,
        exercise TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        status TEXT NOT NULL,            -- pass | fail | error | timeout
        score REAL NOT NULL,
        max_score REAL NOT NULL,
        duration_s REAL NOT NULL,
        result TEXT NOT NULL             -- JSON: the whole grading result
    );
    CREATE INDEX exercise_results_ex ON exercise_results (exercise, finished_at);

    CREATE TABLE exercise_progress (
        exercise TEXT PRIMARY KEY,
        hints_shown INTEGER NOT NULL DEFAULT 0,
        solution_viewed INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE config (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 1 -> 2: cram answers are not reviews, so the per-day review counts (storage/stats.py)
    # filter on mode; with mode in the time index they still read the index alone.
    """
    CREATE INDEX reviews_time_mode ON reviews (reviewed_at, mode);
    DROP INDEX reviews_time;
    """,
    # 2 -> 3: a check result says which way its figure is better in `direction` ("higher" |
    # "lower" | null); results stored before it read it from the threshold's "<=" / ">=", once,
    # here, so that nothing reads the threshold text again.
    """
    UPDATE exercise_results
    SET result = json_set(result, '$.checks', (
        SELECT json_group_array(
            CASE
                WHEN c.type != 'object' THEN json_quote(c.value)
                WHEN json_type(c.value, '$.direction') IS NOT NULL THEN json(c.value)
                ELSE json_set(c.value, '$.direction', (
                    SELECT CASE
                        WHEN t LIKE '<%' OR t LIKE '≤%' THEN 'lower'
                        WHEN t LIKE '>%' OR t LIKE '≥%' THEN 'higher'
                    END
                    FROM (SELECT ltrim(json_extract(c.value, '$.threshold')) AS t)
                ))
            END
        )
        FROM json_each(result, '$.checks') AS c
    ))
    WHERE json_valid(result) AND json_type(result, '$.checks') = 'array';
    """,
    # 3 -> 4: interview loops (storage/interview_loops.py): a concept round and a coding round
    # under one id; the whole state is one JSON document, saved on every change.
    """
    CREATE TABLE interview_loops (
        id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,            -- the phase (core.interview_loop) or 'abandoned'
        exercise TEXT NOT NULL,
        state TEXT NOT NULL,             -- JSON of InterviewLoop.to_state()
        concept_score REAL,
        concept_max REAL,
        coding_passed INTEGER            -- 1/0 once the final answer is graded
    );
    CREATE INDEX interview_loops_started ON interview_loops (started_at);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseError(Exception):
    """The database cannot be used (e.g. it was written by a newer quizapp)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order in SQL."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: quizapp stores UTC only")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db_time(text: str) -> datetime:
    # fromisoformat reads to_db_time's text (a "Z" suffix: UTC) ~100x faster than strptime,
    # which the home screen and the drill set-up felt with thousands of card states.
    return datetime.fromisoformat(text)


class Database:
    """A connection to the quizapp database, safe to share between the UI and worker threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or locations().database
        self.notices: list[str] = []
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = self._open()
        except sqlite3.DatabaseError as exc:
            moved = self._move_aside()
            self.notices.append(
                f"{self.path} was not a readable quizapp database ({exc}); it was moved to "
                f"{moved.name} and a new database was started."
            )
            self.conn = self._open()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            # Reading the header first: a non-database file fails here, before anything is written.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("PRAGMA schema_version").fetchone()
            if version > SCHEMA_VERSION:
                raise DatabaseError(
                    f"{self.path} has schema version {version}, newer than this quizapp "
                    f"understands ({SCHEMA_VERSION}); upgrade quizapp."
                )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate(conn, version)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection, version: int) -> None:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            # One transaction per step: a failed migration leaves the previous version intact.
            conn.executescript(
                f"BEGIN;\n{MIGRATIONS[target - 1]}\nPRAGMA user_version = {target};\nCOMMIT;"
            )

    def _move_aside(self) -> Path:
        stamp = utc_now().strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        return target

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block atomically; commit on success, roll back on any exception."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: SqlParams = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def query_tuples(self, sql: str, params: SqlParams = ()) -> list[tuple[Any, ...]]:
        """`query` as plain tuples: half the cost of sqlite3.Row on thousands of rows."""
        with self._lock:
            cursor = self.conn.cursor()
            cursor.row_factory = None
            return cursor.execute(sql, params).fetchall()

    def get_config(self, key: str, default: str | None = None) -> str | None:
        rows = self.query("SELECT value FROM config WHERE key = ?", (key,))
        return rows[0]["value"] if rows else default

    def set_config(self, key: str, value: str | None) -> None:
        with self.transaction() as conn:
            if value is None:
                conn.execute("DELETE FROM config WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO config (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
