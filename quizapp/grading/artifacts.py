"""The files that pass between the checker and the learner's process (both sides: torch).

A grade has a job folder with two parts:

- `in/`: what the checker gives the learner's run (the FP32 weights, calibration batches,
  the arguments of the calls to make). Written by the checker before the learner's code
  starts; the learner's process reads it (read-only in the sandbox).
- `out/`: what the learner's run produced (the returned model, the values the learner's
  functions returned). Written by the learner's process; the checker reads it.

Only three loaders exist, and the checker uses nothing else on `out/`: `torch.jit.load`
(TorchScript: the archive runs in TorchScript's interpreter, never as Python),
`torch.load(weights_only=True)` (tensors and plain containers; torchao's tensor
subclasses are on its allow-list) and `json`. A test fails if another loader appears in the
grading code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

MAX_JSON_BYTES = 64 << 20


class ArtifactError(Exception):
    """An artifact is missing or cannot be read (the message says which and why)."""


class Folder:
    """One side of the job folder: files by name, in the three formats."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _file(self, name: str, suffix: str) -> Path:
        if not name.replace("-", "_").isidentifier():
            raise ValueError(f"artifact names are identifiers, not {name!r}")
        return self.path / f"{name}{suffix}"

    def exists(self, name: str, suffix: str = ".pt") -> bool:
        return self._file(name, suffix).is_file()

    def size(self, name: str, suffix: str = ".pt") -> int:
        return self._file(name, suffix).stat().st_size

    # --- writing ------------------------------------------------------------------------

    def save(self, name: str, obj: Any) -> None:
        """Tensors and plain containers of them (what weights_only loads back)."""
        torch.save(obj, self._file(name, ".pt"))

    def save_json(self, name: str, obj: Any) -> None:
        with open(self._file(name, ".json"), "w", encoding="utf-8") as handle:
            json.dump(obj, handle, allow_nan=True)

    def save_script(self, name: str, module: torch.jit.ScriptModule) -> None:
        torch.jit.save(module, str(self._file(name, ".pt")))

    # --- reading ------------------------------------------------------------------------

    def load(self, name: str) -> Any:
        path = self._file(name, ".pt")
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise ArtifactError(f"{path.name} is missing") from None
        except Exception as exc:
            raise ArtifactError(
                f"{path.name} cannot be read: {type(exc).__name__}: {exc}"
            ) from None

    def load_json(self, name: str) -> Any:
        path = self._file(name, ".json")
        try:
            if path.stat().st_size > MAX_JSON_BYTES:
                raise ArtifactError(f"{path.name} is larger than {MAX_JSON_BYTES >> 20} MB")
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            raise ArtifactError(f"{path.name} is missing") from None
        except (OSError, ValueError, RecursionError) as exc:
            raise ArtifactError(f"{path.name} cannot be read: {exc}") from None

    def load_script(self, name: str) -> torch.jit.ScriptModule:
        path = self._file(name, ".pt")
        try:
            return torch.jit.load(str(path), map_location="cpu")
        except FileNotFoundError:
            raise ArtifactError(f"{path.name} is missing") from None
        except Exception as exc:
            raise ArtifactError(
                f"{path.name} is not a TorchScript archive: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}"
            ) from None
