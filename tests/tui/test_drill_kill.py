"""A review survives the app being killed (SIGKILL) right after it was given."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from fsrs import Rating, State

from quizapp.storage.db import Database
from quizapp.storage.reviews import load_state, reviews_of, reviews_total

CHILD = """
import asyncio, os, sys, time
sys.path.insert(0, {tests!r})
from tui.drill_support import FakeClock, drill_app

async def main():
    clock = FakeClock()
    app = drill_app(clock, tag="only-flashcard")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        clock.advance(3)
        await pilot.press("space", "3")
        await pilot.pause()
        print("ANSWERED", flush=True)
        await asyncio.sleep(120)  # killed long before this ends

asyncio.run(main())
"""


def test_review_survives_sigkill(quizapp_home: Path, repo: Path) -> None:
    env = {**os.environ, "QUIZAPP_HOME": str(quizapp_home), "TZ": "UTC"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(tests=str(repo / "tests"))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and "ANSWERED" not in line:
            ready, _, _ = select.select([child.stdout], [], [], 1.0)
            if ready:
                line = child.stdout.readline()
                if not line and child.poll() is not None:
                    break
        assert "ANSWERED" in line, child.stderr.read() if child.poll() is not None else "timeout"
        child.send_signal(signal.SIGKILL)  # no shutdown, no cleanup, no final commit
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL

    with Database() as db:
        assert db.notices == []  # not reported corrupt: the WAL is replayed
        [review] = reviews_of(db, "drill-basics", "why-calibrate")
        assert (review.rating, review.mode, review.duration_ms) == (Rating.Good, "drill", 3000)
        state = load_state(db, "drill-basics", "why-calibrate")
        assert state is not None and state.state == State.Learning and state.step == 1
        assert reviews_total(db) == 1
