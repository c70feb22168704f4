"""What a fit does after each epoch: the history, early stopping, the learning-rate schedule,
the progress bar, tune's rung and the checkpoint.

These are forecast's own rules, not Keras' callbacks, so that their state is saved with the
weights and the optimizer (checkpoint.py) and a stopped fit resumes to the same weights. They
run from one callback inside ONE model.fit for all the epochs: a model.fit per epoch made Keras'
data adapters, iterators and callbacks again every epoch, most of a small series' epoch
(benchmarks/epoch.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.config import TrainConfig
from forecast.errors import held_signals
from forecast.network.checkpoint import Checkpoint, LoopState
from forecast.network.progress import EpochBar

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)

OnEpoch = Callable[[int, "keras.Model"], None]


@dataclass
class Loop:
    model: Any  # keras.Model
    config: TrainConfig
    state: LoopState
    best_weights: list[np.ndarray] | None
    monitor: str  # val_loss, or loss without a validation part
    bar: EpochBar
    on_epoch: OnEpoch | None = None
    checkpoint: Checkpoint | None = None

    def after_epoch(self, epoch: int, logs: dict[str, Any]) -> None:
        """Keras' on_epoch_end (epoch 0-based): record, decide, save; stop the fit by
        model.stop_training. on_epoch may raise (tune's rungs): the fit ends there."""
        state, config, model = self.state, self.config, self.model
        values = {k: float(v) for k, v in logs.items()}
        if config.reduce_lr_patience > 0:  # the rate this epoch ran at, as Keras' schedule logs it
            values["learning_rate"] = float(np.asarray(model.optimizer.learning_rate))
        for k, v in values.items():
            state.history.setdefault(k, []).append(v)
        state.epoch = epoch + 1
        stop = early_stopping(state, values[self.monitor], config)
        if stop is not None and state.best_epoch == state.epoch:  # this epoch is the best so far
            self.best_weights = model.get_weights()
        reduce_lr(state, values[self.monitor], model, config)
        self.bar.end_epoch(state.epoch, values)
        if self.on_epoch is not None:
            self.on_epoch(state.epoch, model)
        if self.checkpoint is not None and state.epoch < config.epochs and not stop and self.checkpoint.due():
            with held_signals():  # the epoch's state written whole, or not at all
                self.checkpoint.save(state, model, self.best_weights)
        if stop:
            model.stop_training = True


def early_stopping(state: LoopState, value: float, config: TrainConfig) -> bool | None:
    """Keras' EarlyStopping rule (min_delta 0, restore_best_weights): True to stop after this
    epoch, False to go on, None when patience is 0 (off). As in Keras, the first epoch's
    weights are the best until one improves on them (even when its loss is NaN)."""
    if config.patience <= 0:
        return None
    if state.best_epoch == 0:
        state.best_epoch = state.epoch
    state.wait += 1
    if value < state.best:
        state.best, state.best_epoch, state.wait = value, state.epoch, 0
        return False
    return state.wait >= config.patience and state.epoch > 1


def reduce_lr(state: LoopState, value: float, model: keras.Model, config: TrainConfig) -> None:
    """Keras' ReduceLROnPlateau rule (factor 0.5, min_delta 1e-4, min_lr 1e-6), when asked."""
    if config.reduce_lr_patience <= 0:
        return
    if value < state.lr_best - 1e-4:
        state.lr_best, state.lr_wait = value, 0
        return
    state.lr_wait += 1
    rate = float(np.asarray(model.optimizer.learning_rate))
    if state.lr_wait >= config.reduce_lr_patience and rate > 1e-6:
        lower = max(rate * 0.5, 1e-6)
        model.optimizer.learning_rate.assign(lower)
        log.info("learning rate %.2e -> %.2e after %d epochs without improvement", rate, lower, state.lr_wait)
        state.lr_wait = 0


def ending(state: LoopState, best: int, config: TrainConfig, monitor: str) -> str:
    """How training ended and which epoch's weights the model keeps: said once, after the bar."""
    if config.patience <= 0:
        return f"trained all {state.epoch} epochs (train.patience 0); kept the last epoch's weights"
    kept = f"kept the weights of epoch {best} (lowest {monitor})"
    if state.epoch < config.epochs:
        return f"stopped early at epoch {state.epoch}/{config.epochs} (patience {config.patience}); {kept}"
    return f"trained all {config.epochs} epochs; {kept}"
