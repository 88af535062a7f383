"""`quizapp mock` and an unfinished mock: never a new one silently beside it; `--resume` goes
back to it, `--new` starts another anyway. A report piped elsewhere is its Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from unit.test_mock import FIXTURES, FakeClock
from unit.test_mock_storage import END, new_mock

from quizapp.cli import main
from quizapp.storage.db import Database
from quizapp.storage.mocks import finish_mock, save_run
from quizapp.tui.app import QuizApp
from quizapp.tui.start import StartMock


@pytest.fixture(autouse=True)
def fixture_decks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIZAPP_DECKS", str(FIXTURES))


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[QuizApp]:
    apps: list[QuizApp] = []
    monkeypatch.setattr(QuizApp, "run", lambda self, *a, **k: apps.append(self))
    return apps


def left_unfinished() -> str:
    """A mock left after 70 s of its 2 minutes, nothing answered."""
    clock = FakeClock()
    with Database() as db:
        mock_id, setup, run = new_mock(db, clock)
        clock.advance(70)
        run.suspend()
        save_run(db, mock_id, setup, run)
    return str(mock_id)


def test_mock_with_one_unfinished_says_how_to_resume_or_start_anew(
    started: list[QuizApp], capsys: pytest.CaptureFixture[str]
) -> None:
    mock_id = left_unfinished()
    assert main(["mock", "--questions", "2"]) == 1
    err = capsys.readouterr().err
    assert f"Mock {mock_id} was left unfinished with 0:50 on the clock (0 of 4 answered)" in err
    assert "`quizapp mock --resume`" in err and "`quizapp mock --new`" in err
    assert started == []
    assert main(["mock", "--questions", "2", "--new"]) == 0
    [app] = started
    start = app.start
    assert isinstance(start, StartMock) and start.autostart
    assert start.setup is not None and start.setup.questions == 2


def test_resume_opens_the_unfinished_mock(
    started: list[QuizApp], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mock", "--resume"]) == 1
    assert "no unfinished mock to resume" in capsys.readouterr().err
    mock_id = left_unfinished()
    assert main(["mock", "--resume"]) == 0
    assert main(["mock", "--resume", mock_id]) == 0
    assert [app.start for app in started] == [StartMock(resume=mock_id)] * 2
    assert main(["mock", "--resume", "77"]) == 1
    assert f"no unfinished mock '77' (unfinished: {mock_id})" in capsys.readouterr().err
    assert main(["mock", "--resume", "--minutes", "5"]) == 1
    assert "does not combine with --minutes" in capsys.readouterr().err
    assert len(started) == 2


def test_resume_of_a_finished_mock_points_to_its_report(
    started: list[QuizApp], capsys: pytest.CaptureFixture[str]
) -> None:
    left_unfinished()
    clock = FakeClock()
    with Database() as db:
        done, setup, run = new_mock(db, clock)
        run.submit()
        finish_mock(db, done, setup, run, finished_at=END)
    assert main(["mock", "--resume", str(done)]) == 1
    assert f"`quizapp mock --report {done}`" in capsys.readouterr().err


def test_a_piped_report_is_its_markdown_with_whole_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock()
    with Database() as db:
        mock_id, setup, run = new_mock(db, clock)
        run.submit()
        finish_mock(db, mock_id, setup, run, finished_at=END)
    assert main(["mock", "--report", str(mock_id)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# Mock interview {mock_id}: 0 / 4 (0%)\n")
    assert "- 4 missed questions went back into your review queue as Again." in out.splitlines()
