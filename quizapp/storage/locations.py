"""File locations. `QUIZAPP_HOME` moves everything under one folder (tests, benchmarks)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "quizapp"


@dataclass(frozen=True)
class Locations:
    data_dir: Path
    cache_dir: Path
    workspace_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "quizapp.sqlite3"

    @property
    def user_decks_dir(self) -> Path:
        return self.data_dir / "decks"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


def locations() -> Locations:
    """Resolve the folders from the environment each call (tests change it between runs)."""
    home = os.environ.get("QUIZAPP_HOME")
    if home:
        root = Path(home).expanduser()
        data, cache = root / "data", root / "cache"
        workspace = root / "workspace"
    else:
        import platformdirs

        data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        cache = Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
        workspace = data / "workspace"
    override = os.environ.get("QUIZAPP_WORKSPACE")
    if override:
        workspace = Path(override).expanduser()
    return Locations(data_dir=data, cache_dir=cache, workspace_dir=workspace)


def extra_deck_paths() -> list[Path]:
    """User deck sources: `<data>/decks/` plus entries of QUIZAPP_DECKS (os.pathsep-separated)."""
    paths = [locations().user_decks_dir]
    for entry in os.environ.get("QUIZAPP_DECKS", "").split(os.pathsep):
        if entry.strip():
            paths.append(Path(entry.strip()).expanduser())
    return paths
