"""What Keras trains on: every member's training and validation windows, scaled by its
own encoding, as arrays, or as batch-cutting datasets when they would not fit in memory."""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from forecast.config import Config
from forecast.errors import DataError
from forecast.network.training import import_keras
from forecast.prepare.encoding import Encoding

log = logging.getLogger(__name__)


class Stored(Protocol):
    """A run's split as stored (rundir/artifacts.py: SplitFile): its values and window positions."""

    values: np.ndarray
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def part(w: Stored, name: str, encoding: Encoding) -> tuple[np.ndarray, np.ndarray]:
    """The network's inputs and targets for one part ('train', 'val' or 'test')."""
    return encoding.windows(w.values, getattr(w, name))


def training_inputs(members: list[tuple[Stored, Encoding]], config: Config) -> tuple:
    """(x_train, y_train, x_val, y_val) for Keras; members are (windows, encoding) pairs."""
    import_keras()  # TensorFlow's banners are silenced only if forecast imports it first
    from forecast.network.batches import STREAM_ABOVE, WindowBatches, window_bytes

    names = ("train", "val")
    size = sum(window_bytes(getattr(w, name), w.values.shape[1], config.prep) for w, _ in members for name in names)
    if size <= STREAM_ABOVE:
        arrays = []
        for name in names:
            parts = [part(w, name, encoding) for w, encoding in members]
            arrays += [np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])]
        return tuple(arrays)
    if len(members) > 1:
        raise DataError(
            f"the pooled windows would take {size / 2**30:.1f} GB",
            hint="use model.scope: symbol, or a shorter history (data.start)",
        )
    ((w, encoding),) = members
    log.info("%.1f GB of windows: cutting them batch by batch instead of holding them", size / 2**30)
    batch, seed = config.train.batch_size, config.train.seed
    steps = config.train.steps_per_epoch
    x_train = WindowBatches(w.values, w.train, encoding, batch, shuffle=True, seed=seed, steps=steps)
    x_val = WindowBatches(w.values, w.val, encoding, batch, shuffle=False, seed=seed, steps=steps)
    return x_train, None, x_val, None
