"""What a newcomer meets on the command line: one rule per value with its range, help for every
argument with its valid values and defaults, the command's own usage on a bad option, one word
per status, whole lines when piped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fsrs import Rating

from quizapp import cli
from quizapp.cli import main
from quizapp.storage.db import Database
from quizapp.tui.app import QuizApp
from quizapp.tui.start import StartDrill

DRILL_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "drill"


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[QuizApp]:
    """Apps a command would have run (the TUI itself is not started here)."""
    apps: list[QuizApp] = []
    monkeypatch.setattr(QuizApp, "run", lambda self, *a, **k: apps.append(self))
    return apps


def help_of(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps at the terminal width


def test_new_cards_per_session_is_one_rule_with_its_range(
    started: list[QuizApp], capsys: pytest.CaptureFixture[str]
) -> None:
    from quizapp.core.drill_queue import MAX_NEW_PER_SESSION

    # 0 means "reviews only" in the app's drill set-up; the command line agrees.
    assert main(["drill", "--limit", "0"]) == 0
    start = started[-1].start
    assert isinstance(start, StartDrill) and start.new_limit == 0
    assert main(["config", "new-per-session", "0"]) == 0
    capsys.readouterr()
    too_many = str(MAX_NEW_PER_SESSION + 1)
    assert main(["config", "new-per-session", too_many]) == 1
    config_error = capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["drill", "--limit", too_many])
    assert exit_info.value.code == 2
    drill_error = capsys.readouterr().err
    rule = f"new cards per session go from 0 to {MAX_NEW_PER_SESSION} (0: reviews only)"
    assert rule in config_error and rule in drill_error
    with Database() as db:
        assert db.get_config("new-per-session") == "0"  # the refused value was not stored


def test_arguments_have_help_naming_their_valid_values(capsys: pytest.CaptureFixture[str]) -> None:
    from quizapp.commands.config import SETTINGS
    from quizapp.grading.catalogue import load_catalogue

    check = help_of("check", capsys)
    for exercise_id in load_catalogue().ids:
        assert exercise_id in check
    sample = help_of("sample", capsys)
    assert "DECK/CARD a deck id and a card id, e.g. int8-math/qparams-drill" in sample
    assert "`quizapp decks` lists the decks" in sample
    config = help_of("config", capsys)
    assert f"KEY one of {', '.join(SETTINGS)}" in config
    assert tuple(SETTINGS) == cli.SETTINGS


def test_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    from quizapp.core.drill_queue import DEFAULT_NEW_PER_SESSION, MAX_NEW_PER_SESSION
    from quizapp.core.mock.draw import DEFAULT_MINUTES, DEFAULT_QUESTIONS

    mock = help_of("mock", capsys)
    assert f"total time, may be fractional (default: {DEFAULT_MINUTES:g})" in mock
    assert f"number of questions (default: {DEFAULT_QUESTIONS})" in mock
    assert "limit per question (default: none)" in mock
    assert "(default: every deck)" in mock and "(default: random)" in mock
    drill = help_of("drill", capsys)
    assert f"0 to {MAX_NEW_PER_SESSION}" in drill
    assert f"(default: the new-per-session setting, {DEFAULT_NEW_PER_SESSION} unless" in drill
    check = help_of("check", capsys)
    assert "wall-clock limit in seconds (default: the exercise's own limit)" in check
    from quizapp.core.interview_loop import (
        DEFAULT_CODING_MINUTES,
        DEFAULT_CONCEPT_MINUTES,
        DEFAULT_CONCEPTS,
    )

    loop = help_of("interview", capsys)
    assert f"concept questions (default: {DEFAULT_CONCEPTS})" in loop
    assert f"the concept round's time (default: {DEFAULT_CONCEPT_MINUTES:g})" in loop
    assert f"the coding round's time (default: {DEFAULT_CODING_MINUTES:g})" in loop


@pytest.mark.parametrize("command", ["stats", "decks", "mock"])
def test_a_wrong_option_shows_the_commands_own_usage(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--bogus"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: quizapp {command} ")
    assert f"quizapp {command}: error: unrecognized arguments: --bogus" in err


def test_a_wrong_card_lists_the_decks_cards(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUIZAPP_DECKS", str(DRILL_FIXTURES))
    assert main(["sample", "drill-basics/nope"]) == 1
    err = capsys.readouterr().err
    assert "deck 'drill-basics' has no card 'nope' (cards: why-calibrate, " in err


def test_exercise_status_is_the_apps_word(capsys: pytest.CaptureFixture[str]) -> None:
    from quizapp.grading.catalogue import load_catalogue
    from quizapp.grading.progress import progress_label
    from quizapp.storage.exercises import record_result, statuses

    failed = {
        "exercise": "ptq-resnet18",
        "status": "fail",  # a grade's own status, as DESIGN.md's JSON has it
        "score": 4,
        "max_score": 9,
        "duration_s": 3.5,
        "message": "",
        "checks": [],
        "env": {"torch": "2.14.1", "engine": "x86", "threads": 2},
    }
    with Database() as db:
        record_result(db, failed)
        app_word = progress_label(
            load_catalogue().get("ptq-resnet18"), statuses(db)["ptq-resnet18"]
        )
    assert app_word == "failed"
    assert main(["exercises", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)["exercises"]}
    assert rows["ptq-resnet18"]["status"] == app_word
    assert main(["exercises"]) == 0
    [line] = [x for x in capsys.readouterr().out.splitlines() if x.startswith("ptq-resnet18 ")]
    assert " failed " in line and " fail " not in line
    assert line.split()[1] == "ptq"  # the topic column


def test_stats_says_when_a_retention_window_has_nothing_to_measure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from quizapp.storage.reviews import record_review

    monkeypatch.setenv("QUIZAPP_DECKS", str(DRILL_FIXTURES))
    with Database() as db:  # new cards only: no review card answered yet
        record_review(db, "drill-basics", "why-calibrate", Rating.Good, mode="drill")
    assert main(["stats"]) == 0
    [line] = [x for x in capsys.readouterr().out.splitlines() if x.startswith("true retention")]
    assert "of 0" not in line and " - " not in line and " – " not in line
    assert line.endswith(": no review card answered yet (a card counts once it leaves learning)")
