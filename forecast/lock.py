"""An exclusive, non-blocking lock per model: an OS file lock, released when the process dies.

flock locks belong to the open file: a process killed with SIGKILL loses its lock at
once, so a crashed retrain never blocks the next one (no stale lock files to clean).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from forecast.errors import TryLaterError


@contextlib.contextmanager
def exclusive(path: Path, what: str) -> Iterator[None]:
    """Hold the lock at `path` for the block; raise TryLaterError (exit 75) if another process has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise TryLaterError(
                f"{what} is already running (pid {holder}, lock {path})",
                hint="this run exits; the next scheduled one will try again",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
