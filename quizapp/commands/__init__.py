"""One module per `quizapp` subcommand, each with `run(args) -> int` (the exit code)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def print_json(document: Any) -> None:
    """The whole stdout of a --json command: one JSON document and a newline."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def given_options(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    """The flags among `names` that were given (as typed: `--per-question`), in order: what a
    mode like --report or --resume names when it refuses to combine with them."""
    return [
        "--" + n.replace("_", "-") for n in names if getattr(args, n, None) not in (None, False)
    ]


def fail(message: str, code: int = 1) -> int:
    print(f"quizapp: {message}", file=sys.stderr)
    return code


def make_console(file: IO[str] | None = None) -> Console:
    """A Rich console for a command's report. On a terminal lines wrap at its width; piped or
    redirected nothing is wrapped, so a line never breaks mid-phrase at an imagined 80
    columns (tables keep their layout either way)."""
    from rich.console import Console

    stream = file or sys.stdout
    return Console(file=file, highlight=False, soft_wrap=not stream.isatty())
