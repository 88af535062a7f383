"""The parsed-deck cache: the plain data of valid deck files parsed before, in one JSON file.

The app loads every deck at start-up; with this, it parses again only the files that changed
(every deck is still validated: see `core.loader.ParsedCache`). `quizapp validate` never
uses it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from quizapp.core.loader import LoadResult, load_decks


class ParsedDecks:
    """The plain data of valid deck files parsed before, by a hash of their text (a JSON file).

    Data that JSON would not give back exactly (dates, non-text keys) is simply not kept. Any
    problem with the file (missing, corrupt, another version) means parsing again, never an
    error.
    """

    VERSION = f"1 pyyaml-{yaml.__version__}"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stored: dict[str, Any] = {}
        self._used: dict[str, Any] = {}
        self._changed = False
        try:
            document = json.loads(path.read_bytes())
            if isinstance(document, dict) and document.get("version") == self.VERSION:
                decks = document.get("decks")
                self._stored = decks if isinstance(decks, dict) else {}
        except (OSError, ValueError):
            pass

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def get(self, text: str) -> Any:
        key = self._key(text)
        data = self._stored.get(key)
        if data is not None:
            self._used[key] = data
        return data

    def put(self, text: str, data: Any) -> None:
        try:
            exact = json.loads(json.dumps(data)) == data
        except (TypeError, ValueError, RecursionError):
            exact = False
        if exact:
            self._used[self._key(text)] = data
            self._changed = True

    def save(self) -> None:
        """Keep the files of this load only; write if anything changed."""
        if not self._changed and self._used.keys() == self._stored.keys():
            return
        document = {"version": self.VERSION, "decks": self._used}
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(document))
            os.replace(temporary, self.path)
        except OSError:
            temporary.unlink(missing_ok=True)


def load_decks_cached(sources: Iterable[str | Path], cache_file: Path) -> LoadResult:
    """`core.loader.load_decks` through the cache in `cache_file`, saved afterwards."""
    cache = ParsedDecks(cache_file)
    result = load_decks(sources, cache=cache)
    cache.save()
    return result
