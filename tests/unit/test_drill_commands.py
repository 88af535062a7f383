"""`quizapp drill`, `quizapp config` and `quizapp stats`: exit codes, messages, one JSON doc."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fsrs import Rating

from quizapp.cli import main
from quizapp.storage.db import Database
from quizapp.storage.reviews import record_review
from quizapp.tui.app import QuizApp
from quizapp.tui.start import StartDrill

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "drill"


@pytest.fixture
def fixture_decks(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QUIZAPP_DECKS", str(FIXTURES))
    return FIXTURES


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[QuizApp]:
    """Apps `quizapp drill` would have run (the TUI itself is not started here)."""
    apps: list[QuizApp] = []
    monkeypatch.setattr(QuizApp, "run", lambda self, *a, **k: apps.append(self))
    return apps


def test_drill_unknown_deck_is_a_clear_error_without_tui(
    fixture_decks: Path, started: list[QuizApp], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drill", "--deck", "nope"]) == 1
    err = capsys.readouterr().err
    assert "quizapp: no deck 'nope' (decks:" in err and "drill-basics" in err
    assert started == []


def test_drill_unknown_tag_is_a_clear_error(
    fixture_decks: Path, started: list[QuizApp], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drill", "--tag", "nope"]) == 1
    assert "no card in any deck has the tag 'nope'" in capsys.readouterr().err
    assert main(["drill", "--deck", "drill-basics", "--tag", "only-nothing"]) == 1
    assert "no card in deck 'drill-basics' has the tag" in capsys.readouterr().err
    assert started == []


def test_drill_opens_the_app_straight_into_a_session(
    fixture_decks: Path, started: list[QuizApp]
) -> None:
    assert main(["drill", "--deck", "drill-basics", "--tag", "ptq", "--cram", "--limit", "3"]) == 0
    [app] = started
    assert app.start == StartDrill(
        deck="drill-basics", tag="ptq", cram=True, autostart=True, new_limit=3
    )


def test_drill_limit_must_be_in_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["drill", "--limit", "-1"])
    assert exit_info.value.code == 2
    assert "new cards per session go from 0 to" in capsys.readouterr().err


def test_config_lists_sets_shows_and_clears(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config"]) == 0
    listing = capsys.readouterr().out
    assert "interview-date" in listing and "not set" in listing
    assert "new-per-session" in listing and " 20 " in listing
    assert main(["config", "interview-date", "2099-12-15"]) == 0
    assert capsys.readouterr().out.strip() == "interview-date = 2099-12-15"
    assert main(["config", "interview-date"]) == 0
    assert capsys.readouterr().out.strip() == "2099-12-15"
    assert main(["config", "interview-date", "none"]) == 0
    assert main(["config", "interview-date"]) == 0
    assert capsys.readouterr().out.strip().endswith("not set")
    assert main(["config", "new-per-session", "7"]) == 0
    with Database() as db:
        assert db.get_config("new-per-session") == "7"
    capsys.readouterr()
    assert "grade-memory" in listing and "4 GiB" in listing
    assert main(["config", "grade-memory", "6 GiB"]) == 0
    assert capsys.readouterr().out.strip() == "grade-memory = 6 GiB"
    from quizapp.grading.runner import configured_limits

    assert configured_limits().memory_bytes == 6 << 30  # what the next grade gets
    assert "learn-ahead" in listing and "20 min" in listing
    assert main(["config", "learn-ahead", "5"]) == 0
    assert capsys.readouterr().out.strip() == "learn-ahead = 5 min"
    assert main(["config", "learn-ahead", "none"]) == 0
    assert capsys.readouterr().out.strip() == "learn-ahead = 20 min (the default)"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("interview-date", "15/12/2026", "is not a date; write it as YYYY-MM-DD"),
        ("interview-date", "2026-02-30", "is not a date"),
        ("interview-date", "2001-01-01", "2001-01-01 is in the past"),
        ("new-per-session", "many", "'many' is not a whole number"),
        ("new-per-session", "-3", "new cards per session go from 0 to"),
        ("grade-memory", "lots", "'lots' is not a number of GiB"),
        ("grade-memory", "0.1", "between 0.5 and 1024 GiB"),
        ("learn-ahead", "soon", "'soon' is not a whole number of minutes"),
        ("learn-ahead", "2000", "between 0 and 1440 minutes, not 2000"),
        (
            "colour",
            "blue",
            "unknown setting 'colour' (settings: interview-date, new-per-session, "
            "learn-ahead, grade-memory)",
        ),
    ],
)
def test_config_bad_values_are_clear_errors(
    key: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", key, value]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    with Database() as db:
        assert db.get_config(key) is None


def test_stats_json_reports_reviews_and_per_deck_counts(
    fixture_decks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Database() as db:
        record_review(db, "drill-basics", "why-calibrate", Rating.Good, mode="drill")
        record_review(db, "drill-basics", "x86-weights", Rating.Easy, mode="drill")
        record_review(db, "drill-basics", "x86-weights", Rating.Again, mode="cram")
    assert main(["config", "interview-date", "2099-12-15"]) == 0
    capsys.readouterr()
    assert main(["stats", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["reviews_total"] == 2  # the cram answer is no review
    assert document["cram_total"] == 1
    assert document["interview_date"] == "2099-12-15"
    [deck] = [d for d in document["decks"] if d["deck"] == "drill-basics"]
    assert {k: deck[k] for k in ("cards", "new", "learning", "review", "due")} == {
        "cards": 6,
        "new": 4,
        "learning": 1,
        "review": 1,
        "due": 1,
    }
    interview = document["interview"]
    assert interview["date"] == "2099-12-15"
    assert interview["unseen"] == document["totals"]["new"]  # shipped decks load too
    assert interview["new_per_day"] >= 1
    assert interview["days_left"] >= (date(2099, 12, 15) - date.today()).days


def test_stats_table(fixture_decks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "drill-basics" in out and "total" in out and "reviews: 0 in all" in out
