"""The TUI process never imports torch: it takes seconds, and grading runs in a child."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import quizapp.cli, quizapp.core, quizapp.storage, quizapp.tui.app, quizapp.grading
import quizapp.grading.runner, quizapp.grading.sandbox, quizapp.grading.supervisor
import quizapp.grading.protocol, quizapp.grading.catalogue, quizapp.grading.results
import quizapp.core.loader, quizapp.core.questions, quizapp.library
from quizapp.tui import screens
for name in screens.MAIN_SCREENS:
    module_name, _ = screens.MAIN_SCREENS[name]
    try:
        __import__(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
heavy = sorted(m for m in ("torch", "torchvision", "torchao", "sklearn", "numpy") if m in sys.modules)
print(",".join(heavy))
"""


def test_app_modules_leave_torch_unimported() -> None:
    run = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == ""


def test_core_imports_neither_textual_nor_torch() -> None:
    code = "import sys, quizapp.core.loader, quizapp.core.questions, quizapp.core.int8; print('textual' in sys.modules, 'torch' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False False"
