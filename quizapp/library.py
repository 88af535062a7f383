"""The decks a learner has: the shipped ones, their own folder, QUIZAPP_DECKS, extra paths."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from quizapp.core.loader import LoadResult, deck_files
from quizapp.resources import shipped_path
from quizapp.storage.deck_cache import load_decks_cached
from quizapp.storage.locations import extra_deck_paths, locations


def deck_sources(extra: Iterable[str | Path] = ()) -> list[Path]:
    sources = [shipped_path("content")]
    user_dir = locations().user_decks_dir
    for path in extra_deck_paths():
        # The default user folder may not exist yet; anything the learner named must.
        if path != user_dir or path.exists():
            sources.append(path)
    sources.extend(Path(p) for p in extra)
    return sources


def load_library(extra: Iterable[str | Path] = ()) -> LoadResult:
    # The parsed YAML is kept in the cache folder: the app starts without parsing it again
    # (every deck is still validated). `quizapp validate` never uses it.
    return load_decks_cached(deck_sources(extra), locations().cache_dir / "parsed-decks.json")


__all__ = ["deck_files", "deck_sources", "load_library"]
