"""The concept round: the mock screen, saving into the loop and handing over to the coding
round when its clock stops (free answers are judged after both rounds)."""

from __future__ import annotations

from quizapp.core.mock.draw import MockSetup
from quizapp.tui.screens.interview_loop.session import RESUME_HINT, LoopSession
from quizapp.tui.screens.mock.run import MockRunScreen


class LoopConceptScreen(MockRunScreen):
    CSS_PATH = "../mock/run.tcss"  # relative to this file: the mock screen's own sheet
    SUBMIT_TITLE = "Submit the concept round?"
    LEAVE_TITLE = "Leave the interview loop?"
    LEAVE_TEXT = (
        "A real interview doesn't pause. If you leave, the loop is saved and its clock stops; "
        f"{RESUME_HINT}, and the report will say it was interrupted."
    )

    def __init__(self, session: LoopSession) -> None:
        plan = session.loop.plan
        super().__init__(
            session.loop_id,
            MockSetup(minutes=plan.concept_minutes, questions=plan.concepts),
            session.loop.concepts,
            clock=session.clock,
            now=session.now,
            deck_titles=session.deck_titles,
        )
        self.session = session
        self.sub_title = f"Interview loop {session.loop_id}: concept round"

    def _save(self, positions: list[int] | None = None) -> None:
        self.session.save(self.app.db)
        self._last_save = self.clock()

    def _after_end(self) -> None:
        self.notify(
            "Concept round over. Next: the coding round (its clock starts when you do).",
            title="Interview loop",
            timeout=6,
        )
        self.app.switch_screen(self.session.next_screen(self.app.db))
