"""Every test runs against its own QUIZAPP_HOME: the learner's real data is never touched."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

# The baseline the grading tests train (and every grade in them uses) comes from this seed
# rather than a per-install secret, so a session is reproducible on its machine. Set it to
# other values to prove the grading tests hold for any sane baseline (see the README).
os.environ.setdefault("QUIZAPP_TEST_BASELINE_SEED", "0")


@pytest.fixture(autouse=True)
def quizapp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "quizapp-home"
    home.mkdir()
    monkeypatch.setenv("QUIZAPP_HOME", str(home))
    for name in ("QUIZAPP_DECKS", "QUIZAPP_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def repo() -> Path:
    return REPO


def pytest_configure(config: pytest.Config) -> None:
    # Textual must not pick up a developer's terminal settings in snapshot tests.
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture(scope="session")
def baseline_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The QUIZAPP_HOME whose cache holds the session's trained baselines:
    QUIZAPP_TEST_BASELINE_DIR keeps it between sessions (every cached file's checksum is
    verified on every use, so a stale copy is retrained)."""
    kept = os.environ.get("QUIZAPP_TEST_BASELINE_DIR")
    return Path(kept) if kept else tmp_path_factory.mktemp("baseline-home")


def _train_in_child(home: Path, module: str) -> Path:
    """Train (or verify) a baseline in a child process, as a first `quizapp check` would."""
    import subprocess

    env = {**os.environ, "QUIZAPP_HOME": str(home)}
    env.pop("QUIZAPP_WORKSPACE", None)
    run = subprocess.run(
        [sys.executable, "-m", module],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if run.returncode != 0:
        pytest.fail(f"training the baseline ({module}) failed:\n{run.stdout}\n{run.stderr}")
    return home / "cache" / "baseline"


@pytest.fixture(scope="session")
def baseline_cache(baseline_home: Path) -> Path:
    """The trained FP32 baseline (quizapp.grading.baseline), trained ONCE per test session."""
    return _train_in_child(baseline_home, "quizapp.grading.baseline")


@pytest.fixture(scope="session")
def gpt_baseline_cache(baseline_home: Path) -> Path:
    """The trained FP32 GPT of the LLM exercises (quizapp.grading.gpt_baseline), trained ONCE
    per test session, in the same cache folder as the ResNet's."""
    return _train_in_child(baseline_home, "quizapp.grading.gpt_baseline")


@pytest.fixture
def shared_baseline(baseline_cache: Path, quizapp_home: Path) -> Path:
    """This test's QUIZAPP_HOME sees the session's trained baseline (read it, don't break it)."""
    target = quizapp_home / "cache" / "baseline"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(baseline_cache, target_is_directory=True)
    return target
