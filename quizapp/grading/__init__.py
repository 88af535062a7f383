"""Graded coding exercises, judged by a process that never runs the learner's Python.

Parent side (plain Python; the CLI and the TUI import these, never torch):
    catalogue   exercises/<id>/exercise.yaml, the learner's workspace copies, hints
    runner      run_check(): a grade's course: its phases, clocks, cancel, what each end means
    children    starting the two child processes, their pipes, the learner's limits
    child_reports   what the children said, and what of it the parent believes
    sandbox     bubblewrap for the learner's process, the process tree and its limits
    supervisor  the subreaper the learner's process runs under where there is no sandbox
    protocol    the bounded JSON lines the children send
    results     GradeResult / CheckResult and their JSON form

Child side (torch):
    learner     the learner's process: runs their file, saves what it returns (artifacts)
    checker     the checker: prepares the inputs, loads the artifacts, makes the verdict
    child       what the two share (the checks module, the quantized engine)
    checks      the check DSL an exercise's checks.py declares its suite with (plain Python)
    learner_run Run: the learner's side of a suite (their module, inputs, artifacts, claims)
    checker_context  Context: the checker's side (inputs, artifacts, what it keeps)
    measure     measuring models: module types, sizes, logits, accuracy, latency
    recorded_calls   the learner's plain functions called on the checker's arguments
    call_watch  which functions the learner's code calls (a claim that can only fail them)
    artifacts   the job folder's files and the only loaders the checker uses
    ops         what a forward pass really runs (dispatched ops), the shared float-op set
    baseline    the FP32 ResNet-18 trained on digits, cached, checksummed, secret split

What several exercises' checks.py share (child side, torch):
    resnet_job  the digits ResNet-18 job: the checker's setup, quantize() in the learner's run
    resnet_checks   a quantized ResNet-18's structure: what it is and what its forward runs
    resnet_fidelity its predictions against FP32 on held-out images, and its speed (soft)
    lowbit      the W4A4 setting (qconfigs, the grader's own W4A4 PTQ, training batches)
    lowbit_layers   what a forward pass of a W4A4 model really quantizes, layer by layer
    convert_watch   what the learner's convert() was handed (qat-resnet18's claim)
    layer_sqnr  per-layer SQNR, layer-sensitivity's oracle
"""
