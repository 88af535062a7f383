"""The environment variables quizapp reads, in one place, validated.

`settings()` reads them afresh on every call (tests change `QUIZAPP_HOME` between runs; a
module-level object would keep the first value); an unchanged environment reuses the object
it gave before. An empty variable counts as unset. A bad
value raises `SettingsError` whose message names the variable, so the command line can say
what to fix instead of showing a traceback.

| variable                     | meaning                                                     |
|------------------------------|-------------------------------------------------------------|
| QUIZAPP_HOME                 | one folder for data, cache and workspace (tests, benchmarks) |
| QUIZAPP_WORKSPACE            | where the learner's exercise copies live                    |
| QUIZAPP_DECKS                | extra deck folders or files, separated by os.pathsep        |
| QUIZAPP_GRADE_THREADS        | torch threads a grade gets (a whole number above 0)         |
| QUIZAPP_SANDBOX              | auto (bubblewrap when it works), off, or require            |
| QUIZAPP_TEST_BASELINE_SEED   | fixes the baseline's seed (tests share one trained model)   |
| VISUAL, EDITOR               | the external editor's command (VISUAL first)                |
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SandboxSetting = Literal["auto", "off", "require"]


class SettingsError(ValueError):
    """An environment variable with a value quizapp cannot use; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        case_sensitive=True, env_ignore_empty=True, extra="ignore", frozen=True
    )

    home: Path | None = Field(None, validation_alias="QUIZAPP_HOME")
    workspace: Path | None = Field(None, validation_alias="QUIZAPP_WORKSPACE")
    decks: str = Field("", validation_alias="QUIZAPP_DECKS")
    grade_threads: int | None = Field(None, gt=0, validation_alias="QUIZAPP_GRADE_THREADS")
    sandbox: SandboxSetting = Field("auto", validation_alias="QUIZAPP_SANDBOX")
    test_baseline_seed: int | None = Field(None, validation_alias="QUIZAPP_TEST_BASELINE_SEED")
    visual: str | None = Field(None, validation_alias="VISUAL")
    editor: str | None = Field(None, validation_alias="EDITOR")

    @field_validator("grade_threads", "test_baseline_seed", "sandbox", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        # "2 " or "Off" in a shell profile mean what they say.
        if isinstance(value, str):
            value = value.strip()
            return value.lower() if value.isalpha() else value
        return value

    @property
    def deck_paths(self) -> list[Path]:
        """The entries of QUIZAPP_DECKS, in order, `~` expanded."""
        entries = (entry.strip() for entry in self.decks.split(os.pathsep))
        return [Path(entry).expanduser() for entry in entries if entry]

    @property
    def editor_command(self) -> str | None:
        """The external editor's command line: $VISUAL, else $EDITOR."""
        return self.visual or self.editor


def settings() -> Settings:
    """The settings as the environment holds them now."""
    return _settings_for(tuple(os.environ.get(name) for name in _VARIABLES))


_VARIABLES = tuple(str(field.validation_alias) for field in Settings.model_fields.values())


@lru_cache(maxsize=16)
def _settings_for(values: tuple[str | None, ...]) -> Settings:
    # Keyed by the variables' values: the same environment gives the same (frozen) object
    # without pydantic-settings' milliseconds per call; a changed one is read afresh. A bad
    # value raises, and exceptions are not cached.
    del values
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else "environment"
        problems.append(f"{name}={error['input']!r}: {error['msg']}")
    return "bad environment variable: " + "; ".join(problems)
