"""What ended a command, in words and as its exit code: one description for the CLI's error
boundary and for a worker reporting its job's failure as plain data (a universe's member,
compare's candidate)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from forecast.errors import INTERNAL, ForecastError, exit_code, was_interrupted, was_terminated
from forecast.workers.environment import describe


@dataclass(frozen=True)
class Failure:
    message: str
    hint: str | None
    code: int

    def line(self) -> str:
        """One line: the message, then what to do."""
        return (f"{self.message}; {self.hint}" if self.hint else self.message).replace("\n", " ")

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


def failure(error: BaseException) -> Failure:
    code = exit_code(error)
    if was_interrupted(error):
        return Failure("terminated (SIGTERM)" if was_terminated(error) else "aborted", None, code)
    if isinstance(error, ForecastError):
        return Failure(error.message, error.hint, code)
    if isinstance(error, ImportError):  # a dependency that does not import: the environment, not the input
        message, hint, _ = describe(error)
        return Failure(message, hint, code)
    if isinstance(error, OSError):  # permissions, a read-only or full disk: the file and what to check
        where = f" {error.filename}" if error.filename else ""
        return Failure(
            f"cannot write or read{where}: {error.strerror or error}",
            "check that path's permissions and free space; nothing was half-written",
            code,
        )
    bug = f"internal error: {type(error).__name__}: {error}"
    return Failure(bug, "run again with --verbose and report the traceback", code)


def reported(work: Callable[[], dict[str, Any]], base: dict[str, Any]) -> dict[str, Any]:
    """A job's result as plain data that crosses processes and never raises for the job's own
    failure: `base` (which the work may add to, a run's folder before it fails), then "status"
    done and the work's result, or failed with the error in words and its exit code. Being
    stopped (Ctrl-C, SIGTERM) is not failing: that is raised."""
    try:
        done = work()
    except Exception as exc:
        if was_interrupted(exc):
            raise
        said = failure(exc)
        if said.code == INTERNAL and logging.getLogger("forecast").isEnabledFor(logging.DEBUG):
            traceback.print_exc()  # a bug: its traceback with --verbose, and the other jobs go on
        return {**base, "status": "failed", "error": str(said), "exit_code": said.code}
    return {**base, "status": "done", **done}


def lost(base: dict[str, Any], why: str) -> dict[str, Any]:
    """A job whose worker died (workers/pool.py: Lost), as a failed result."""
    return {**base, "status": "failed", "error": why, "exit_code": INTERNAL}
