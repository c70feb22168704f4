"""Sliding windows and the chronological split (pure numpy, no loop over rows).

Window i reads rows [i, i + lookback) and predicts rows [t, t + output_steps) with
t = i + lookback, its first target row. The split is made on target rows:

    rows:    0 ............ val_start ........ test_start ........ n
    train:   every target row <  val_start
    val:     every target row in [val_start, test_start)
    test:    every target row >= test_start

A test window may read inputs from the training part (that is known history), but
no training target lies at or after the first validation or test target, and a
window whose targets straddle a boundary belongs to neither side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@dataclass(frozen=True)
class Split:
    lookback: int
    output_steps: int
    train_start: int  # first row any window of this split may read
    val_start: int  # first validation target row (== test_start when there is no validation)
    test_start: int  # first test target row
    test_end: int  # one past the last test target row
    train: np.ndarray  # first target row of each window, per part
    val: np.ndarray
    test: np.ndarray


def split_bounds(
    lookback: int, output_steps: int, train_start: int, val_start: int, test_start: int, test_end: int
) -> Split:
    """Windows whose inputs start at or after train_start, split by where their targets fall."""
    first = np.arange(train_start + lookback, test_end - output_steps + 1)  # every possible first target row
    last = first + output_steps - 1
    return Split(
        lookback=lookback,
        output_steps=output_steps,
        train_start=train_start,
        val_start=val_start,
        test_start=test_start,
        test_end=test_end,
        train=first[last < val_start],
        val=first[(first >= val_start) & (last < test_start)],
        test=first[first >= test_start],
    )


def validation_start(train_start: int, test_start: int, val_fraction: float) -> int:
    """The validation tail is the last val_fraction of the training rows."""
    return test_start - int(round((test_start - train_start) * val_fraction))


def split_rows(
    n_rows: int, lookback: int, output_steps: int, test_fraction: float, val_fraction: float, first_row: int = 0
) -> Split:
    """The chronological split of a whole series; windows read nothing before first_row."""
    test_start = n_rows - max(1, int(round(n_rows * test_fraction)))
    val_start = validation_start(first_row, test_start, val_fraction)
    return split_bounds(lookback, output_steps, first_row, val_start, test_start, n_rows)


def windows(values: np.ndarray, targets: np.ndarray, starts: np.ndarray, lookback: int, output_steps: int):
    """Inputs (m, lookback, features) and targets (m, output_steps) for the given first target rows.

    `values` is (rows, features); `targets` is (rows,). sliding_window_view is a
    zero-copy view; indexing it by `starts` copies only the windows asked for.
    """
    values = np.asarray(values).reshape(len(values), -1)
    inputs = sliding_window_view(values, lookback, axis=0)  # (rows - lookback + 1, features, lookback)
    x = inputs[starts - lookback].transpose(0, 2, 1)
    y = sliding_window_view(np.asarray(targets), output_steps)[starts]
    return np.ascontiguousarray(x), np.ascontiguousarray(y)
