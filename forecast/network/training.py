"""Fitting a Keras model: seeded, deterministic, early-stopped on a chronological tail."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from forecast.config import ModelConfig, TrainConfig
from forecast.errors import held_signals, raise_if_stopped
from forecast.network import deadline
from forecast.network.checkpoint import Checkpoint, LoopState
from forecast.network.fused import fusable
from forecast.network.models import build_model, plain
from forecast.network.progress import EpochBar
from forecast.workers.setup import THREADS

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _quiet_fd2(enabled: bool) -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for a moment, then restore it.

    TensorFlow 2.21 prints its oneDNN and CUDA banners from C++ before absl logging is
    initialised, ignoring TF_CPP_MIN_LOG_LEVEL; only the descriptor can silence them.
    A failed import still raises, and is reported after stderr is restored.
    """
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _share_of_cores() -> None:
    """A pool's worker among several (workers/setup.py: FORECAST_THREADS) must not use every core."""
    threads = os.environ.get(THREADS, "")
    if not threads.isdigit():
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))
    except RuntimeError:
        pass  # set before, in this process, to the same count


def import_keras(seed: int | None = None, deterministic: bool = False):
    """Import Keras quietly on the TensorFlow backend (seeded when a seed is given)."""
    # TensorFlow's C++ log lines (banners, tf.data attribute notices) are noise for
    # users; --verbose or FORECAST_TF_LOGS=1 shows them.
    quiet = not os.environ.get("FORECAST_TF_LOGS") and not log.isEnabledFor(logging.DEBUG)
    if quiet:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with _quiet_fd2(quiet and "tensorflow" not in sys.modules):
        import keras
        import tensorflow  # noqa: F401  (imported here so its banners fall in the quiet window)

    _share_of_cores()
    if seed is not None:
        keras.utils.set_random_seed(seed)  # Python, NumPy and backend seeds in one call
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return keras


OnEpoch = Callable[[int, "keras.Model"], None]


@dataclass(frozen=True)
class FitResult:
    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int  # 1-based; the weights kept are this epoch's
    seconds: float


def _optimizer(keras, config: TrainConfig):
    classes = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD}
    return classes[config.optimizer](learning_rate=config.learning_rate, clipnorm=config.clipnorm)


def _loss(keras, config: TrainConfig):
    if config.ensemble > 1:
        return _members_loss(keras, config)
    return {"mse": "mean_squared_error", "mae": "mean_absolute_error", "huber": keras.losses.Huber()}[config.loss]


def _members_loss(keras, config: TrainConfig):
    """An ensemble's loss: the mean of its members' losses against the same targets. The
    members share no weight, so each one's gradient is its own loss's (scaled by 1/N,
    which Adam's step does not see): N networks trained side by side in one graph."""
    one = {
        "mse": keras.losses.mean_squared_error,
        "mae": keras.losses.mean_absolute_error,
        "huber": keras.losses.huber,
    }[config.loss]

    def members_loss(y_true, y_pred):
        return one(keras.ops.tile(y_true, [1, config.ensemble]), y_pred)

    return members_loss


def fit(
    model: keras.Model,
    config: TrainConfig,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    log_dir: Path | None = None,
    checkpoint: Checkpoint | None = None,
    on_epoch: OnEpoch | None = None,
) -> FitResult:
    """Fit epoch by epoch. The loop, not Keras' callbacks, owns early stopping and the
    learning-rate schedule, so that their state can be saved after every epoch with the
    weights and optimizer (checkpoint.py) and a stopped fit resumes to the same weights: each
    epoch's shuffling is drawn from (seed, epoch), not from a generator's position.
    on_epoch(epochs trained, model) after every epoch: tune's rungs may stop the fit by raising."""
    import keras

    model.compile(optimizer=_optimizer(keras, config), loss=_loss(keras, config))
    streamed = y_train is None  # a WindowBatches dataset (forecast/network/batches.py) instead of arrays
    has_val = len(x_val) > 0
    monitor = "val_loss" if has_val else "loss"
    resumed = checkpoint.load(model) if checkpoint is not None else None
    state, best_weights = resumed or (LoopState(), None)
    if resumed:
        log.info("resuming training after epoch %d/%d (%s)", state.epoch, config.epochs, checkpoint.path.name)
    bar = EpochBar(config.epochs, first=state.epoch + 1)
    callbacks = _callbacks(keras, bar, log_dir, resumed is None)
    started = time.perf_counter()
    try:
        while state.epoch < config.epochs:
            epoch = state.epoch  # 0-based: the epoch about to run
            bar.epoch = epoch + 1
            if streamed:  # batch size and the epoch's order are the dataset's
                x_train.shuffle_for(config.seed, epoch)
                arrays: dict = {"x": x_train, "validation_data": x_val if has_val else None}
            else:  # Windows are independent samples, so shuffling them leaks nothing across time.
                order = np.random.default_rng([config.seed, epoch]).permutation(len(x_train))
                arrays = {
                    "x": x_train[order],
                    "y": y_train[order],
                    "batch_size": config.batch_size,
                    "validation_data": (x_val, y_val) if has_val else None,
                    "shuffle": False,
                }
            with held_signals():  # a signal stops the fit at a batch's end, never inside a step
                logs = model.fit(
                    **arrays,
                    epochs=epoch + 1,
                    initial_epoch=epoch,
                    steps_per_epoch=config.steps_per_epoch,
                    validation_steps=config.steps_per_epoch if streamed and config.steps_per_epoch else None,
                    callbacks=callbacks,
                    verbose=0,
                ).history
            values = {k: float(v[-1]) for k, v in logs.items()}
            if config.reduce_lr_patience > 0:  # the rate this epoch ran at, as Keras' schedule logs it
                values["learning_rate"] = float(np.asarray(model.optimizer.learning_rate))
            for k, v in values.items():
                state.history.setdefault(k, []).append(v)
            state.epoch += 1
            stop = _early_stopping(state, values[monitor], config)
            if stop is not None and state.best_epoch == state.epoch:  # this epoch is the best so far
                best_weights = model.get_weights()
            _reduce_lr(state, values[monitor], model, config)
            bar.end_epoch(state.epoch, values)
            if on_epoch is not None:
                on_epoch(state.epoch, model)
            if checkpoint is not None and state.epoch < config.epochs and not stop and checkpoint.due():
                with held_signals():  # the epoch's state written whole, or not at all
                    checkpoint.save(state, model, best_weights)
            if stop:
                break
    finally:
        bar.close()
    if config.patience > 0 and best_weights is not None:
        model.set_weights(best_weights)
    best = state.best_epoch if config.patience > 0 else state.epoch
    log.info("%s", _ending(state, best, config, monitor))
    return FitResult(state.history, state.epoch, best, time.perf_counter() - started)


