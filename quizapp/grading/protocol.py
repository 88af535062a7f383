"""The lines grading processes send each other: one JSON object per line (parent side, no torch).

Both the learner's process and the checker write `{"kind": ..., ...}` lines on a pipe of
their own. The parent reads them with `LineReader`, which keeps at most `max_line` bytes of
a line: a longer one is dropped whole (and counted), and the work per byte is constant, so a
96 MB line costs a 96 MB read, not a quadratic rescan of a growing buffer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

MAX_LINE = 1 << 20  # bytes: a result with every check's message fits many times over


def encode(kind: str, **data: Any) -> bytes:
    """One message, with a newline before it too: whatever was written on the pipe before
    (a learner's unterminated garbage) ends there and cannot swallow the message."""
    return ("\n" + json.dumps({"kind": kind, **data}, allow_nan=False, default=str) + "\n").encode()


def send(fd: int, kind: str, **data: Any) -> None:
    """Write one message on `fd` (whole: a pipe write may be partial)."""
    view = memoryview(encode(kind, **data))
    while view:
        view = view[os.write(fd, view) :]


class LineReader:
    """Splits a byte stream into lines of at most `max_line` bytes; longer lines are dropped."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self.pending = bytearray()
        self.skipping = False  # inside a line that grew too long: drop up to its newline
        self.dropped = 0  # lines dropped for their length

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        start = 0
        while start < len(chunk):
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not self.skipping:
                if len(self.pending) + len(piece) > self.max_line:
                    self.pending.clear()
                    self.skipping = True
                    self.dropped += 1
                else:
                    self.pending += piece
            if end < 0:
                return
            if not self.skipping:
                yield bytes(self.pending)
            self.pending.clear()
            self.skipping = False
            start = end + 1


def messages(reader: LineReader, chunk: bytes) -> Iterator[dict[str, Any]]:
    """The well-formed messages in `chunk`: JSON objects with a string `kind`."""
    for line in reader.feed(chunk):
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and isinstance(message.get("kind"), str):
            yield message


def read_messages(fd: int, max_line: int = MAX_LINE) -> Iterator[dict[str, Any]]:
    """Every well-formed message on `fd` until its end (the fd is closed at the end)."""
    reader = LineReader(max_line)
    try:
        while chunk := os.read(fd, 1 << 16):
            yield from messages(reader, chunk)
    finally:
        os.close(fd)
