"""Training windows cut batch by batch, for series too long to hold every window at once.

A window array is lookback times larger than the series: 10 million points with
lookback 120 make 4.6 GB of float32 inputs. Above STREAM_ABOVE bytes the train stage
feeds Keras a PyDataset instead, which cuts, normalises and scales each batch from the
series' values on demand (a zero-copy sliding view; see prepare/windows.py), so memory
stays at the series plus one batch. Below it, plain arrays are faster.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from forecast.config import PrepConfig
from forecast.network.epochs import epoch_order
from forecast.prepare.encoding import Encoding

STREAM_ABOVE = 128 * 2**20  # bytes of float32 windows (all parts); Keras copies arrays into tensors, so about 3x


def window_bytes(starts: np.ndarray, channels: int, prep: PrepConfig) -> int:
    return int(len(starts)) * (prep.lookback * channels + prep.output_steps) * 4


class WindowBatches(keras.utils.PyDataset):
    """Batches of (inputs, targets) for the windows starting at `starts`, shuffled each epoch (shuffle_for)."""

    def __init__(
        self,
        values: np.ndarray,
        starts: np.ndarray,
        encoding: Encoding,
        batch_size: int,
        shuffle: bool,
        seed: int,
        steps: int | None = None,
    ) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        self.values, self.starts, self.encoding = values, np.asarray(starts), encoding
        self.batch_size, self.shuffle, self.steps = batch_size, shuffle, steps
        self.order = np.arange(len(self.starts))
        self.shuffle_for(seed, 0)
        self.shape = (len(self.starts), encoding.lookback, values.shape[1])
        self.output_steps = encoding.output_steps

    def __len__(self) -> int:
        """Batches an epoch: every window, or train.steps_per_epoch's first batches of the epoch's order."""
        return min(math.ceil(len(self.starts) / self.batch_size), self.steps or math.inf)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
        return self.encoding.windows(self.values, self.starts[rows])

    def shuffle_for(self, seed: int, epoch: int) -> None:
        """The order of epoch `epoch` (0-based): in-memory windows' (epochs.epoch_order)."""
        if self.shuffle:
            self.order = epoch_order(len(self.starts), seed, epoch).numpy()
