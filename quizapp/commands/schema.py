"""`quizapp schema [NAME]`: the JSON Schema of each `--json` output, the contracts other tools
read.

Each schema is generated from the class that declares the output (pydantic, serialization
mode, so it describes what the command writes, with every always-written field required);
`tests/unit/test_schema.py` validates a real output of each command against it.
"""

from __future__ import annotations

import argparse
from typing import Any

from quizapp.commands import print_json
from quizapp.commands.decks import DecksDocument
from quizapp.commands.exercises import ExercisesDocument
from quizapp.commands.sample import SampleDocument
from quizapp.core.json_contract import adapter
from quizapp.core.stats.document import StatsDocument
from quizapp.grading.results import GradeResult

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# name -> (the command whose output it describes, the class that declares it)
CONTRACTS: dict[str, tuple[str, type[Any]]] = {
    "decks": ("quizapp decks --json", DecksDocument),
    "sample": ("quizapp sample DECK/CARD --json", SampleDocument),
    "exercises": ("quizapp exercises --json", ExercisesDocument),
    "check": ("quizapp check ID --json", GradeResult),
    "stats": ("quizapp stats --json", StatsDocument),
}


def schema_of(name: str) -> dict[str, Any]:
    command, kind = CONTRACTS[name]
    schema: dict[str, Any] = adapter(kind).json_schema(mode="serialization", by_alias=True)
    return {"$schema": JSON_SCHEMA_DIALECT, **schema, "title": command}


def run(args: argparse.Namespace) -> int:
    if args.name:
        print_json(schema_of(args.name))
    else:
        print_json({name: schema_of(name) for name in CONTRACTS})
    return 0
