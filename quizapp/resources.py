"""Where the shipped data (decks, exercises) lives, in a checkout or in an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def shipped_path(name: str) -> Path:
    """Return the folder of shipped data called `name` ("content" or "exercises").

    A wheel carries it as `quizapp/_data/<name>` (hatch force-include); a checkout or an
    editable install has it beside the package.
    """
    if name not in ("content", "exercises"):
        raise ValueError(f"unknown shipped data folder: {name!r}")
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"quizapp's {name}/ folder is missing from this installation")
