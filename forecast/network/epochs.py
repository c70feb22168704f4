"""The order of each epoch's windows, and in-memory windows as one dataset of every epoch's
batches, for one model.fit of all the epochs (network/loop.py says why one)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def epoch_order(count: int, seed: int, epoch: Any) -> Any:
    """The order of epoch `epoch`'s (0-based) windows: a function of (seed, epoch) alone, so a fit
    resumed at that epoch sees the batches an uninterrupted one would (checkpoint.py). TensorFlow's
    stateless shuffle: the same inside a dataset (a tensor epoch) and out. Windows are independent
    samples, so shuffling them leaks nothing across time."""
    import tensorflow as tf

    seeds = tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)])
    return tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=seeds)


def shuffled_epochs(
    x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, epochs: range, steps: int | None
) -> tuple[Any, int]:
    """In-memory windows as ONE tf.data dataset of every epoch's batches: epoch e's are the first
    `steps` (every window when None) of epoch_order(seed, e). All graph ops, no Python generator:
    a pool worker runs TensorFlow with one inter-op thread, where a generator's py_func inside a
    dataset risks a deadlock. Returns the dataset and its batches per epoch."""
    import tensorflow as tf

    per_epoch = min(math.ceil(len(x) / batch_size), steps or math.inf)
    xs, ys = tf.constant(x), tf.constant(y)

    @tf.autograph.experimental.do_not_convert
    def batches_of(epoch: Any) -> Any:  # batched within the epoch: no batch spans two epochs' orders
        order = epoch_order(len(x), seed, epoch)[: per_epoch * batch_size]
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    @tf.autograph.experimental.do_not_convert
    def windows(rows: Any) -> Any:
        return tf.gather(xs, rows), tf.gather(ys, rows)

    every = tf.data.Dataset.range(epochs.start, epochs.stop, output_type=tf.int64)
    return every.flat_map(batches_of).map(windows).prefetch(2), per_epoch
