"""Where the learner's process runs, and what keeps it there (parent side: no torch).

With bubblewrap (`bwrap`) the learner's process runs in a sandbox: the whole file system
read-only, quizapp's own folders (data, cache, workspace: the progress database, the
baseline and its held-out split) replaced by empty ones, a private `/tmp` of bounded size
holding the job's inputs (read-only), its output folder and a working folder, no network,
its own PID namespace (when it ends, everything it started ends with it), every capability
dropped (as root without `--cap-drop ALL`, `mount -o remount,rw /` inside would write to the
host), and it dies with its parent.

Without bubblewrap it runs under a supervisor (`quizapp.grading.supervisor`), a child
subreaper that adopts every process the learner's code leaves behind and kills them all when
the learner's process ends or the parent says so. The grade then reports that it was not
sandboxed: the learner's code runs as the user and could change files the app trusts.

Either way the parent polls the process tree (`ProcessTree`) for its resident memory and its
number of processes (RLIMIT_AS would refuse torch, which reserves 3.6 GB of address space at
import, and RLIMIT_NPROC does not bind root), and the learner's process limits its own core
dumps and file sizes.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

GIB = 1 << 30
JOB_ROOT = "/tmp/quizapp-job"  # where the job's folders appear inside the sandbox
NOT_SANDBOXED = "not sandboxed: a submission could tamper with later grades"


@dataclass(frozen=True)
class Limits:
    """What the learner's process may use (the time limit is the exercise's)."""

    memory_bytes: int = 4 * GIB  # resident memory of the whole process tree
    processes: int = 32  # processes in the tree at once (torch uses threads, not processes)
    file_bytes: int = 2 * GIB  # any one file it writes (RLIMIT_FSIZE)
    tmp_bytes: int = 2 * GIB  # its private /tmp (sandboxed)


def libc_prctl(option: int, value: int) -> bool:
    """prctl(2) through libc; False where it is not available (not Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return False


def die_with_parent(expected_parent: int) -> None:
    """SIGKILL this process when its parent dies; if that already happened, die now."""
    libc_prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != expected_parent:
        os._exit(70)


# --- bubblewrap -------------------------------------------------------------------------


def sandbox_setting() -> str:
    """QUIZAPP_SANDBOX: "auto" (bubblewrap when it works, the default), "off", or "require"."""
    # Imported here: the learner's child imports this module for its limits and needs no
    # pydantic before the learner's code starts.
    from quizapp.storage.settings import settings

    return settings().sandbox


@functools.cache
def _bwrap_probe() -> str | None:
    """The path of a bwrap that can start a sandbox here, or None."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        probe = subprocess.run(
            [path, *_BASE_FLAGS, "--", "/bin/sh", "-c", "exit 0"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=10,
        )
        if probe.returncode == 0:
            return path
    return None


def bwrap_path() -> str | None:
    """bwrap, if the setting allows it and it works on this machine."""
    return None if sandbox_setting() == "off" else _bwrap_probe()


def sandbox_unavailable_reason() -> str:
    if sandbox_setting() == "off":
        return "QUIZAPP_SANDBOX=off"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (e.g. `apt-get install bubblewrap`)"
    return "bubblewrap is installed but cannot start a sandbox here"


_BASE_FLAGS = (
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-ipc",
    "--unshare-uts",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
)


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def bwrap_command(
    bwrap: str,
    command: Sequence[str],
    *,
    job_dir: Path,
    hidden: Iterable[Path],
    needed: Iterable[Path],
    env: dict[str, str],
    limits: Limits,
) -> list[str]:
    """`command` in a sandbox where `job_dir`'s in/ (read-only), out/ and work/ folders
    appear under JOB_ROOT, `hidden` folders are empty, and `needed` ones (the interpreter,
    the package) are readable even where they lie under /tmp or a hidden folder."""
    args = [bwrap, *_BASE_FLAGS[:7], "--size", str(limits.tmp_bytes), *_BASE_FLAGS[7:]]
    tmp = Path("/tmp")
    hidden = sorted({p.resolve() for p in hidden if p.exists()})
    for path in sorted({p.resolve() for p in needed if p.exists()}):
        if _under(Path(JOB_ROOT), path):  # /tmp itself: the job's folders go there
            continue
        if _under(path, tmp) or any(_under(path, h) for h in hidden):
            args += ["--ro-bind", str(path), str(path)]
    for path in hidden:
        if not _under(path, tmp):  # /tmp is private already
            args += ["--tmpfs", str(path)]
    root = JOB_ROOT
    args += [
        "--ro-bind",
        str(job_dir / "in"),
        f"{root}/in",
        "--bind",
        str(job_dir / "out"),
        f"{root}/out",
        "--dir",
        f"{root}/work",
        "--chdir",
        f"{root}/work",
        "--clearenv",
    ]
    for name, value in env.items():
        args += ["--setenv", name, value]
    return [*args, "--", *command]


def with_link_targets(folders: Iterable[Path]) -> list[Path]:
    """`folders` and the targets of the symlinks directly inside them (a cache folder whose
    baseline is a link elsewhere must hide that elsewhere too)."""
    found = []
    for folder in folders:
        found.append(folder)
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                if entry.is_symlink():
                    found.append(entry.resolve())
    return found


def interpreter_paths() -> list[Path]:
    """What the learner's Python needs to read: the interpreter, its prefixes and the
    sys.path entries inside them (not the caller's own script folder: the learner's
    interpreter runs isolated, with -I)."""
    prefixes = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    paths = [Path(sys.executable).resolve().parent, *prefixes]
    for entry in sys.path:
        if entry and os.path.isdir(entry):
            path = Path(entry).resolve()
            if any(_under(path, prefix) for prefix in prefixes):
                paths.append(path)
    return paths


# --- the process tree -------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The direct children of `pid` (every thread's), from /proc."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(p) for p in f.read().split())
    return found


def descendants(pid: int) -> list[int]:
    """`pid`'s children, their children, and so on (not `pid` itself)."""
    found: list[int] = []
    queue = children(pid)
    while queue:
        current = queue.pop()
        if current in found:
            continue
        found.append(current)
        queue.extend(children(current))
    return found


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes(pid: int) -> int:
    """The process's proportional share of resident memory (PSS: pages shared after a fork
    count once over the tree, not once per process), else its resident set."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def tree_processes(root: int) -> int:
    """How many processes run below `root` (the sandbox or the supervisor, not counted)."""
    return len(descendants(root))


def tree_memory(root: int) -> int:
    """The resident memory of everything below `root`."""
    return sum(resident_bytes(p) for p in descendants(root))


def kill_tree(root: int) -> None:
    """SIGKILL `root` and everything below it, bottom-up, until nothing is left (a process
    that forks while we look is caught on the next round)."""
    for _ in range(50):
        pids = descendants(root)
        for pid in reversed(pids):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if not pids:
            break
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(root, signal.SIGKILL)


def set_file_limits(limits: Limits) -> None:
    """In the learner's process: no core files, no file larger than the limit."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX
        pass
