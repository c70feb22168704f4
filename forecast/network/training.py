"""Fitting a Keras model: seeded, deterministic, early-stopped on a chronological tail."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from forecast.config import ModelConfig, TrainConfig
from forecast.errors import raise_if_stopped

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

    if seed is not None:
        keras.utils.set_random_seed(seed)  # Python, NumPy and backend seeds in one call
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return keras


def pin_threads(threads: int) -> None:
    """Keras imported, and this process's share of the cores: a worker among several (tune's
    trials, a universe's members, compare's candidates, backtest's folds) must not use them all."""
    import_keras()
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # set before, in this process, to the same count


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
    return {"mse": "mean_squared_error", "mae": "mean_absolute_error", "huber": keras.losses.Huber()}[config.loss]


def fit(
    model: keras.Model,
    config: TrainConfig,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    log_dir: Path | None = None,
) -> FitResult:
    import keras

    model.compile(optimizer=_optimizer(keras, config), loss=_loss(keras, config))
    streamed = y_train is None  # a WindowBatches dataset (forecast/network/batches.py) instead of arrays
    has_val = len(x_val) > 0
    monitor = "val_loss" if has_val else "loss"
    callbacks: list[keras.callbacks.Callback] = []
    if config.patience > 0:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor=monitor, patience=config.patience, restore_best_weights=True)
        )
    if config.reduce_lr_patience > 0:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, factor=0.5, patience=config.reduce_lr_patience, min_lr=1e-6
            )
        )
    # Ctrl-C or SIGTERM raised inside TensorFlow can be swallowed (in a finaliser); the
    # signal handler's record of it is checked after every batch, so training always stops.
    if log_dir is not None:
        # A rerun replaces the logs: curves of an earlier fit beside this one would mislead.
        shutil.rmtree(log_dir, ignore_errors=True)
        # No graph and no histograms: event files of a few KB; weights stay in model.keras.
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(log_dir), write_graph=False, histogram_freq=0))
    check = lambda batch, logs: raise_if_stopped()  # noqa: E731
    callbacks.append(keras.callbacks.LambdaCallback(on_train_batch_end=check, on_test_batch_end=check))
    on_tty = sys.stdout.isatty()
    if not on_tty:  # one line per epoch in logs and cron mail; Keras' bar only on a terminal
        callbacks.append(
            keras.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: log.info(
                    "epoch %d/%d  %s", epoch + 1, config.epochs, "  ".join(f"{k} {v:.6f}" for k, v in logs.items())
                )
            )
        )
    started = time.perf_counter()
    if streamed:  # batch size and shuffling are the dataset's
        arrays: dict = {"x": x_train, "validation_data": x_val if has_val else None}
    else:  # Windows are independent samples, so shuffling them leaks nothing across time.
        arrays = {"x": x_train, "y": y_train, "validation_data": (x_val, y_val) if has_val else None,
                  "batch_size": config.batch_size, "shuffle": True}  # fmt: skip
    history = model.fit(
        **arrays,
        epochs=config.epochs,
        steps_per_epoch=config.steps_per_epoch,
        validation_steps=config.steps_per_epoch if streamed and config.steps_per_epoch else None,
        callbacks=callbacks,
        verbose=1 if on_tty else 0,
    )
    seconds = time.perf_counter() - started
    values = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    monitored = values[monitor]
    best = int(np.argmin(monitored)) + 1 if config.patience > 0 else len(monitored)
    return FitResult(values, len(monitored), best, seconds)


def train_model(
    model_config: ModelConfig,
    config: TrainConfig,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    log_dir: Path | None = None,
) -> tuple[keras.Model, FitResult]:
    """Seed, build and fit: the one way a model is trained (train stage and backtests)."""
    from forecast.network.fused import fusable, plain
    from forecast.network.models import build_model

    import_keras(config.seed, config.deterministic)  # before building: the seed sets the initial weights
    shape = (x_train.shape[1], x_train.shape[2], x_train.output_steps if y_train is None else y_train.shape[1])
    fused = fusable(model_config)  # 1.5x faster on a CPU, the same arithmetic: network/fused.py
    model = build_model(model_config, *shape, fused=fused)
    log.info("training %s (%d parameters) on %d windows, validating on %d",
             model_config.kind, model.count_params(), x_train.shape[0], x_val.shape[0])  # fmt: skip
    result = fit(model, config, x_train, y_train, x_val, y_val, log_dir)
    return (plain(model, model_config, *shape) if fused else model), result
