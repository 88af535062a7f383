"""The timed mock interview: set-up and history, the run against the clock, self-grading
after it, and the report. Each screen's module has its .tcss beside it."""
