"""What a terminal of a given size shows: the screen as lines of text, the footer's keys,
and whether a widget is inside the screen (tests of small terminals); waiting until it shows
something."""

from __future__ import annotations

import time

from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget


def screen_lines(app: App) -> list[str]:
    """Every line of the screen on top, as the terminal shows it (styles dropped)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def footer_keys(app: App) -> list[str]:
    """The footer's keys the terminal shows, as `key description`, left to right."""
    footer = app.screen.query_one("Footer")
    line = screen_lines(app)[footer.region.y]
    keys = []
    for key in footer.children:
        if not key.display or not key.region:
            continue
        label = " ".join(str(key.render()).split())  # the key and its description
        assert label in line, f"{label!r} is not whole in the footer: {line!r}"
        keys.append(label)
    return keys


async def wait_until(pilot: Pilot, condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def shown_footer_keys(pilot: Pilot, app: App, timeout: float = 30.0) -> list[str]:
    """footer_keys once the footer has drawn its keys: on a loaded machine a new screen's
    footer can still be empty after one pause (seen on the home and exercise list)."""
    await wait_until(pilot, lambda: footer_keys(app), timeout)
    return footer_keys(app)


def whole_on_screen(app: App, widget: Widget) -> bool:
    """True when all of `widget` is inside the terminal (not cut at an edge)."""
    screen = app.screen.region
    return bool(widget.region) and screen.contains_region(widget.region)
