"""Graded coding exercises.

Parent side (plain Python; the CLI and the TUI import these, never torch):
    catalogue  exercises/<id>/exercise.yaml, the learner's workspace copies, hints
    runner     run_check(): grade a file in a child process, with events and cancel
    results    GradeResult / CheckResult and their JSON form

Child side (`python -m quizapp.grading.worker`, the only code that imports torch):
    worker     runs the learner's file and an exercise's checks, reports through a pipe
    checks     the library exercises write their checks.py with
    baseline   the FP32 ResNet-18 trained on digits, cached and checksummed
"""
