"""Timed mock interviews: the set-up and the questions it draws (`draw`), scoring an answer
(`scoring`), the run against the clock (`run`) and the report (`report`).

Plain Python (no textual, no torch): storage saves a mock, the screens show it.
"""