def _callbacks(keras, bar: EpochBar, log_dir: Path | None, fresh: bool) -> list:
    callbacks: list = []
    if log_dir is not None:
        if fresh:  # a new fit replaces the logs: curves of an earlier fit beside this one would mislead
            shutil.rmtree(log_dir, ignore_errors=True)
        # No graph and no histograms: event files of a few KB; weights stay in model.keras.
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(log_dir), write_graph=False, histogram_freq=0))
    # Ctrl-C or SIGTERM raised inside TensorFlow can be swallowed (in a finaliser); the
    # signal handler's record of it is checked after every batch, so training always stops.
    # So is a deadline (network/deadline.py: a tune trial under --timeout).
    check = lambda batch, logs: (raise_if_stopped(), deadline.check())  # noqa: E731
    callbacks.append(keras.callbacks.LambdaCallback(on_train_batch_end=check, on_test_batch_end=check))

    class Bar(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            bar.batch(bar.epoch, batch + 1, self.params.get("steps") or 0)

    return [*callbacks, Bar()]


def _early_stopping(state: LoopState, value: float, config: TrainConfig) -> bool | None:
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


def _reduce_lr(state: LoopState, value: float, model: keras.Model, config: TrainConfig) -> None:
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


def _ending(state: LoopState, best: int, config: TrainConfig, monitor: str) -> str:
    """How training ended and which epoch's weights the model keeps: said once, after the bar."""
    if config.patience <= 0:
        return f"trained all {state.epoch} epochs (train.patience 0); kept the last epoch's weights"
    kept = f"kept the weights of epoch {best} (lowest {monitor})"
    if state.epoch < config.epochs:
        return f"stopped early at epoch {state.epoch}/{config.epochs} (patience {config.patience}); {kept}"
    return f"trained all {config.epochs} epochs; {kept}"


def train_model(
    model_config: ModelConfig,
    config: TrainConfig,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    log_dir: Path | None = None,
    checkpoint: Checkpoint | None = None,
    on_epoch: OnEpoch | None = None,
) -> tuple[keras.Model, FitResult]:
    """Seed, build and fit: the one way a model is trained (train stage and backtests).
    checkpoint: save the fit's state after every epoch there, and resume from it."""

    import_keras(config.seed, config.deterministic)  # before building: the seed sets the initial weights
    shape = (x_train.shape[1], x_train.shape[2], x_train.output_steps if y_train is None else y_train.shape[1])
    fused = fusable(model_config)  # 1.5x faster on a CPU, the same arithmetic: network/fused.py
    members = config.ensemble
    model = build_model(model_config, *shape, fused=fused, members=members)
    log.info(
        "training %s (%d parameters) on %d windows, validating on %d",
        f"an ensemble of {members} {model_config.kind} networks" if members > 1 else model_config.kind,
        model.count_params(),
        x_train.shape[0],
        x_val.shape[0],
    )
    result = fit(model, config, x_train, y_train, x_val, y_val, log_dir, checkpoint, on_epoch)
    # The plain model saves without our loss (an ensemble's), so a .keras file needs no custom object.
    return (plain(model, model_config, *shape, members) if fused or members > 1 else model), result
