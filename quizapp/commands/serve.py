"""`quizapp serve [--host 127.0.0.1] [--port 8000]`: the same app in a browser (textual-serve).

Each browser tab gets its own app process, started as `python -m quizapp` with this process's
environment, so every tab uses the same QUIZAPP_HOME (progress, decks, workspace). Bound to
127.0.0.1 unless another host is asked for, because whoever reaches the page uses the app as
you, with your progress and your exercise files.
"""

from __future__ import annotations

import argparse
import errno
import shlex
import socket
import sys

from quizapp.commands import fail

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def _port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen there, asked before the server starts (aiohttp would
    print a traceback): a port in use, or a host this machine does not have."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"cannot serve on {host}: {exc.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} is in use on {host}: try --port {port + 1}"
            return f"cannot serve on {host}:{port}: {exc.strerror}"
    return None


def run(args: argparse.Namespace) -> int:
    problem = _port_problem(args.host, args.port)
    if problem:
        return fail(problem)
    from textual_serve.server import Server

    if args.host not in LOCAL_HOSTS:
        print(
            f"Serving on {args.host}: anyone who can reach this machine on port {args.port} "
            "can use the app, with your progress and your exercise files.",
            file=sys.stderr,
        )
    command = f"{shlex.quote(sys.executable)} -m quizapp"
    Server(command, host=args.host, port=args.port, title="quizapp").serve()
    return 0
