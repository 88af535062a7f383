"""`supervisor.main(COMMAND...)`: run COMMAND (the learner's process) under a child subreaper.

Used where there is no sandbox (see quizapp.grading.sandbox). The supervisor marks itself a
child subreaper, so every process the learner's code leaves behind (a `setsid` double fork
included) is re-parented to it rather than to init; when the learner's process ends, or the
parent sends SIGTERM (a timeout, a cancel, a limit) or dies, it SIGKILLs everything below it,
reaps it, and exits with the learner's exit code (128 + N for a signal N, as a shell and
bubblewrap report it). It imports no torch: it starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

from quizapp.grading.sandbox import (
    PR_SET_CHILD_SUBREAPER,
    PR_SET_PDEATHSIG,
    descendants,
    libc_prctl,
)

SUPERVISOR_ENV = "QUIZAPP_SUPERVISOR"  # the learner's process checks its parent is this pid


def _kill_everything() -> None:
    me = os.getpid()
    for _ in range(50):
        pids = descendants(me)
        if not pids:
            break
        for pid in reversed(pids):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        _reap()
    _reap()


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _stop(signum: int, frame: object) -> None:
    _kill_everything()
    os._exit(128 + signal.SIGKILL)


def main(argv: list[str] | None = None) -> None:
    command = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGTERM, _stop)
    libc_prctl(PR_SET_PDEATHSIG, signal.SIGTERM)  # the parent died: clean up all the same
    libc_prctl(PR_SET_CHILD_SUBREAPER, 1)
    env = {**os.environ, SUPERVISOR_ENV: str(os.getpid())}
    child = os.fork()
    if child == 0:  # pragma: no cover - replaced by exec
        try:
            os.execve(command[0], command, env)
        finally:
            os._exit(127)
    code = 1
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            break
    _kill_everything()
    os._exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":  # pragma: no cover
    main()
