"""`quizapp serve` met as a user meets it: a real server, Debian's chromium driven by playwright,
a drill answered in the page, the review found in the database. Screenshots of home and of the
drill card are written to tests/artifacts/ (kept by CI as the test's evidence)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quizapp.storage.db import Database

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
DECK = """\
deck: browser-check
title: Browser check
description: One flashcard, for the browser test.
cards:
  - id: int8-bytes
    type: flashcard
    prompt: How many bytes does one INT8 weight take?
    answer: One byte.
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="needs Debian's chromium for the browser test: `apt-get install chromium` "
        "(.ci/run installs it)",
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"quizapp serve exited: {server.stdout.read()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"quizapp serve did not listen on {port} in {timeout} s")


@pytest.fixture
def served(tmp_path: Path):
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "one.yaml").write_text(DECK)
    port = free_port()
    env = {**os.environ, "QUIZAPP_DECKS": str(decks)}  # QUIZAPP_HOME: the test's own
    server = subprocess.Popen(
        [sys.executable, "-m", "quizapp", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, 15)  # the server and the app processes of its tabs
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()


class TerminalOutput:
    """What the app sent the page, as text: xterm.js draws on a canvas, so the test reads the
    terminal output the page received over its websocket (escape sequences removed)."""

    ESCAPES = re.compile(
        r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)"
    )

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def on_frame(self, payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            self.chunks.append(payload.decode("utf-8", errors="replace"))

    def mark(self) -> int:
        return len(self.chunks)

    def wait_for(self, page, text: str, since: int = 0, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.ESCAPES.sub("", "".join(self.chunks[since:])):
                return
            page.wait_for_timeout(200)
        raise AssertionError(f"the page never showed {text!r} within {timeout} s")


def test_a_drill_answered_in_the_browser_is_saved(served: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    output = TerminalOutput()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.on("websocket", lambda socket: socket.on("framereceived", output.on_frame))
            page.goto(served)
            output.wait_for(page, "Browser check", timeout=90)  # home lists the decks
            page.wait_for_timeout(500)  # the frame is on the canvas
            page.screenshot(path=str(ARTIFACTS / "serve-home.png"))
            page.mouse.click(600, 400)  # the page takes keys once it has the focus
            mark = output.mark()
            page.keyboard.press("d")
            output.wait_for(page, "What to drill", since=mark)
            page.keyboard.press("/")
            page.keyboard.type("browser")
            mark = output.mark()
            page.keyboard.press("Enter")
            output.wait_for(page, "How many bytes does one INT8 weight take?", since=mark)
            mark = output.mark()
            page.keyboard.press(" ")
            output.wait_for(page, "One byte.", since=mark)
            page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / "serve-drill-card.png"))
            mark = output.mark()
            page.keyboard.press("3")
            output.wait_for(page, "1 done", since=mark)
        finally:
            browser.close()

    with Database() as db:
        rows = db.conn.execute(
            "SELECT deck, card, rating FROM reviews WHERE deck = 'browser-check'"
        ).fetchall()
    assert [tuple(row) for row in rows] == [("browser-check", "int8-bytes", 3)]
