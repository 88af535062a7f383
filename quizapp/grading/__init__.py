"""Graded coding exercises, judged by a process that never runs the learner's Python.

Parent side (plain Python; the CLI and the TUI import these, never torch):
    catalogue   exercises/<id>/exercise.yaml, the learner's workspace copies, hints
    runner      run_check(): a grade's two child processes, their events, limits and cancel
    sandbox     bubblewrap for the learner's process, the process tree and its limits
    supervisor  the subreaper the learner's process runs under where there is no sandbox
    protocol    the bounded JSON lines the children send
    results     GradeResult / CheckResult and their JSON form

Child side (torch):
    learner     the learner's process: runs their file, saves what it returns (artifacts)
    checker     the checker: prepares the inputs, loads the artifacts, makes the verdict
    child       what the two share (the checks module, the quantized engine)
    checks      the library exercises write their checks.py with (both sides' contexts)
    artifacts   the job folder's files and the only loaders the checker uses
    ops         what a forward pass really runs (dispatched ops), the shared float-op set
    baseline    the FP32 ResNet-18 trained on digits, cached, checksummed, secret split
"""
