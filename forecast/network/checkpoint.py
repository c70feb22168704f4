"""The state of a fit after each epoch, so a stopped training run continues where it stopped.

One file, <run>/train_checkpoint.npz, replaced atomically after an epoch: the model's
variables (weights and the dropout layers' seed states), the optimizer's (moments, step
count, learning rate), the weights of the best epoch so far, and the loop's own state
(epochs done, loss history, early stopping's best and wait, the learning-rate schedule's).
With the epoch's shuffling a function of (seed, epoch) (epochs.py), a resumed fit ends
with the same weights as one that was never stopped, from whichever epoch it resumes.

It is written at most every EVERY_SECONDS of training, at the end of the first epoch past
them: a stopped fit loses at most that much work and the epoch under way, and a fit of short
epochs (small series, a tune trial's folds) does not write and fsync a file after each.

The file is only trusted for the inputs it was written for: `key` (the train stage's
config and the sha256 of its inputs) must match, else training starts over. It is not a
stage output: the train stage deletes it once model.keras is written.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forecast import atomic

log = logging.getLogger(__name__)

EVERY_SECONDS = 5.0  # with the epoch under way, what a stopped fit may lose; tests set 0: after every epoch
clock = time.monotonic  # looked up on each call: tests replace it


@dataclass
class LoopState:
    epoch: int = 0  # epochs finished
    history: dict[str, list[float]] = field(default_factory=dict)
    best: float = math.inf  # early stopping: the lowest monitored value, its epoch (1-based), epochs since
    best_epoch: int = 0
    wait: int = 0
    lr_best: float = math.inf  # the learning-rate schedule's own reference and wait (train.reduce_lr_patience)
    lr_wait: int = 0


@dataclass
class Checkpoint:
    path: Path
    key: str  # what the state was computed from: a checkpoint for other inputs is not resumed
    since: float = field(default_factory=lambda: clock())  # the last save, or the checkpoint's making

    def due(self) -> bool:
        """Whether the state after this epoch is to be written (EVERY_SECONDS since the last)."""
        return clock() - self.since >= EVERY_SECONDS

    def save(self, state: LoopState, model: Any, best_weights: list[np.ndarray] | None) -> None:
        arrays: dict[str, Any] = {"state": np.array(json.dumps({"key": self.key, **asdict(state)}))}
        arrays.update({f"model_{i}": np.asarray(v) for i, v in enumerate(model.variables)})
        arrays.update({f"optimizer_{i}": np.asarray(v) for i, v in enumerate(model.optimizer.variables)})
        arrays.update({f"best_{i}": w for i, w in enumerate(best_weights or [])})
        atomic.write_npz(self.path, **arrays)
        self.since = clock()

    def load(self, model: Any) -> tuple[LoopState, list[np.ndarray] | None] | None:
        """The saved state, with the model's and optimizer's variables set from it; None when
        there is none for these inputs (the model is then left as it was)."""
        if not self.path.is_file():
            return None
        try:
            with np.load(self.path) as saved:
                arrays = {name: saved[name] for name in saved.files}
            state = json.loads(str(arrays.pop("state")))
        except (OSError, ValueError, KeyError) as exc:
            log.warning("%s is unreadable (%s): training starts from epoch 1", self.path, exc)
            return None
        if state.pop("key") != self.key:
            log.info("%s was written for other inputs or options: training starts from epoch 1", self.path)
            return None
        model.optimizer.build(model.trainable_variables)  # its variables exist before the first step
        groups = {name: _group(arrays, name) for name in ("model", "optimizer", "best")}
        # The same count of variables is not the same network: a GRU saved before 2026-12-07 had
        # as many, its biases (2, 3 units) where forecast's GRU has (3 units,) since.
        shapes = [tuple(v.shape) for v in (*model.variables, *model.optimizer.variables)]
        if shapes != [a.shape for a in (*groups["model"], *groups["optimizer"])]:
            log.info("%s holds another network: training starts from epoch 1", self.path)
            return None
        for variable, value in zip(model.variables, groups["model"], strict=True):
            variable.assign(value)
        for variable, value in zip(model.optimizer.variables, groups["optimizer"], strict=True):
            variable.assign(value)
        return LoopState(**state), groups["best"] or None

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _group(arrays: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    count = sum(1 for name in arrays if name.startswith(f"{prefix}_"))
    return [arrays[f"{prefix}_{i}"] for i in range(count)]
