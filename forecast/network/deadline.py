"""A wall-clock deadline for training, set by whoever runs it: a tune trial under `--timeout`
(tuning/trials.py) ends at it, within a batch, instead of running its folds to the end.

A context variable, not an argument threaded through folds, series and fits: only the code that
sets it and the training loop that checks it know of it, and a fit with none set is unchanged.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("training_deadline", default=None)


class OutOfTime(Exception):
    """Raised in training once the deadline (time.time() seconds) has passed."""


@contextlib.contextmanager
def until(deadline: float | None) -> Iterator[None]:
    """Training inside ends with OutOfTime once time.time() passes `deadline` (None: never)."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def after(seconds: float) -> float:
    """The deadline `seconds` from now (on the clock check() reads)."""
    return time.time() + seconds


def check() -> None:
    """OutOfTime when a deadline is set and has passed (training calls it after every batch)."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.time() >= deadline:
        raise OutOfTime(f"the deadline passed {time.time() - deadline:.0f} s ago")
