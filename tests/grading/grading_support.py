"""What the exercise test files share: a home that reuses the session's baseline, and
grading many learner files two at a time through the real runner."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from quizapp.grading.results import CheckResult, GradeResult
from quizapp.grading.runner import run_check


def home_with_baseline(baseline_cache: Path, tmp_path_factory: pytest.TempPathFactory, name: str):
    """A QUIZAPP_HOME whose cache links to the session's trained baseline."""
    home = tmp_path_factory.mktemp(name)
    (home / "cache").mkdir()
    (home / "cache" / "baseline").symlink_to(baseline_cache, target_is_directory=True)
    return home


def grade_all(
    jobs: dict[str, tuple[str, Path]], home: Path, timeout: float
) -> dict[str, GradeResult]:
    """Each job (exercise id, file) graded in `home`, two at a time, one thread each (or
    QUIZAPP_GRADE_THREADS each, to run the grading tests at another thread count)."""
    threads = grade_threads()

    def grade(job: tuple[str, Path]) -> GradeResult:
        exercise_id, path = job
        return run_check(exercise_id, path, timeout=timeout, threads=threads)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUIZAPP_HOME", str(home))
        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(zip(jobs, pool.map(grade, jobs.values()), strict=True))


def grade_threads() -> int:
    """The threads each grade of `grade_all` gets."""
    return int(os.environ.get("QUIZAPP_GRADE_THREADS") or 1)


def by_name(result: GradeResult) -> dict[str, CheckResult]:
    return {c.name: c for c in result.checks}
