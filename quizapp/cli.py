"""The `quizapp` command. No arguments: the TUI. Subcommands: see `quizapp --help`.

Imports stay light here: each subcommand's module is imported only when it runs, and nothing
on this path imports torch (grading runs in a child process).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from quizapp import __version__


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quizapp",
        description="Interview preparation for neural-network quantization: drills with "
        "spaced repetition, timed mock interviews and graded PyTorch exercises. "
        "Run without a command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"quizapp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check decks and report every error")
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="deck files or folders (default: all decks)"
    )

    p = sub.add_parser("decks", help="list the decks with their card counts")
    p.add_argument("--json", action="store_true", help="print one JSON document")

    p = sub.add_parser("sample", help="show one question with its answer")
    p.add_argument("card", metavar="DECK/CARD")
    p.add_argument("--seed", type=int, help="seed for generated numbers (default: random)")
    p.add_argument("--json", action="store_true", help="print one JSON document")

    p = sub.add_parser("drill", help="open the app straight into a drill session")
    p.add_argument("--deck", metavar="ID", help="only this deck")
    p.add_argument("--tag", metavar="T", help="only cards with this tag")
    p.add_argument("--cram", action="store_true", help="review without changing the schedule")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="new cards in this session")

    p = sub.add_parser("mock", help="a timed mock interview (or its reports)")
    p.add_argument(
        "--minutes", type=_positive_float, metavar="M", help="total time (may be fractional)"
    )
    p.add_argument("--questions", type=_positive_int, metavar="N", help="number of questions")
    p.add_argument("--deck", action="append", metavar="ID", help="draw from this deck (repeatable)")
    p.add_argument(
        "--tag", action="append", metavar="T", help="draw cards with this tag (repeatable)"
    )
    p.add_argument(
        "--per-question", type=_positive_float, metavar="SECONDS", help="limit per question"
    )
    p.add_argument("--seed", type=int, help="seed for the draw and generated numbers")
    p.add_argument("--report", metavar="ID", help="show the report of a finished mock")
    p.add_argument("--markdown", action="store_true", help="with --report: write it as Markdown")

    p = sub.add_parser("exercises", help="list the coding exercises with your status")
    p.add_argument("--json", action="store_true", help="print one JSON document")

    p = sub.add_parser("check", help="grade a coding exercise")
    p.add_argument("exercise", metavar="ID")
    p.add_argument("--file", metavar="F", help="the file to grade (default: your workspace copy)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument(
        "--timeout", type=_positive_float, metavar="S", help="wall-clock limit in seconds"
    )
    p.add_argument("--watch", action="store_true", help="re-grade every time the file is saved")

    p = sub.add_parser("stats", help="progress figures")
    p.add_argument("--json", action="store_true", help="print one JSON document")

    p = sub.add_parser("config", help="show or set a setting (e.g. interview-date 2026-12-15)")
    p.add_argument("key", nargs="?", metavar="KEY")
    p.add_argument("value", nargs="?", metavar="VALUE", help="new value; 'none' clears it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "tui"
    module = importlib.import_module(f"quizapp.commands.{command}")
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `quizapp decks | head`
        return 0
