"""How a trained baseline is cached and trusted (torch; the checker's side only).

Every baseline the grader trains (the digits ResNet-18, the standard-library GPT) lives in
`<cache dir>/baseline/` as a `torch.save` file named by its recipe's key, next to a JSON
sidecar holding that key and the file's SHA-256. A file whose key or checksum does not
match is retrained, never trusted, and it is read with `torch.load(weights_only=True)`.
One lock serializes the trainers of a folder (the CLI and the TUI may both ask on a first
run), and one secret seed per install, kept in that folder, draws the held-out splits and
the training runs, so a learner can neither see nor work out which data are held out.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from quizapp.grading.baselines import cache_folder, sidecars
from quizapp.storage.settings import settings

SEED_ENV = "QUIZAPP_TEST_BASELINE_SEED"
SECRET_FILE = "secret"

# (step, total, message): step/total count training steps (an empty message is a mere tick
# for a progress bar); a None step is a note.
Progress = Callable[[int | None, int | None, str], None]


class CacheInvalid(Exception):
    """The cached baseline cannot be trusted (the message says why)."""


cache_dir = cache_folder  # the parent's view and the children's are one folder


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_hash(state_dict: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().contiguous().cpu()
        digest.update(name.encode())
        digest.update(str(tensor.dtype).encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


@contextlib.contextmanager
def cache_lock(folder: Path) -> Iterator[None]:
    """One trainer at a time (the CLI and the TUI may both ask on a first run)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def deterministic() -> Iterator[None]:
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)


def install_seed(folder: Path) -> int:
    """This install's secret seed for the split and the training (QUIZAPP_TEST_BASELINE_SEED
    overrides it); made on first use, readable by its owner only (call under the lock)."""
    override = settings().test_baseline_seed
    if override is not None:
        return override
    path = folder / SECRET_FILE
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    seed = secrets.randbits(62)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(path, f"{seed}\n".encode())
    with contextlib.suppress(OSError):
        path.chmod(0o600)
    return seed


def read_verified(weights_path: Path, sidecar_path: Path, key: str) -> tuple[Any, dict[str, Any]]:
    """The cached file's contents (weights_only) and its sidecar, or CacheInvalid saying why
    they cannot be trusted."""
    if not weights_path.exists():
        raise CacheInvalid("not trained yet")
    try:
        sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CacheInvalid(f"its checksum file is missing or unreadable ({exc})") from None
    if not isinstance(sidecar, dict) or sidecar.get("key") != key:
        raise CacheInvalid("it was made by another recipe or torch version")
    if sidecar.get("sha256") != sha256_file(weights_path):
        raise CacheInvalid("its checksum does not match (the file was changed or truncated)")
    try:
        stored = torch.load(weights_path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CacheInvalid(f"it cannot be read ({type(exc).__name__}: {exc})") from None
    return stored, sidecar


def write_verified(
    weights_path: Path, sidecar_path: Path, key: str, stored: Any, sidecar: dict[str, Any]
) -> None:
    """Save `stored` with torch.save and its sidecar (the key and the file's SHA-256 first)."""
    buffer = io.BytesIO()
    torch.save(stored, buffer)
    payload = buffer.getvalue()
    write_atomic(weights_path, payload)
    document = {"key": key, "sha256": hashlib.sha256(payload).hexdigest(), **sidecar}
    write_atomic(sidecar_path, json.dumps(document, indent=2).encode())


def remove_superseded(name: str, recipe: dict[str, Any], folder: Path, keep: Path) -> None:
    """Delete the cached `name` baselines this one (`recipe`, as its sidecar stores it)
    replaces: the same recipe under another torch or corpus, or an older version of the
    recipe. Other recipes (another seed) stay."""
    for sidecar_path in sidecars(name, folder):
        if sidecar_path == keep:
            continue
        try:
            old = json.loads(sidecar_path.read_text(encoding="utf-8"))["recipe"]
            superseded = old == recipe or old["version"] < recipe["version"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if superseded:
            sidecar_path.with_suffix(".pt").unlink(missing_ok=True)
            sidecar_path.unlink(missing_ok=True)


def print_progress(step: int | None, total: int | None, message: str) -> None:
    """A `Progress` for `python -m`: each note on its own line, the bare ticks dropped."""
    if message:
        print(message, flush=True)
