"""`quizapp export anki [--deck ID]... [--tag T]... [--generated N] [--out FILE]`.

Writes an Anki package (.apkg) with genanki: one Anki deck per quizapp deck
(`quizapp::<deck id>`), one front/back note per card (core/anki_notes.py says how each card
type maps). Note ids come from deck/card ids, so importing a re-export updates the notes
instead of adding copies. Progress is not exported: Anki schedules the notes from scratch.
The package is written to a temporary file beside FILE and renamed, so a failed export never
leaves a half-written FILE.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from quizapp.commands import fail
from quizapp.core.anki_notes import AnkiNote, ExportScopeError, select_notes
from quizapp.library import load_library

DEFAULT_OUT = "quizapp.apkg"

# Fixed once: Anki recognises the note type across exports by this id.
NOTE_TYPE_ID = 1_607_392_319
NOTE_TYPE_CSS = """\
.card { font-family: sans-serif; font-size: 18px; text-align: left; max-width: 46em;
        margin: 0 auto; }
pre { background: rgba(127, 127, 127, 0.12); padding: 0.5em; overflow-x: auto; }
table { border-collapse: collapse; } th, td { border: 1px solid #8888; padding: 0.2em 0.5em; }
.options li.right { color: #2e7d32; }
.explanation { margin-top: 1em; }
.source { margin-top: 1em; font-size: 0.8em; opacity: 0.75; }
"""
BACK_TEMPLATE = (
    "{{FrontSide}}<hr id=answer>{{Back}}"
    '{{#Explanation}}<div class="explanation">{{Explanation}}</div>{{/Explanation}}'
    '{{#Source}}<div class="source">Source: {{Source}}</div>{{/Source}}'
)
FIELDS = ("Front", "Back", "Explanation", "Source", "QuizappCard")


def anki_deck_id(deck: str) -> int:
    """A stable Anki deck id for a quizapp deck (Anki wants an int; ours are slugs)."""
    digest = hashlib.sha256(f"quizapp::{deck}".encode()).digest()
    return (1 << 30) | (int.from_bytes(digest[:4], "big") & 0x3FFFFFFF)


def build_package(notes: list[AnkiNote]):  # -> genanki.Package (imported lazily: ~0.1 s)
    import genanki

    note_type = genanki.Model(
        NOTE_TYPE_ID,
        "quizapp",
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Card", "qfmt": "{{Front}}", "afmt": BACK_TEMPLATE}],
        css=NOTE_TYPE_CSS,
    )
    decks: dict[str, genanki.Deck] = {}
    for note in notes:
        if note.deck not in decks:
            decks[note.deck] = genanki.Deck(anki_deck_id(note.deck), f"quizapp::{note.deck}")
        decks[note.deck].add_note(
            genanki.Note(
                model=note_type,
                fields=[note.front, note.back, note.explanation, note.source, note.key],
                tags=list(note.tags),
                guid=genanki.guid_for("quizapp", note.key),
            )
        )
    return genanki.Package(list(decks.values()))


def write_atomically(package, out: Path) -> None:
    """Write to a temporary file in FILE's folder, then rename: all or nothing."""
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        package.write_to_file(str(temporary))
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)


def run(args: argparse.Namespace) -> int:
    library = load_library()
    for path in library.failed_files:  # never a silent skip
        print(
            f"quizapp: skipped {path}: it has errors (`quizapp validate {path}` lists them)",
            file=sys.stderr,
        )
    try:
        notes = select_notes(library.decks, args.deck or (), args.tag or (), args.generated)
    except ExportScopeError as exc:
        return fail(str(exc))
    out = Path(args.out or DEFAULT_OUT)
    if out.is_dir():
        return fail(f"{out} is a folder: give a file name, e.g. {out / DEFAULT_OUT}")
    if not out.parent.is_dir():
        return fail(f"cannot write {out}: the folder {out.parent} does not exist")
    try:
        write_atomically(build_package(notes), out)
    except OSError as exc:
        return fail(f"cannot write {out}: {exc.strerror or exc}")
    decks = len({note.deck for note in notes})
    drawn = sum(1 for note in notes if note.instance is not None)
    generated = f", {drawn} of them drawn from generated cards" if drawn else ""
    print(
        f"Wrote {out}: {len(notes)} notes in {decks} deck{'s' if decks != 1 else ''}{generated}.\n"
        "Import it in Anki with File > Import; importing a newer export updates these notes.\n"
        "Your quizapp progress is not exported: Anki schedules the cards from scratch."
    )
    return 0
