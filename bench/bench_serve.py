"""`quizapp serve`: page load to the home screen in chromium (goal: within 3 s), beside a bare
Textual app (a header, one line, a footer) served the same way by textual-serve.

Needs Debian's chromium (`apt-get install chromium`) and playwright. The time runs from
`page.goto` until the app's first screen has reached the page over its websocket.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Figure, fresh_home

BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("bare app ready")
        yield Footer()

Bare().run()
"""
BARE_SERVER = """
import sys
from textual_serve.server import Server
Server(f"{sys.executable} {sys.argv[1]}", host="127.0.0.1", port=int(sys.argv[2])).serve()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(command: list[str], port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    raise RuntimeError(f"{command} did not listen on {port}")


def _page_ready_seconds(browser, url: str, marker: str, runs: int = 3) -> float:
    """Median seconds from goto to `marker` in the terminal output the page received."""
    samples = []
    for _ in range(runs + 1):  # the first load warms the server and the disk cache
        received: list[str] = []
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.on(
            "websocket",
            lambda ws, received=received: ws.on(
                "framereceived",
                lambda p: received.append(
                    p.decode("utf-8", "replace") if isinstance(p, bytes) else ""
                ),
            ),
        )
        start = time.perf_counter()
        page.goto(url)
        while marker not in "".join(received):
            if time.perf_counter() - start > 60:
                raise RuntimeError(f"{marker!r} never reached the page")
            page.wait_for_timeout(20)
        samples.append(time.perf_counter() - start)
        page.close()
    samples = sorted(samples[1:])
    return samples[len(samples) // 2]


def run() -> list[Figure]:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("bench serve needs Debian's chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="serve-"))
    (folder / "bare.py").write_text(BARE_APP)
    (folder / "server.py").write_text(BARE_SERVER)
    fresh_home()
    ours_port, bare_port = _free_port(), _free_port()
    servers = [
        _serve([sys.executable, "-m", "quizapp", "serve", "--port", str(ours_port)], ours_port),
        _serve(
            [sys.executable, str(folder / "server.py"), str(folder / "bare.py"), str(bare_port)],
            bare_port,
        ),
    ]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                ours = _page_ready_seconds(browser, f"http://127.0.0.1:{ours_port}", "Decks")
                bare = _page_ready_seconds(
                    browser, f"http://127.0.0.1:{bare_port}", "bare app ready"
                )
            finally:
                browser.close()
    finally:
        for server in servers:
            os.killpg(server.pid, 15)
            server.wait(timeout=10)
    return [
        Figure(
            "serve",
            "quizapp serve: page load to the home screen (chromium)",
            ours,
            "s",
            baseline=bare,
            baseline_name="a bare Textual app served the same way",
            goal="<= 3 s",
        )
    ]
