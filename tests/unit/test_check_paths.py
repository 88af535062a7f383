"""`quizapp check --json` prints one JSON object on every path, also for files that are
no Python file at all (no child process is started for them)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from quizapp.cli import main

MATH = "int8-affine-math"


@pytest.mark.parametrize("kind", ["folder", "fifo", "symlink-loop", "null-bytes"])
def test_check_json_prints_one_object_for_any_path(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "learner.py"
    if kind == "folder":
        target.mkdir()
        expected = "is a folder, not a Python file"
    elif kind == "fifo":
        os.mkfifo(target)
        expected = "is not a regular file"
    elif kind == "symlink-loop":
        target.symlink_to(tmp_path / "other.py")
        (tmp_path / "other.py").symlink_to(target)
        expected = "cannot be read: Too many levels of symbolic links"
    else:
        target.write_bytes(b"def quantize(x):\n    return x\x00\n")
        expected = "learner.py:2:13: the file contains a null byte"
    code = main(["check", MATH, "--file", str(target), "--json"])
    out = capsys.readouterr().out
    result = json.loads(out)  # exactly one object
    assert code == 1
    assert result["status"] == "error" and result["exercise"] == MATH
    assert expected in result["message"]
    assert "None, line None" not in result["message"]
