"""SQLite storage: migrations, WAL, locations and the corrupt-file path."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quizapp.storage.db import SCHEMA_VERSION, Database, DatabaseError, from_db_time, to_db_time
from quizapp.storage.locations import extra_deck_paths, locations


def test_locations_follow_quizapp_home(quizapp_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = locations()
    assert where.data_dir == quizapp_home / "data"
    assert where.cache_dir == quizapp_home / "cache"
    assert where.workspace_dir == quizapp_home / "workspace"
    monkeypatch.setenv("QUIZAPP_WORKSPACE", str(quizapp_home / "elsewhere"))
    assert locations().workspace_dir == quizapp_home / "elsewhere"


def test_quizapp_decks_lists_extra_sources(
    quizapp_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.setenv("QUIZAPP_DECKS", os.pathsep.join(["/a/decks", "", "/b/one.yaml"]))
    assert extra_deck_paths() == [locations().user_decks_dir, Path("/a/decks"), Path("/b/one.yaml")]


def test_fresh_database_is_migrated_and_in_wal(quizapp_home: Path) -> None:
    with Database() as db:
        assert db.path == quizapp_home / "data" / "quizapp.sqlite3"
        assert db.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION
        assert db.query("PRAGMA journal_mode")[0][0] == "wal"
        tables = {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {
            "card_state",
            "reviews",
            "mocks",
            "mock_questions",
            "exercise_results",
            "config",
        } <= tables
        assert db.notices == []


def test_reopening_keeps_data_and_does_not_migrate_again(quizapp_home: Path) -> None:
    with Database() as db:
        db.set_config("interview-date", "2026-12-15")
    with Database() as db:
        assert db.get_config("interview-date") == "2026-12-15"
        db.set_config("interview-date", None)
        assert db.get_config("interview-date") is None


def test_migration_from_an_older_version_runs_only_missing_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quizapp.storage import db as dbmod

    path = tmp_path / "q.sqlite3"
    with Database(path):
        pass
    extra = "CREATE TABLE later (x INTEGER); INSERT INTO later VALUES (7);"
    monkeypatch.setattr(dbmod, "MIGRATIONS", [*dbmod.MIGRATIONS, extra])
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", len(dbmod.MIGRATIONS))
    with Database(path) as db:
        assert db.query("SELECT x FROM later")[0][0] == 7
        assert db.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION + 1


def test_failed_migration_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quizapp.storage import db as dbmod

    path = tmp_path / "q.sqlite3"
    with Database(path):
        pass
    monkeypatch.setattr(
        dbmod, "MIGRATIONS", [*dbmod.MIGRATIONS, "CREATE TABLE ok (x); THIS IS NOT SQL;"]
    )
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", len(dbmod.MIGRATIONS))
    with pytest.raises(sqlite3.OperationalError):
        Database(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'ok'").fetchone()[0] == 0


def test_corrupt_file_is_moved_aside_not_overwritten(quizapp_home: Path) -> None:
    path = locations().database
    path.parent.mkdir(parents=True)
    garbage = b"this is not a database, it is my notes\n" * 100
    path.write_bytes(garbage)
    with Database() as db:
        assert len(db.notices) == 1 and "moved to" in db.notices[0]
        assert db.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    aside = [p for p in path.parent.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1
    assert aside[0].read_bytes() == garbage


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="newer"):
        Database(path)
    assert path.read_bytes() == before


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    with Database(tmp_path / "q.sqlite3") as db:
        with pytest.raises(RuntimeError), db.transaction() as conn:
            conn.execute("INSERT INTO config VALUES ('a', 'b')")
            raise RuntimeError("boom")
        assert db.get_config("a") is None


def test_db_time_is_fixed_width_and_round_trips() -> None:
    moment = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    text = to_db_time(moment)
    assert text == "2026-11-28T12:00:00.000000Z"
    assert from_db_time(text) == moment
    with pytest.raises(ValueError):
        to_db_time(datetime(2026, 1, 1))
