"""Fitting a Keras model: seeded, deterministic, early-stopped on a chronological tail."""

from __future__ import annotations

import contextlib
import json
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

from forecast import errors
from forecast.config import ModelConfig, TrainConfig
from forecast.errors import held_signals, raise_if_stopped
from forecast.network import deadline, kept
from forecast.network.checkpoint import Checkpoint, LoopState
from forecast.network.epochs import shuffled_epochs
from forecast.network.fused import fusable
from forecast.network.loop import Loop, OnEpoch, ending
from forecast.network.models import build_model, plain
from forecast.network.progress import EpochBar
from forecast.network.validation import Validation
from forecast.workers import imports
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


# What Keras imports where installed, for features forecast never uses: its scikit-learn wrappers
# (keras.wrappers) and its image gallery (keras.visualization, with matplotlib's pyplot). Left out
# of forecast's own processes (imports.own_process), a quarter of Keras' import (SPEED.md);
# forecast's figures import matplotlib themselves, when they are drawn.
KERAS_UNUSED = ("sklearn", "matplotlib")


def import_keras(seed: int | None = None, deterministic: bool = False):
    """Import Keras quietly on the TensorFlow backend (seeded when a seed is given)."""
    # TensorFlow's C++ log lines (banners, tf.data attribute notices) are noise for
    # users; --verbose or FORECAST_TF_LOGS=1 shows them.
    quiet = not os.environ.get("FORECAST_TF_LOGS") and not log.isEnabledFor(logging.DEBUG)
    if quiet:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with _quiet_fd2(quiet and "tensorflow" not in sys.modules), imports.for_good("tensorflow", KERAS_UNUSED):
        import keras
        import tensorflow  # noqa: F401  (imported here so its banners fall in the quiet window)
    # A signal can land in TensorFlow's import where C code clears the interruption its handler
    # raised (inside an isinstance check), and the import goes on: it is raised here instead (seen:
    # a compare worker stopped as it imported TensorFlow ran on for the pool's grace, was killed,
    # and left its candidate's run "running"). (errors.raise_if_stopped: tests count the per-batch checks.)
    errors.raise_if_stopped()

    _share_of_cores()
    if seed is not None:
        keras.utils.set_random_seed(seed)  # Python, NumPy and backend seeds in one call
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return keras


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
    """Fit all the epochs in one model.fit, forecast's rules applied after each (network/loop.py):
    early stopping and the learning-rate schedule are the loop's, saved with the weights and the
    optimizer (checkpoint.py), and each epoch's shuffling is drawn from (seed, epoch), not from a
    generator's position, so a stopped fit resumes to the same weights.
    on_epoch(epochs trained, model) after every epoch: tune's rungs may stop the fit by raising."""
    import keras

    if not model.compiled:  # train_model's is (kept.py); a caller's own model is compiled here
        model.compile(optimizer=_optimizer(keras, config), loss=_loss(keras, config))
    has_val = len(x_val) > 0
    resumed = checkpoint.load(model) if checkpoint is not None else None
    state, best_weights = resumed or (LoopState(), None)
    if resumed:
        log.info("resuming training after epoch %d/%d (%s)", state.epoch, config.epochs, checkpoint.path.name)
    bar = EpochBar(config.epochs, first=state.epoch + 1)
    loop = Loop(model, config, state, best_weights, "val_loss" if has_val else "loss", bar, on_epoch, checkpoint)
    callbacks = _callbacks(keras, bar, log_dir, resumed is None)
    started = time.perf_counter()
    try:
        if state.epoch < config.epochs:
            with held_signals():  # a signal stops the fit at a batch's end, never inside a step
                data, begin, validated = _epochs(x_train, y_train, x_val, y_val, config, first=state.epoch)
                if validated is not None:  # first: every other callback sees the epoch's val_loss
                    validation = Validation(model, *validated, config.batch_size, after_batch=_check)
                    callbacks.insert(0, keras.callbacks.LambdaCallback(on_epoch_end=validation.into_logs))
                model.fit(
                    **data,
                    epochs=config.epochs,
                    initial_epoch=state.epoch,
                    callbacks=[
                        *callbacks,
                        keras.callbacks.LambdaCallback(on_epoch_begin=begin, on_epoch_end=loop.after_epoch),
                    ],
                    shuffle=False,  # the order is the data's own: (seed, epoch)
                    verbose=0,
                )
    finally:
        bar.close()
    if config.patience > 0 and loop.best_weights is not None:
        model.set_weights(loop.best_weights)
    best = state.best_epoch if config.patience > 0 else state.epoch
    log.info("%s", ending(state, best, config, loop.monitor))
    return FitResult(state.history, state.epoch, best, time.perf_counter() - started)


def _epochs(
    x_train, y_train, x_val, y_val, config: TrainConfig, first: int
) -> tuple[dict, Callable | None, tuple | None]:
    """model.fit's data for epochs first.. (0-based), each shuffled from (seed, epoch), what to
    call as each epoch begins, and the validation arrays to score after each epoch (validation.py:
    Keras' own validation pass costs more than a small series' epoch of training)."""
    has_val = len(x_val) > 0
    if y_train is None:  # WindowBatches (network/batches.py): a new iterator each epoch, in the order set as it begins
        return (
            {"x": x_train, "validation_data": x_val if has_val else None},
            lambda epoch, logs: x_train.shuffle_for(config.seed, epoch),
            None,
        )
    batches, per_epoch = shuffled_epochs(
        x_train, y_train, config.batch_size, config.seed, range(first, config.epochs), config.steps_per_epoch
    )
    # steps_per_epoch: Keras keeps the one iterator across the epochs
    return {"x": batches, "steps_per_epoch": per_epoch}, None, (x_val, y_val) if has_val else None


def _check() -> None:
    raise_if_stopped()
    deadline.check()


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
    check = lambda batch, logs: _check()  # noqa: E731
    callbacks.append(keras.callbacks.LambdaCallback(on_train_batch_end=check, on_test_batch_end=check))

    class Bar(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            bar.epoch = epoch + 1

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            bar.batch(bar.epoch, batch + 1, self.params.get("steps") or 0)

    return [*callbacks, Bar()]


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
    make = lambda: build_model(model_config, *shape, fused=fused, members=members)  # noqa: E731
    model = make()
    log.info(
        "training %s (%d parameters) on %d windows, validating on %d",
        f"an ensemble of {members} {model_config.kind} networks" if members > 1 else model_config.kind,
        model.count_params(),
        x_train.shape[0],
        x_val.shape[0],
    )
    import keras

    # The traced graph is made of the network and of the loss and optimizer options: a later fit
    # of the same ones in this process runs on the same compiled model (kept.py says why). The
    # model's config, not the Keras model's: the fused layer's leaves out its L2 penalty.
    options = [config.loss, config.optimizer, config.clipnorm]
    key = json.dumps([model_config.model_dump(mode="json"), shape, fused, members, *options])
    optimizer = lambda: _optimizer(keras, config)  # noqa: E731
    with kept.fitting(key, model, make, optimizer, _loss(keras, config)) as compiled:
        result = fit(compiled, config, x_train, y_train, x_val, y_val, log_dir, checkpoint, on_epoch)
    # The plain model saves without our loss (an ensemble's), so a .keras file needs no custom object.
    return (plain(model, model_config, *shape, members) if fused or members > 1 else model), result
