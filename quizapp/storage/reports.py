"""Markdown reports on disk: `<data>/reports/<name>.md`, written whole or not at all."""

from __future__ import annotations

from pathlib import Path

from quizapp.storage.locations import locations


def write_report_file(name: str, text: str, folder: Path | None = None) -> Path:
    """Write `<folder or the reports dir>/<name>.md` (replacing an older copy) atomically."""
    folder = folder or locations().reports_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
