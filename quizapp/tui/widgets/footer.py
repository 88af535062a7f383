"""Textual's Footer, without the work it repeats on every bindings change.

Textual's Footer rebuilds all its keys whenever a screen's bindings may have changed (a focus
change, a `refresh_bindings`), even when the keys shown stay the same, and each new key
restyles itself twice as it mounts (its `compact` flag starts True, then is bound to the
footer's False). On the home and drill screens that was most of the time from start-up to
first paint, and of a key press to the next card. This footer shows exactly the same keys.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class QuickFooter(Footer):
    """A Footer that recomposes only when the keys it shows change."""

    _shown: Hashable = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The screen's bindings are known when the footer is composed: show them in the first
        # frame (Textual's Footer waits for the first bindings change, a frame or two later).
        self.set_reactive(Footer._bindings_ready, True)

    def _signature(self) -> Hashable:
        """What `compose` would show now (None before the bindings are ready)."""
        if not self._bindings_ready:
            return None
        app = self.app
        shown = tuple(
            (binding, app.get_key_display(binding), enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.key == app.COMMAND_PALETTE_BINDING
        )
        return (self.compact, self.show_command_palette, app.ENABLE_COMMAND_PALETTE, shown)

    def compose(self) -> ComposeResult:
        self._shown = self._signature()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Mount each key already in the footer's style: no restyle on mount.
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    async def recompose(self) -> None:
        if self.is_attached and self._signature() == self._shown:
            return
        await super().recompose()
