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


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _port(text: str) -> int:
    port = _whole_number(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port goes from 1 to 65535")
    return port


def _new_card_limit(text: str) -> int:
    from quizapp.core.drill_queue import parse_new_per_session  # light: only when given

    try:
        return parse_new_per_session(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _exercise_ids() -> list[str]:
    """The shipped exercises' ids (their folders), without loading the catalogue."""
    from quizapp.resources import shipped_path

    try:
        root = shipped_path("exercises")
    except FileNotFoundError:
        return []
    return sorted(p.name for p in root.iterdir() if (p / "exercise.yaml").is_file())


class _HelpFormatter(argparse.HelpFormatter):
    """Fills `{exercises}` in a help text when help is shown: a normal start never reads
    the exercises folder for it."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        # Ids like fix-the-lesson stay whole: break at spaces only.
        import textwrap

        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        if text and "{exercises}" in text:
            text = text.replace("{exercises}", ", ".join(_exercise_ids()) or "none found")
        return text


# Defaults that live in modules too heavy to import for `--help`; tests/unit/test_cli_help.py
# checks them against the code.
MOCK_DEFAULT_MINUTES = 15
MOCK_DEFAULT_QUESTIONS = 10
NEW_PER_SESSION_DEFAULT = 20
ANKI_GENERATED_DEFAULT = 3
LOOP_DEFAULT_CONCEPTS = 8
LOOP_DEFAULT_CONCEPT_MINUTES = 15.0
LOOP_DEFAULT_CODING_MINUTES = 30.0
SETTINGS = ("interview-date", "new-per-session", "learn-ahead", "grade-memory")
# The contracts `quizapp schema` prints (commands.schema.CONTRACTS; a test keeps them equal).
SCHEMA_NAMES = ("decks", "sample", "exercises", "check", "stats")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quizapp",
        formatter_class=_HelpFormatter,
        description="Interview preparation for neural-network quantization: drills with "
        "spaced repetition, timed mock interviews and graded PyTorch exercises. "
        "Run without a command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"quizapp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, formatter_class=_HelpFormatter)

    p = add("validate", help="check decks and report every error")
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="deck files or folders (default: all decks)"
    )

    p = add("decks", help="list the decks with their card counts")
    p.add_argument("--json", action="store_true", help="print one JSON document")

    p = add("sample", help="show one question with its answer")
    p.add_argument(
        "card",
        metavar="DECK/CARD",
        help="a deck id and a card id, e.g. int8-math/qparams-drill "
        "(`quizapp decks` lists the decks; a wrong card id lists the deck's cards)",
    )
    p.add_argument(
        "--seed", type=int, metavar="N", help="seed for generated numbers (default: random)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")

    p = add("drill", help="open the app straight into a drill session")
    p.add_argument("--deck", metavar="ID", help="only this deck (default: every deck)")
    p.add_argument("--tag", metavar="T", help="only cards with this tag (default: any card)")
    p.add_argument("--cram", action="store_true", help="review without changing the schedule")
    p.add_argument(
        "--limit",
        type=_new_card_limit,
        metavar="N",
        help="new cards in this session, 0 to 500; 0 reviews only (default: the "
        f"new-per-session setting, {NEW_PER_SESSION_DEFAULT} unless changed with "
        "`quizapp config`)",
    )

    p = add("mock", help="a timed mock interview (or its reports)")
    p.add_argument(
        "--minutes",
        type=_positive_float,
        metavar="M",
        help=f"total time, may be fractional (default: {MOCK_DEFAULT_MINUTES})",
    )
    p.add_argument(
        "--questions",
        type=_positive_int,
        metavar="N",
        help=f"number of questions (default: {MOCK_DEFAULT_QUESTIONS})",
    )
    p.add_argument(
        "--deck",
        action="append",
        metavar="ID",
        help="draw from this deck, repeatable (default: every deck)",
    )
    p.add_argument(
        "--tag",
        action="append",
        metavar="T",
        help="draw cards with this tag, repeatable (default: any card)",
    )
    p.add_argument(
        "--per-question",
        type=_positive_float,
        metavar="SECONDS",
        help="limit per question (default: none)",
    )
    p.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="seed for the draw and generated numbers (default: random)",
    )
    p.add_argument(
        "--resume",
        nargs="?",
        const="",
        metavar="ID",
        help="continue an unfinished mock where it stopped (default ID: the latest one)",
    )
    p.add_argument(
        "--new",
        action="store_true",
        help="start a new mock even though one is unfinished (that one stays to resume)",
    )
    p.add_argument("--report", metavar="ID", help="show the report of a finished mock")
    p.add_argument("--markdown", action="store_true", help="with --report: write it as Markdown")

    p = add(
        "interview",
        help="a full interview loop: a concept round and a timed coding round (or its reports)",
    )
    p.add_argument(
        "--concepts",
        type=_positive_int,
        metavar="N",
        help=f"concept questions (default: {LOOP_DEFAULT_CONCEPTS})",
    )
    p.add_argument(
        "--concept-minutes",
        type=_positive_float,
        metavar="M",
        help=f"the concept round's time (default: {LOOP_DEFAULT_CONCEPT_MINUTES:g})",
    )
    p.add_argument(
        "--coding",
        metavar="ID",
        help="the coding round's exercise, or random (default: random, one you have not passed)",
    )
    p.add_argument(
        "--coding-minutes",
        type=_positive_float,
        metavar="C",
        help=f"the coding round's time (default: {LOOP_DEFAULT_CODING_MINUTES:g})",
    )
    p.add_argument("--seed", type=int, metavar="S", help="seed for the draws (default: random)")
    p.add_argument(
        "--resume",
        nargs="?",
        const="",
        metavar="ID",
        help="continue an unfinished loop where it stopped (default ID: the latest one)",
    )
    p.add_argument(
        "--new",
        action="store_true",
        help="start a new loop even though one is unfinished (that one stays to resume)",
    )
    p.add_argument("--report", metavar="ID", help="show the report of a finished loop")
    p.add_argument("--markdown", action="store_true", help="with --report: write it as Markdown")

    p = add("exercises", help="list the coding exercises with your status")
    p.add_argument("--json", action="store_true", help="print one JSON document")

    p = add("check", help="grade a coding exercise")
    p.add_argument("exercise", metavar="ID", help="the exercise: {exercises}")
    p.add_argument("--file", metavar="F", help="the file to grade (default: your workspace copy)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="S",
        help="wall-clock limit in seconds (default: the exercise's own limit)",
    )
    p.add_argument("--watch", action="store_true", help="re-grade every time the file is saved")

    p = add(
        "export",
        help="write the decks for another app: `export anki` writes an Anki package "
        "(cards only: your progress is not exported)",
    )
    p.add_argument("format", choices=["anki"], metavar="FORMAT", help="anki (the only one)")
    p.add_argument(
        "--deck",
        action="append",
        metavar="ID",
        help="export this deck, repeatable (default: every deck)",
    )
    p.add_argument(
        "--tag",
        action="append",
        metavar="T",
        help="export cards with this tag, repeatable (default: any card)",
    )
    p.add_argument(
        "--generated",
        type=_whole_number,
        default=ANKI_GENERATED_DEFAULT,
        metavar="N",
        help="drawn instances per generated card, each with its worked answer, 0 to 50 "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--out", metavar="FILE", help="the package to write (default: quizapp.apkg here)"
    )

    p = add("serve", help="serve the app in a web browser (each tab is its own app)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="HOST",
        help="the address to listen on; another than this machine's own lets anyone who "
        "reaches it use the app (default: %(default)s)",
    )
    p.add_argument(
        "--port", type=_port, default=8000, metavar="PORT", help="(default: %(default)s)"
    )

    p = add("stats", help="progress figures")
    p.add_argument("--json", action="store_true", help="print one JSON document")

    p = add("schema", help="print the JSON Schema of a command's --json output")
    p.add_argument(
        "name",
        nargs="?",
        choices=SCHEMA_NAMES,
        metavar="NAME",
        help=f"one of {', '.join(SCHEMA_NAMES)} (default: all of them, by name)",
    )

    p = add("config", help="show or set a setting (e.g. interview-date 2026-12-15)")
    p.add_argument(
        "key",
        nargs="?",
        metavar="KEY",
        help=f"one of {', '.join(SETTINGS)} (default: list them all with their values)",
    )
    p.add_argument(
        "value",
        nargs="?",
        metavar="VALUE",
        help="the new value; 'none' restores the default (default: show the current value)",
    )
    return parser


def _command_parser(
    parser: argparse.ArgumentParser, command: str | None
) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the command's own usage, not the top-level one
        _command_parser(parser, args.command).error(f"unrecognized arguments: {' '.join(unknown)}")
    command = args.command or "tui"
    module = importlib.import_module(f"quizapp.commands.{command}")
    # Imported here, not at the top: `quizapp --help` needs no pydantic.
    from quizapp.storage.settings import SettingsError, settings

    try:
        settings()  # a bad environment variable is named before any work starts
        return int(module.run(args) or 0)
    except SettingsError as exc:
        print(f"quizapp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `quizapp decks | head`
        return 0
