"""Textual's Footer, without the work it repeats on every bindings change.

Textual's Footer removes and mounts all its keys again whenever a screen's bindings may have
changed (a focus change, a `refresh_bindings`), one or two frames after the change, even when
the keys shown stay the same; each new key restyles itself twice as it mounts. That was about
a quarter of the home screen's start-up and a third of a drill key press (the drill's keys
change with every card). This footer shows the same keys: it updates the keys it has in place,
in the frame of the change.

It also fits the keys to its width (Textual's Footer cuts off whatever passes the right
edge): when they do not fit, the least important keys are hidden. Back (escape) and Quit
always stay; the others are kept in the order the screen binds them, so a screen lists its
main actions first. The command palette key stays at the right edge: every action, and
the "Keys" panel with every key, is there. Quit is shown once, even where a screen binds a
key of its own to it (home's `q` beside the app's `ctrl+q`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, NamedTuple

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE = "-command-palette"
ALWAYS_SHOWN_KEYS = frozenset({"escape"})  # Back, Cancel, Close: the way out of any screen
ALWAYS_SHOWN_ACTIONS = frozenset({"app.quit"})


def action_id(namespace: DOMNode, action: str) -> str:
    """`action` as the app resolves it: `quit` bound on the app and `app.quit` bound on a
    screen are one action (and one key in the footer)."""
    if "." not in action and isinstance(namespace, App):
        return f"app.{action}"
    return action


class _Key(NamedTuple):
    """One key as the footer shows it (what Textual's Footer.compose gives a FooterKey)."""

    key: str
    display: str
    description: str
    action: str
    enabled: bool
    tooltip: str
    always: bool  # shown even when the keys do not fit


class _Keys(NamedTuple):
    keys: tuple[_Key, ...]
    palette: _Key | None
    grouped: bool  # binding groups: left to Textual's own compose
    compact: bool


class QuickFooter(Footer):
    """A Footer that changes only the keys that change, when they change."""

    _shown: Hashable = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The screen's bindings are known when the footer is composed: show them in the first
        # frame (Textual's Footer waits for the first bindings change, a frame or two later).
        self.set_reactive(Footer._bindings_ready, True)

    def _wanted(self) -> _Keys | None:
        """The keys `Footer.compose` would show now (None before the bindings are ready)."""
        if not self._bindings_ready:
            return None
        app = self.app
        active = self.screen.active_bindings
        first: dict[str, tuple[Binding, bool, str, bool]] = {}
        grouped = False
        for namespace, binding, enabled, tooltip in active.values():
            if binding.show:
                action = action_id(namespace, binding.action)
                always = binding.key in ALWAYS_SHOWN_KEYS or action in ALWAYS_SHOWN_ACTIONS
                first.setdefault(action, (binding, enabled, tooltip, always))
                grouped = grouped or binding.group is not None
        keys = tuple(
            _Key(b.key, app.get_key_display(b), b.description, b.action, enabled, tooltip, always)
            for b, enabled, tooltip, always in first.values()
        )
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            found = active.get(app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, b, enabled, _ = found
                palette = _Key(
                    b.key,
                    app.get_key_display(b),
                    b.description,
                    b.action,
                    enabled,
                    b.tooltip or b.description,
                    True,
                )
        return _Keys(keys, palette, grouped, self.compact)

    def compose(self) -> ComposeResult:
        wanted = self._shown = self._wanted()
        if wanted is None or wanted.grouped:
            yield from self._textual_compose()
            return
        # Each key mounted already in the style it ends up in: no restyle on mount.
        yield from (self._new(key) for key in wanted.keys)
        if wanted.palette is not None:
            palette = wanted.palette
            widget = FooterKey(
                palette.key,
                palette.display,
                palette.description,
                palette.action,
                classes=PALETTE,
                disabled=not palette.enabled,
                tooltip=palette.tooltip,
            )
            widget.set_reactive(FooterKey.compact, True)  # its own, not the footer's
            widget.set_class(True, "-compact", update=False)
            yield widget

    def _textual_compose(self) -> ComposeResult:
        """Textual's own compose (binding groups): not fitted, not deduplicated."""
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                compact = True if widget.has_class(PALETTE) else self.compact
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def on_resize(self, event: Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Hide the keys that do not fit the width: Back and Quit stay, then the others in
        the screen's order while they fit; the palette (which has them all) stays."""
        wanted = self._shown
        width = self.size.width
        if wanted is None or wanted.grouped or not width or not self.is_attached:
            return
        children = [c for c in self.children if type(c) is FooterKey]
        keys = [c for c in children if not c.has_class(PALETTE)][: len(wanted.keys)]
        room = width - sum(_width(c) for c in children if c.has_class(PALETTE))
        room -= sum(_width(w) for w, key in zip(keys, wanted.keys, strict=False) if key.always)
        for widget, key in zip(keys, wanted.keys, strict=False):
            fits = key.always
            if not fits and _width(widget) <= room:
                fits = True
                room -= _width(widget)
            widget.display = fits

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and self._wanted() != self._shown:
            # Now, not after the next refresh: the new keys are painted with the change that
            # brought them (a key press on the drill screen), not in a frame of their own.
            self.call_next(self.recompose)

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        wanted = self._wanted()
        if wanted == self._shown:
            return
        if wanted is not None and not wanted.grouped and await self._update(wanted):
            self._shown = wanted
            self._fit()
            return
        await super().recompose()
        self._fit()

    async def _update(self, wanted: _Keys) -> bool:
        """Show `wanted` by changing the keys in place; False if only a recompose can."""
        children = list(self.children)
        keys = [c for c in children if type(c) is FooterKey and not c.has_class(PALETTE)]
        palettes = [c for c in children if type(c) is FooterKey and c.has_class(PALETTE)]
        if len(keys) + len(palettes) != len(children) or len(palettes) > 1:
            return False  # groups or labels: not ours to rearrange
        if (wanted.palette is None) != (not palettes):
            return False
        if palettes and wanted.palette is not None:
            self._set(palettes[0], wanted.palette)
        for widget, key in zip(keys, wanted.keys, strict=False):
            self._set(widget, key)
            widget.display = True
        for widget in keys[len(wanted.keys) :]:
            widget.display = False  # kept for the next time there are more keys
        extra = [self._new(key) for key in wanted.keys[len(keys) :]]
        if extra:
            await self.mount_all(extra, before=palettes[0] if palettes else None)
        return True

    def _new(self, key: _Key) -> FooterKey:
        widget = FooterKey(
            key.key,
            key.display,
            key.description,
            key.action,
            disabled=not key.enabled,
            tooltip=key.tooltip,
        )
        widget.set_reactive(FooterKey.compact, self.compact)
        widget.set_class(self.compact, "-compact", update=False)
        return widget

    @staticmethod
    def _set(widget: FooterKey, key: _Key) -> None:
        """Make `widget` show `key` (the attributes FooterKey's constructor sets)."""
        if (widget.key_display, widget.description) != (key.display, key.description):
            widget.key_display, widget.description = key.display, key.description
            widget.refresh(layout=True)
        widget.key, widget.action = key.key, key.action
        widget._disabled = not key.enabled
        widget.set_class(not key.enabled, "-disabled")
        tooltip = key.tooltip or None
        if widget.tooltip != tooltip:
            widget.tooltip = tooltip

    def watch_compact(self, compact: bool) -> None:
        # Keys added in place are not data-bound to the footer's `compact` as composed ones are.
        for widget in self.query_children(FooterKey):
            if not widget.has_class(PALETTE):
                widget.compact = compact


def _width(key: FooterKey) -> int:
    """The cells `key` takes in the footer (shown or not)."""
    return cell_len(key.render().plain) + key.styles.gutter.width + key.styles.margin.width
