"""After both rounds: the learner judges their free and flashcard answers of the concept
round (the mock's grading screen, saving into the loop), then the report."""

from __future__ import annotations

from quizapp.core.mock.draw import MockSetup
from quizapp.tui.screens.interview_loop.session import RESUME_HINT, LoopSession
from quizapp.tui.screens.mock.grade import MockGradeScreen


class LoopJudgeScreen(MockGradeScreen):
    CSS_PATH = "../mock/grade.tcss"  # relative to this file: the mock screen's own sheet

    def __init__(self, session: LoopSession) -> None:
        plan = session.loop.plan
        super().__init__(
            session.loop_id,
            MockSetup(minutes=plan.concept_minutes, questions=plan.concepts),
            session.loop.concepts,
            session.now,
            session.deck_titles,
        )
        self.session = session
        self.sub_title = f"Interview loop {session.loop_id}: judge your concept answers"

    def _save_judgment(self, position: int) -> None:
        self.session.save(self.app.db)

    def action_leave(self) -> None:
        self.notify(f"Saved: {RESUME_HINT} for grading.", title="Grading later")
        self.dismiss()

    def _finish(self) -> None:
        self.session.loop.concepts.complete()
        self.session.save(self.app.db)
        self.app.switch_screen(self.session.next_screen(self.app.db))
