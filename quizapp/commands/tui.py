"""`quizapp` with no command: the app, on its home screen."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from quizapp.tui.app import QuizApp

    QuizApp().run()
    return 0
