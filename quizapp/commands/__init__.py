"""One module per `quizapp` subcommand, each with `run(args) -> int` (the exit code)."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(document: Any) -> None:
    """The whole stdout of a --json command: one JSON document and a newline."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def fail(message: str, code: int = 1) -> int:
    print(f"quizapp: {message}", file=sys.stderr)
    return code
