"""Textual's Footer, fitted to its width.

Textual's Footer cuts off whatever passes the right edge. This one hides the least important
keys instead when they do not fit: Back (escape) and Quit always stay; the others are kept in
the order the screen binds them, so a screen lists its main actions first. The command
palette key stays at the right edge: every action, and the "Keys" panel with every key, is
there. Quit is shown once, even where a screen binds a key of its own to it (home's `q`
beside the app's `ctrl+q`).

Only Textual's public API: the keys are the ones `Footer` composes, in its order (one per
action of the screen's active bindings shown, then the palette key), and fitting only sets
their `display`.

The trade, measured with `bench/run.py` on the 2-core dev machine: the home screen is
interactive after ~250 ms instead of ~190 ms (the footer this replaced updated its keys in
place through private Footer/FooterKey attributes, and showed them in the first frame);
drill key presses measured the same within noise (answer 135 vs 154 ms, rating 116 vs 107).
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual.app import App
from textual.dom import DOMNode
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Footer

PALETTE = "-command-palette"  # the class Footer gives the palette key
ALWAYS_SHOWN_KEYS = frozenset({"escape"})  # Back, Cancel, Close: the way out of any screen
ALWAYS_SHOWN_ACTIONS = frozenset({"app.quit"})


def action_id(namespace: DOMNode, action: str) -> str:
    """`action` as the app resolves it: `quit` bound on the app and `app.quit` bound on a
    screen are one action (and one key in the footer)."""
    if "." not in action and isinstance(namespace, App):
        return f"app.{action}"
    return action


class _Shown(NamedTuple):
    """One key of the footer, as its binding says."""

    action: str  # as the app resolves it
    always: bool  # shown even when the keys do not fit


class QuickFooter(Footer):
    """A Footer that hides the keys that do not fit, least important first."""

    _shown: list[_Shown] | None = None  # the keys composed, None when not fitted (groups)

    def _keys_composed(self) -> list[_Shown] | None:
        """The keys `Footer.compose` shows now, in its order: one per distinct action of the
        screen's active bindings that are shown. None with binding groups (left as they are)."""
        first: dict[str, _Shown] = {}
        for namespace, binding, _enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show:
                continue
            if binding.group is not None:
                return None
            action = action_id(namespace, binding.action)
            always = binding.key in ALWAYS_SHOWN_KEYS or action in ALWAYS_SHOWN_ACTIONS
            first.setdefault(binding.action, _Shown(action, always))
        return list(first.values())

    async def recompose(self) -> None:
        await super().recompose()
        self._shown = self._keys_composed() if self.is_attached else None
        self._fit()

    def on_resize(self, event: Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Hide the keys that do not fit the width: Back and Quit stay, then the others in
        the screen's order while they fit; the palette (which has them all) stays. A second
        key for an action already shown (Quit) is hidden."""
        shown = self._shown
        width = self.size.width
        if shown is None or not width or not self.is_attached:
            return
        keys = [c for c in self.children if not c.has_class(PALETTE)]
        if len(keys) != len(shown):
            return  # not what Footer composed from these bindings: leave it as it is
        room = width - sum(_width(c) for c in self.children if c.has_class(PALETTE))
        seen: set[str] = set()
        once = []
        for key in shown:
            once.append(key.action not in seen)
            seen.add(key.action)
        room -= sum(
            _width(w)
            for w, key, first in zip(keys, shown, once, strict=True)
            if key.always and first
        )
        for widget, key, first in zip(keys, shown, once, strict=True):
            fits = first and key.always
            if first and not fits and _width(widget) <= room:
                fits = True
                room -= _width(widget)
            widget.display = fits


def _width(key: Widget) -> int:
    """The cells `key` takes in the footer (shown or not)."""
    rendered = key.render()
    plain = rendered.plain if isinstance(rendered, Text) else str(rendered)
    return cell_len(plain) + key.styles.gutter.width + key.styles.margin.width
