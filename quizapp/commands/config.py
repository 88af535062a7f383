"""`quizapp config [KEY [VALUE]]`: list, show or set a setting; VALUE `none` clears it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from quizapp.commands import fail
from quizapp.core.drill_queue import DEFAULT_NEW_PER_SESSION, parse_new_per_session
from quizapp.core.due_cards import LEARN_AHEAD, parse_learn_ahead
from quizapp.core.interview_pacing import parse_interview_date
from quizapp.core.study_days import study_day
from quizapp.storage.db import Database, utc_now
from quizapp.storage.exercises import (
    DEFAULT_GRADE_MEMORY_GIB,
    get_grade_memory_gib,
    set_grade_memory_gib,
)
from quizapp.storage.reviews import (
    get_interview_date,
    get_learn_ahead,
    get_new_per_session,
    set_interview_date,
    set_learn_ahead,
    set_new_per_session,
)


@dataclass(frozen=True)
class Setting:
    help: str
    show: Callable[[Database], str]
    set: Callable[[Database, str | None], str]  # returns what was stored, for the message


def _set_interview_date(db: Database, text: str | None) -> str:
    if text is None:
        set_interview_date(db, None)
        return "not set"
    day = parse_interview_date(text)
    today = study_day(utc_now())
    if day < today:
        raise ValueError(f"{day.isoformat()} is in the past (today is {today.isoformat()})")
    set_interview_date(db, day)
    return day.isoformat()


def _set_new_per_session(db: Database, text: str | None) -> str:
    if text is None:
        set_new_per_session(db, None)
        return f"{DEFAULT_NEW_PER_SESSION} (the default)"
    value = parse_new_per_session(text)
    set_new_per_session(db, value)
    return str(value)


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} min"


def _set_learn_ahead(db: Database, text: str | None) -> str:
    if text is None:
        set_learn_ahead(db, None)
        return f"{_minutes(LEARN_AHEAD)} (the default)"
    value = parse_learn_ahead(text)
    set_learn_ahead(db, value)
    return _minutes(value)


def _set_grade_memory(db: Database, text: str | None) -> str:
    if text is None:
        set_grade_memory_gib(db, None)
        return f"{DEFAULT_GRADE_MEMORY_GIB:g} GiB (the default)"
    cleaned = text.strip().lower().removesuffix("gib").removesuffix("gb").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of GiB (e.g. 4 or 6.5)") from None
    set_grade_memory_gib(db, value)
    return f"{value:g} GiB"


def _show_date(day: date | None) -> str:
    return day.isoformat() if day else "not set"


SETTINGS: dict[str, Setting] = {
    "interview-date": Setting(
        "the day of your interview (YYYY-MM-DD): drills pace new cards and pull reviews "
        "forward so that every card has been seen before it",
        lambda db: _show_date(get_interview_date(db)),
        _set_interview_date,
    ),
    "new-per-session": Setting(
        "new cards a drill session introduces (the interview date may raise it)",
        lambda db: str(get_new_per_session(db)),
        _set_new_per_session,
    ),
    "learn-ahead": Setting(
        "minutes early a card in learning may come back when nothing else is left in a "
        "drill (Anki's learn-ahead limit; 0 waits for every step)",
        lambda db: _minutes(get_learn_ahead(db)),
        _set_learn_ahead,
    ),
    "grade-memory": Setting(
        "GiB of resident memory your code may use while an exercise is graded",
        lambda db: f"{get_grade_memory_gib(db):g} GiB",
        _set_grade_memory,
    ),
}


def run(args: argparse.Namespace) -> int:
    known = ", ".join(SETTINGS)
    if args.key is not None and args.key not in SETTINGS:
        return fail(f"unknown setting {args.key!r} (settings: {known})")
    with Database() as db:
        for notice in db.notices:
            print(f"quizapp: {notice}")
        if args.key is None:
            width = max(len(k) for k in SETTINGS)
            for key, setting in SETTINGS.items():
                print(f"{key:<{width}}  {setting.show(db):<12}  {setting.help}")
            return 0
        setting = SETTINGS[args.key]
        if args.value is None:
            print(setting.show(db))
            return 0
        value = None if args.value.strip().lower() == "none" else args.value
        try:
            stored = setting.set(db, value)
        except ValueError as exc:
            return fail(f"config {args.key}: {exc}")
        print(f"{args.key} = {stored}")
        return 0
