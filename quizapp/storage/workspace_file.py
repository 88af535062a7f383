"""The learner's file of one exercise as an editor holds it: saved atomically, conflicts with
other editors detected, and unsaved text kept in a backup rather than lost.

The editor (the exercise screen) owns the text being edited; this object knows the text last
saved to (or read from) the file, so "unsaved" means the two differ. No Textual here: the
screen turns what these methods return or raise into notifications.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class DiskChange:
    """What the file holds after another program (or watch mode's save) changed it."""

    text: str  # the file as it is now
    differs: bool  # from the editor's text: the editor must show `text`
    kept: Path | None  # where the editor's unsaved text was kept (a conflict), else None


class WorkspaceFile:
    def __init__(self, path: Path, backups_dir: Path) -> None:
        """Reads `path` (it must exist: see `ensure_workspace`); OSError or
        UnicodeDecodeError when it cannot be read."""
        self.path = path
        self.backups_dir = backups_dir
        self.saved_text = path.read_text(encoding="utf-8")

    def is_unsaved(self, text: str) -> bool:
        return text != self.saved_text

    def save(self, text: str) -> None:
        """Write `text` atomically (a crash leaves the old file or the new one, never half of
        one); raises OSError."""
        tmp = self.path.with_name(self.path.name + ".saving")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)
        self.saved_text = text

    def read(self) -> str:
        """The file as it is on disk, now the saved text; raises OSError or
        UnicodeDecodeError."""
        self.saved_text = self.path.read_text(encoding="utf-8")
        return self.saved_text

    def forget_saved(self, text: str) -> None:
        """The file could not be read: nothing on disk is known to match, so the editor's
        `text` counts as unsaved (leaving, or a save, writes it back)."""
        self.saved_text = "" if text else "\n"

    def settle(self, text: str) -> DiskChange:
        """The file changed on disk and settled; `text` is the editor's. When the file
        differs from it and it had unsaved changes, they are kept in a backup first (the
        editor is about to show the file). Raises OSError or UnicodeDecodeError."""
        on_disk = self.path.read_text(encoding="utf-8")
        if on_disk == text:
            self.saved_text = on_disk
            return DiskChange(on_disk, differs=False, kept=None)
        kept = self.keep_unsaved(text) if self.is_unsaved(text) else None
        return DiskChange(on_disk, differs=True, kept=kept)

    def keep_unsaved(self, text: str, now: datetime | None = None) -> Path:
        """Write `text` to a new file in the backups folder; returns where."""
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
        self.backups_dir.mkdir(parents=True, exist_ok=True)
        stem, suffix = self.path.stem, self.path.suffix
        target = self.backups_dir / f"{stem}-unsaved-{stamp}{suffix}"
        n = 1
        while target.exists():
            target = self.backups_dir / f"{stem}-unsaved-{stamp}-{n}{suffix}"
            n += 1
        target.write_text(text, encoding="utf-8")
        return target
