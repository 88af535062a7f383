"""The TUI process never imports torch: it takes seconds, and grading runs in a child.

The import-linter contracts in pyproject.toml (`make lint`) check what quizapp's own modules
import; this checks what the process really loads, third-party packages' imports included."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import quizapp.cli, quizapp.core, quizapp.storage, quizapp.tui.app, quizapp.grading
import quizapp.grading.runner, quizapp.grading.sandbox, quizapp.grading.supervisor
import quizapp.grading.protocol, quizapp.grading.catalogue, quizapp.grading.results
import quizapp.core.loader, quizapp.core.questions, quizapp.library
# Every module of the TUI (each main screen among them) and the CLI commands.
import pkgutil, quizapp.commands
for package in (quizapp.tui, quizapp.commands):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        __import__(module.name)
heavy = sorted(m for m in ("torch", "torchvision", "torchao", "sklearn", "numpy") if m in sys.modules)
print(",".join(heavy))
"""


def test_app_modules_leave_torch_unimported() -> None:
    run = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == ""
