"""The parsed-deck cache skips the YAML parse of files loaded before, never the validation."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from unit.test_loader import GOOD

from quizapp.core import loader
from quizapp.core.loader import load_decks
from quizapp.storage.deck_cache import ParsedDecks, load_decks_cached


@pytest.fixture
def decks(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "calibration.yaml").write_text(GOOD)
    (folder / "other.yaml").write_text(GOOD.replace("test-calibration", "test-other"))
    return folder


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(text: str, marks: object = None) -> None:
        raise AssertionError("parsed YAML that the cache holds")

    monkeypatch.setattr(loader, "parse_yaml", fail)


def test_second_load_reads_the_cache_and_gives_the_same_decks(
    decks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_file = tmp_path / "cache" / "parsed.json"
    uncached = load_decks([decks])
    first = load_decks_cached([decks], cache_file)
    assert first.ok and cache_file.exists()
    no_parsing(monkeypatch)
    second = load_decks_cached([decks], cache_file)
    assert second.ok
    assert second.decks == first.decks == uncached.decks
    assert [d.path for d in second.decks] == [d.path for d in first.decks]


def test_an_edited_file_is_parsed_again(decks: Path, tmp_path: Path) -> None:
    cache_file = tmp_path / "parsed.json"
    load_decks_cached([decks], cache_file)
    path = decks / "calibration.yaml"
    path.write_text(path.read_text().replace("title: Calibration", "title: Edited"))
    result = load_decks_cached([decks], cache_file)
    assert result.deck("test-calibration").title == "Edited"


def test_cached_data_is_still_validated(decks: Path, tmp_path: Path) -> None:
    cache_file = tmp_path / "parsed.json"
    load_decks_cached([decks], cache_file)
    document = json.loads(cache_file.read_text())
    for data in document["decks"].values():
        data["cards"][0]["difficulty"] = "impossible"  # what the file does not say
    cache_file.write_text(json.dumps(document))
    result = load_decks_cached([decks], cache_file)
    # The cached data fails validation, so the file itself is parsed and loaded as written.
    assert result.ok
    assert result.deck("test-calibration").cards[0].difficulty == "easy"


def test_invalid_decks_are_reported_and_never_cached(decks: Path, tmp_path: Path) -> None:
    (decks / "broken.yaml").write_text(
        GOOD.replace("test-calibration", "test-broken").replace(
            "difficulty: easy", "difficulty: impossible"
        )
    )
    cache_file = tmp_path / "parsed.json"
    for _ in range(2):
        result = load_decks_cached([decks], cache_file)
        assert [(Path(e.path).name, e.line, e.field) for e in result.errors] == [
            ("broken.yaml", 10, "cards[0].difficulty")
        ]
    assert len(json.loads(cache_file.read_text())["decks"]) == 2


def test_a_corrupt_or_foreign_cache_file_is_ignored(decks: Path, tmp_path: Path) -> None:
    cache_file = tmp_path / "parsed.json"
    for content in ("{not json", json.dumps({"version": "0", "decks": {}}), "[]"):
        cache_file.write_text(content)
        assert load_decks_cached([decks], cache_file).ok
        assert json.loads(cache_file.read_text())["version"] == ParsedDecks.VERSION


def test_only_the_files_of_the_last_load_are_kept(decks: Path, tmp_path: Path) -> None:
    cache_file = tmp_path / "parsed.json"
    load_decks_cached([decks], cache_file)
    (decks / "other.yaml").unlink()
    load_decks_cached([decks], cache_file)
    assert len(json.loads(cache_file.read_text())["decks"]) == 1


def test_data_json_would_not_give_back_exactly_is_not_kept(tmp_path: Path) -> None:
    cache = ParsedDecks(tmp_path / "parsed.json")
    cache.put("a", {"when": datetime.date(2026, 1, 1)})
    cache.put("b", {"params": {1: "one"}})
    cache.put("c", {"x": float("nan")})
    cache.put("d", {"cards": [{"answer": 1.0, "ok": True}]})
    cache.save()
    kept = json.loads(cache.path.read_text())["decks"]
    assert list(kept.values()) == [{"cards": [{"answer": 1.0, "ok": True}]}]
