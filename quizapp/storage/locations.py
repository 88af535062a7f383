"""File locations. `QUIZAPP_HOME` moves everything under one folder (tests, benchmarks); the
variables are read by `storage.settings`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quizapp.storage.settings import settings

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
    current = settings()
    if current.home is not None:
        root = current.home.expanduser()
        data, cache = root / "data", root / "cache"
        workspace = root / "workspace"
    else:
        import platformdirs

        data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        cache = Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
        workspace = data / "workspace"
    if current.workspace is not None:
        workspace = current.workspace.expanduser()
    return Locations(data_dir=data, cache_dir=cache, workspace_dir=workspace)


def extra_deck_paths() -> list[Path]:
    """User deck sources: `<data>/decks/` plus entries of QUIZAPP_DECKS (os.pathsep-separated)."""
    return [locations().user_decks_dir, *settings().deck_paths]
