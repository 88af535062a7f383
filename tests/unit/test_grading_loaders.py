"""The checker loads what a learner's run produced only with the three safe loaders
(quizapp.grading.artifacts: TorchScript, `torch.load(weights_only=True)`, JSON), and nothing
in the grading code can unpickle, import or execute a file any other way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GRADING = sorted((REPO / "quizapp" / "grading").glob("*.py"))
EXERCISE_CHECKS = sorted((REPO / "exercises").glob("*/checks.py"))
FIXTURE_CHECKS = sorted((REPO / "tests" / "fixtures" / "exercises").glob("*/checks.py"))
FILES = GRADING + EXERCISE_CHECKS + FIXTURE_CHECKS

# Where a dangerous call is the point (and what it loads is the app's own or the learner's
# code in the learner's process): file name -> the calls it may make.
ALLOWED = {
    "artifacts.py": {"torch.jit.load"},  # the archive runs in TorchScript's interpreter
    "learner.py": {"exec"},  # the learner's file, in the learner's process
    "child.py": {"importlib.util.spec_from_file_location"},  # the exercise's own checks.py
}
FORBIDDEN = {
    "pickle.load",
    "pickle.loads",
    "pickle.Unpickler",
    "marshal.load",
    "marshal.loads",
    "dill.load",
    "dill.loads",
    "cloudpickle.load",
    "cloudpickle.loads",
    "torch.jit.load",
    "torch.package.PackageImporter",
    "torch.hub.load",
    "exec",
    "eval",
    "importlib.import_module",
    "importlib.util.spec_from_file_location",
    "runpy.run_path",
    "runpy.run_module",
    "numpy.load",
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def _calls(path: Path) -> list[tuple[int, str, ast.Call]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.lineno, _dotted(node.func), node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    ]


def problems_in(path: Path, allowed: set[str]) -> list[str]:
    problems = []
    for line, name, call in _calls(path):
        if name in FORBIDDEN and name not in allowed:
            problems.append(f"{path.name}:{line}: {name}()")
        if name == "torch.load":
            weights_only = [k for k in call.keywords if k.arg == "weights_only"]
            if not (
                weights_only
                and isinstance(weights_only[0].value, ast.Constant)
                and weights_only[0].value.value is True
            ):
                problems.append(f"{path.name}:{line}: torch.load() without weights_only=True")
    return problems


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_only_the_safe_loaders(path: Path) -> None:
    allowed = ALLOWED.get(path.name, set()) if path.parent.name == "grading" else set()
    assert problems_in(path, allowed) == []


def test_the_scan_sees_what_it_forbids(tmp_path: Path) -> None:
    """The scan itself can fail: a file with each forbidden loader is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pickle, torch\n"
        "pickle.loads(b'')\n"
        "torch.load('m.pt')\n"
        "torch.load('m.pt', weights_only=False)\n"
        "torch.load('m.pt', weights_only=True)\n"
        "torch.jit.load('m.pt')\n"
        "exec('1')\n"
    )
    assert problems_in(bad, set()) == [
        "bad.py:2: pickle.loads()",
        "bad.py:3: torch.load() without weights_only=True",
        "bad.py:4: torch.load() without weights_only=True",
        "bad.py:6: torch.jit.load()",
        "bad.py:7: exec()",
    ]
