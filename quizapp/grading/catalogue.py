"""The coding exercises: `exercises/<id>/exercise.yaml` plus its files.

Plain Python (the TUI imports this). Adding an exercise means adding a folder:

    exercises/<id>/
      exercise.yaml   the manifest below (unknown keys are errors)
      README.md       the task, in the learner's words
      starter.py      the learner's starting point (must FAIL the checks)
      solution.py     the reference (must PASS)
      checks.py       `suite = Suite()` with its checks (see quizapp.grading.checks)

This module only describes exercises: the learner's copies of the starters (create, reset,
backups) are `quizapp.storage.workspace`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quizapp.core.loader import format_loc
from quizapp.core.models import Difficulty, Slug
from quizapp.resources import shipped_path

MANIFEST = "exercise.yaml"
REQUIRED_FILES = ("README.md", "starter.py", "solution.py", "checks.py")
CARD_REF = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*/[a-z0-9]+(?:[-_][a-z0-9]+)*$"


class EntryPoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    signature: Annotated[str, Field(min_length=1)]  # shown to the learner, e.g. in the README


class Manifest(BaseModel):
    """exercise.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    title: Annotated[str, Field(min_length=1)]
    topic: Slug
    difficulty: Difficulty = "medium"
    order: int
    entry_point: EntryPoint
    time_limit_s: Annotated[float, Field(gt=0, le=3600)] = 120.0
    # How long grading the reference solution takes (wall seconds, a 2-core laptop, baseline
    # cached): an interview loop draws only exercises that grade in a fifth of its round.
    # Unmeasured: the learner's time limit stands in, the worst case.
    reference_grade_s: Annotated[float, Field(gt=0, le=3600)] | None = None
    # The cached model the checks grade against, trained on the first grade (see
    # `grading.baselines`); None: the exercise needs none.
    baseline: Literal["resnet18-digits", "gpt-stdlib"] | None = None
    hints: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    cards: list[Annotated[str, Field(pattern=CARD_REF)]] = []  # related deck cards: deck/card
    file: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.py$")] | None = None

    @field_validator("cards")
    @classmethod
    def _distinct(cls, cards: list[str]) -> list[str]:
        if len(set(cards)) != len(cards):
            raise ValueError("a card is listed twice")
        return cards


@dataclass(frozen=True)
class Exercise:
    manifest: Manifest
    folder: Path

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def title(self) -> str:
        return self.manifest.title

    @property
    def hints(self) -> list[str]:
        return list(self.manifest.hints)

    @property
    def time_limit_s(self) -> float:
        return self.manifest.time_limit_s

    @property
    def reference_grade_s(self) -> float:
        return self.manifest.reference_grade_s or self.manifest.time_limit_s

    @property
    def readme(self) -> Path:
        return self.folder / "README.md"

    @property
    def starter(self) -> Path:
        return self.folder / "starter.py"

    @property
    def solution(self) -> Path:
        return self.folder / "solution.py"

    @property
    def checks(self) -> Path:
        return self.folder / "checks.py"

    @property
    def file_name(self) -> str:
        """The name of the learner's copy (`storage.workspace` keeps it)."""
        return self.manifest.file or self.id.replace("-", "_") + ".py"


@dataclass(frozen=True)
class ExerciseError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class Catalogue:
    exercises: list[Exercise] = field(default_factory=list)
    errors: list[ExerciseError] = field(default_factory=list)

    def get(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise UnknownExercise(exercise_id, [e.id for e in self.exercises])

    @cached_property
    def ids(self) -> list[str]:
        return [e.id for e in self.exercises]

    @cached_property
    def by_card(self) -> dict[str, list[Exercise]]:
        """The exercises that list each card (`deck/card`), in catalogue order: the way back
        from a drilled card to the code that practises it."""
        linked: dict[str, list[Exercise]] = {}
        for exercise in self.exercises:
            for card in exercise.manifest.cards:
                linked.setdefault(card, []).append(exercise)
        return linked


class UnknownExercise(KeyError):
    def __init__(self, exercise_id: str, known: list[str]) -> None:
        super().__init__(exercise_id)
        self.exercise_id, self.known = exercise_id, known

    def __str__(self) -> str:
        known = ", ".join(self.known) or "none"
        return f"no exercise {self.exercise_id!r} (exercises: {known})"


def exercises_root() -> Path:
    return shipped_path("exercises")


def exercise_titles() -> list[tuple[str, str]]:
    """(id, title) of the shipped exercises, for the progress figures; none if the catalogue
    cannot be read (the stats never fail because of an exercise folder)."""
    try:
        return [(e.id, e.title) for e in load_catalogue().exercises]
    except Exception:
        return []


def load_catalogue(root: Path | None = None) -> Catalogue:
    """Every exercise folder under `root`, sorted by `order` then id; bad ones are reported."""
    root = (root or exercises_root()).resolve()  # the children run in other folders
    catalogue = Catalogue()
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    for folder in folders:
        try:
            exercise = load_exercise(folder)
        except ExerciseFileError as exc:
            catalogue.errors.extend(exc.errors)
            continue
        catalogue.exercises.append(exercise)
    catalogue.exercises.sort(key=lambda e: (e.manifest.order, e.id))
    return catalogue


class ExerciseFileError(Exception):
    def __init__(self, errors: list[ExerciseError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def load_exercise(folder: Path) -> Exercise:
    path = folder / MANIFEST
    where = str(path)
    if not path.is_file():
        raise ExerciseFileError([ExerciseError(where, "missing (every exercise folder needs one)")])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ExerciseFileError([ExerciseError(where, f"not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise ExerciseFileError([ExerciseError(where, "the top level must be a mapping")])
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            loc = format_loc(tuple(err["loc"]))
            errors.append(ExerciseError(where, f"{loc}: {message}" if loc else message))
        raise ExerciseFileError(errors) from None
    errors = []
    if manifest.id != folder.name:
        errors.append(ExerciseError(where, f"id: {manifest.id!r} must match its folder name"))
    for name in REQUIRED_FILES:
        if not (folder / name).is_file():
            errors.append(ExerciseError(str(folder / name), "missing"))
    if errors:
        raise ExerciseFileError(errors)
    return Exercise(manifest=manifest, folder=folder)


def hint(exercise: Exercise, tier: int) -> str:
    """Hint number `tier` (1-based); tiers go from a nudge to nearly the answer."""
    hints = exercise.hints
    if not 1 <= tier <= len(hints):
        raise IndexError(f"{exercise.id} has hints 1 to {len(hints)}, not {tier}")
    return hints[tier - 1]
