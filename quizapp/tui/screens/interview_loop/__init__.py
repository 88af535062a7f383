"""The interview loop's screens: the concept round (a mock's screen), the pause before the
coding round, the coding round (the exercise screen against the round's clock), the judging
of free answers, and the report. `session.LoopSession` knows which one a loop's phase needs."""
