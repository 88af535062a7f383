"""`quizapp export anki`, checked with Anki's own library: the package is imported into a fresh
collection (no hand-written reader), re-exports update instead of duplicating, bad input
leaves nothing behind."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from anki.collection import Collection
from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

from quizapp.cli import main
from quizapp.core.anki_notes import select_notes
from quizapp.library import load_library

DRILL_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "drill"


@pytest.fixture
def fixture_decks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the drill fixture deck (one card of each type), loaded via QUIZAPP_DECKS."""
    folder = tmp_path / "decks"
    shutil.copytree(DRILL_FIXTURES, folder)
    monkeypatch.setenv("QUIZAPP_DECKS", str(folder))
    return folder / "drill-basics.yaml"


def fresh_collection(tmp_path: Path) -> Collection:
    folder = tmp_path / "anki"
    folder.mkdir(exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_into(collection: Collection, package: Path):
    request = ImportAnkiPackageRequest(
        package_path=str(package), options=ImportAnkiPackageOptions()
    )
    return collection.import_anki_package(request).log


def notes_by_key(collection: Collection) -> dict[str, dict]:
    notes = {}
    for note_id in collection.find_notes("deck:quizapp::*"):
        note = collection.get_note(note_id)
        card = collection.get_card(note.card_ids()[0])
        notes[note["QuizappCard"]] = {
            **dict(note.items()),
            "tags": sorted(note.tags),
            "deck": collection.decks.name(card.did),
            "guid": note.guid,
        }
    return notes


def test_every_card_type_reaches_anki_as_promised(
    fixture_decks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fixture.apkg"
    assert (
        main(["export", "anki", "--deck", "drill-basics", "--generated", "2", "--out", str(out)])
        == 0
    )
    said = capsys.readouterr().out
    assert f"Wrote {out}: 7 notes in 1 deck, 2 of them drawn from generated cards." in said
    assert "progress is not exported" in said

    collection = fresh_collection(tmp_path)
    try:
        log = import_into(collection, out)
        assert len(log.new) == 7
        notes = notes_by_key(collection)
    finally:
        collection.close()

    # five hand-written cards and two drawn instances of the generated one
    assert sorted(notes) == sorted(
        [
            "drill-basics/why-calibrate",
            "drill-basics/x86-weights",
            "drill-basics/per-tensor-observers",
            "drill-basics/resnet18-int8-mb",
            "drill-basics/explain-ptq-vs-qat",
            "drill-basics/qparams-drill#1",
            "drill-basics/qparams-drill#2",
        ]
    )
    assert {note["deck"] for note in notes.values()} == {"quizapp::drill-basics"}

    flashcard = notes["drill-basics/why-calibrate"]
    assert "<strong>calibration</strong>" in flashcard["Front"]  # Markdown became HTML
    assert '<pre><code class="language-python">' in flashcard["Back"]
    assert "activations depend on the input" in flashcard["Explanation"]
    assert "PyTorch quantization docs" in flashcard["Source"]
    assert flashcard["tags"] == ["calibration", "only-flashcard", "ptq"]

    single = notes["drill-basics/x86-weights"]
    assert single["Front"].count("<li>") == 4  # the options are on the front
    assert '<li class="right"><b>✓ per-channel symmetric</b></li>' in single["Back"]
    assert single["Back"].count('class="right"') == 1

    multi = notes["drill-basics/per-tensor-observers"]
    assert multi["Front"].count("select all that apply") == 1  # the deck's own is not repeated
    assert multi["Back"].count('class="right"') == 2
    assert '<li class="wrong">PerChannelMinMaxObserver</li>' in multi["Back"]

    numeric = notes["drill-basics/resnet18-int8-mb"]
    assert "<b>11.7 MB</b>" in numeric["Back"] and "accepted within 5%" in numeric["Back"]

    free = notes["drill-basics/explain-ptq-vs-qat"]
    assert "QAT fine-tunes with fake quantization" in free["Back"]
    assert free["Back"].count("<li>") == 3 and '<ol type="a">' in free["Back"]

    drawn = [notes[f"drill-basics/qparams-drill#{n}"] for n in (1, 2)]
    for note in drawn:
        assert note["Front"] and note["Back"]
        assert note["tags"] == ["only-generated"]
    # Each instance carries its own numbers and worked answer, drawn from its own seed.
    assert drawn[0]["Front"] != drawn[1]["Front"]


def test_a_re_export_updates_the_notes_instead_of_adding_copies(
    fixture_decks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Anki updates a note from a package whose note is newer; exports here are a minute apart
    # (genanki stamps notes with the time of writing, to the second).
    import genanki.package

    clock = iter(range(1_800_000_000, 1_900_000_000, 60))
    monkeypatch.setattr(genanki.package, "time", SimpleNamespace(time=lambda: next(clock)))
    out = tmp_path / "quizapp.apkg"
    assert main(["export", "anki", "--out", str(out)]) == 0
    expected = len(select_notes(load_library().decks))
    collection = fresh_collection(tmp_path)
    try:
        assert len(import_into(collection, out).new) == expected
        first = notes_by_key(collection)
        assert len(first) == expected

        # The same export again draws the same numbers: no new note, no field changed.
        assert main(["export", "anki", "--out", str(out)]) == 0
        assert len(import_into(collection, out).new) == 0
        assert notes_by_key(collection) == first

        # An edited card comes back as the same note, updated.
        text = fixture_decks.read_text()
        fixture_decks.write_text(text.replace("One byte per weight.", "One byte per weight!"))
        assert main(["export", "anki", "--out", str(out)]) == 0
        log = import_into(collection, out)
        assert len(log.new) == 0
        assert "drill-basics/resnet18-int8-mb" in {note.fields[-1] for note in log.updated}
        after = notes_by_key(collection)
        assert len(after) == expected
        key = "drill-basics/resnet18-int8-mb"
        assert "One byte per weight!" in after[key]["Explanation"]
        assert after[key]["guid"] == first[key]["guid"]
    finally:
        collection.close()


def test_shipped_decks_export_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", "anki"]) == 0  # default: quizapp.apkg in the current folder
    library = load_library()
    hand_written = sum(deck.hand_written for deck in library.decks)
    generated = sum(len(deck.cards) - deck.hand_written for deck in library.decks)
    collection = fresh_collection(tmp_path)
    try:
        log = import_into(collection, tmp_path / "quizapp.apkg")
        names = {name.name for name in collection.decks.all_names_and_ids()}
    finally:
        collection.close()
    assert len(log.new) == hand_written + 3 * generated
    assert {f"quizapp::{deck.deck}" for deck in library.decks} <= names


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--deck", "drill-basic"], "no deck 'drill-basic' (did you mean drill-basics"),
        (
            ["--tag", "calibraton"],
            "no card has the tag 'calibraton' in any deck (did you mean calibration",
        ),
        (["--deck", "drill-basics", "--tag", "gptq"], "no card has the tag 'gptq' in the chosen"),
        (["--generated", "51"], "--generated must be 0 to 50, not 51"),
        (["--tag", "only-generated", "--generated", "0"], "nothing to export"),
    ],
)
def test_a_choice_that_names_nothing_is_an_error(
    fixture_decks: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", "anki", *arguments]) == 1
    assert message in capsys.readouterr().err
    assert not [path.name for path in tmp_path.iterdir() if path.is_file()]  # nothing written


def test_an_unwritable_path_is_an_error_and_nothing_is_half_written(
    fixture_decks: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("x")
    assert main(["export", "anki", "--out", str(not_a_folder / "q.apkg")]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert main(["export", "anki", "--out", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err

    # A write that fails half-way leaves the previous export as it was, and no temporary file.
    import genanki

    out = tmp_path / "out" / "quizapp.apkg"
    out.parent.mkdir()
    out.write_bytes(b"the previous export")

    def fail_half_way(self, path: str) -> None:
        Path(path).write_bytes(b"half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(genanki.Package, "write_to_file", fail_half_way)
    assert main(["export", "anki", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "No space left on device" in err
    assert out.read_bytes() == b"the previous export"
    assert list(out.parent.iterdir()) == [out]


def test_a_broken_deck_is_named_not_skipped_in_silence(
    fixture_decks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = fixture_decks.parent / "broken.yaml"
    broken.write_text("deck: broken\ntitle: Broken\ncards: [{id: x, type: flashcard}]\n")
    assert (
        main(["export", "anki", "--deck", "drill-basics", "--out", str(tmp_path / "a.apkg")]) == 0
    )
    err = capsys.readouterr().err
    assert f"skipped {broken}" in err and "quizapp validate" in err
