"""A training run stopped by Ctrl-C resumes from its last finished epoch (weights, optimizer,
early stopping's state) and ends with the weights an uninterrupted run with the same seed
ends with; the fit's ending is said in one line."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import rundir
from forecast.config import load_config
from forecast.network import checkpoint, training
from forecast.network.loop import LoopState
from forecast.pipeline.runner import run_pipeline
from forecast.pipeline.stages import Context
from forecast.rundir import RunDir

# Early stopping must end this fit after the interruption, so its saved state is what decides.
TINY = """\
name: tiny
data: {source: synthetic, points: 400, seed: 1, target: value}
prep: {lookback: 8, val_fraction: 0.2, target_transform: none}
model: {kind: gru, units: [4], dense: []}
train: {epochs: 40, batch_size: 16, patience: 3, learning_rate: 0.05, seed: 7}
evaluate: {competitors: []}
plot: {enabled: false}
"""


def train_run(root: Path, name: str) -> RunDir:
    (root / "c.yaml").write_text(TINY)
    run = RunDir.create(root / "runs", name)
    run_pipeline(Context(load_config(root / "c.yaml"), run, root / "data"))
    return run


def ctrl_c_at(batch: int):
    """A stand-in for the per-batch signal check: Ctrl-C at the `batch`-th batch (training or validation)."""
    seen = {"n": 0}

    def check() -> None:
        seen["n"] += 1
        if seen["n"] == batch:
            raise KeyboardInterrupt

    return check


def weights(run: RunDir) -> list[np.ndarray]:
    import keras

    return keras.saving.load_model(run.file(rundir.MODEL)).get_weights()


def test_a_resumed_fit_ends_with_the_weights_of_an_uninterrupted_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    with caplog.at_level(logging.INFO, logger="forecast"):
        whole = train_run(tmp_path, "whole")
    ending = next(m for m in caplog.messages if m.startswith("stopped early at epoch"))
    epochs = len(pd.read_csv(whole.file(rundir.HISTORY)))
    assert 4 <= epochs < 40, "the fixture must stop early after the interruption"
    assert ending.startswith(f"stopped early at epoch {epochs}/40 (patience 3); kept the weights of epoch {epochs - 3}")

    # 16 training and 4 validation batches per epoch: the 50th is in the 3rd epoch. A checkpoint
    # after every epoch (this tiny fit's epochs are far shorter than the interval between them).
    monkeypatch.setattr(checkpoint, "EVERY_SECONDS", 0.0)
    monkeypatch.setattr(training, "raise_if_stopped", ctrl_c_at(50))
    with pytest.raises(KeyboardInterrupt):
        train_run(tmp_path, "stopped")
    stopped = next((tmp_path / "runs").glob("stopped-*"))
    run = RunDir(stopped)
    assert run.manifest()["stages"]["train"]["status"] == "interrupted"
    assert run.file(rundir.CHECKPOINT).is_file() and not run.file(rundir.MODEL).exists()

    monkeypatch.setattr(training, "raise_if_stopped", lambda: None)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="forecast"):
        run_pipeline(Context(load_config(tmp_path / "c.yaml"), run, tmp_path / "data"))
    assert "resuming training after epoch 2/40 (train_checkpoint.npz)" in caplog.messages
    assert not run.file(rundir.CHECKPOINT).exists()  # model.keras written: nothing left to resume
    for resumed, uninterrupted in zip(weights(run), weights(whole), strict=True):
        np.testing.assert_array_equal(resumed, uninterrupted)
    pd.testing.assert_frame_equal(pd.read_csv(run.file(rundir.HISTORY)), pd.read_csv(whole.file(rundir.HISTORY)))


def test_a_checkpoint_for_other_options_is_not_resumed(tmp_path: Path, monkeypatch, caplog) -> None:
    monkeypatch.setattr(checkpoint, "EVERY_SECONDS", 0.0)
    monkeypatch.setattr(training, "raise_if_stopped", ctrl_c_at(50))
    with pytest.raises(KeyboardInterrupt):
        train_run(tmp_path, "stopped")
    run = RunDir(next((tmp_path / "runs").glob("stopped-*")))
    monkeypatch.setattr(training, "raise_if_stopped", lambda: None)
    (tmp_path / "c.yaml").write_text(TINY.replace("learning_rate: 0.05", "learning_rate: 0.01"))
    with caplog.at_level(logging.INFO, logger="forecast"):
        run_pipeline(Context(load_config(tmp_path / "c.yaml"), run, tmp_path / "data"))
    assert any("was written for other inputs or options: training starts from epoch 1" in m for m in caplog.messages)
    assert not any(m.startswith("resuming training") for m in caplog.messages)
    # Trained afresh from epoch 1 under the new rate, and the checkpoint is gone with model.keras written.
    assert any(m.startswith("epoch 1/40 ") for m in caplog.messages)
    assert run.file(rundir.MODEL).is_file() and not run.file(rundir.CHECKPOINT).exists()


def test_the_state_is_written_at_most_every_few_seconds_of_training(tmp_path: Path, monkeypatch) -> None:
    """On a clock where each epoch takes 2 s, a 5 s interval writes after epochs 3 and 6 (the first
    ends past 5 s since the fit began, then since the last save): a stop loses at most 5 s and an epoch."""
    clock = {"now": 0.0}
    monkeypatch.setattr(checkpoint, "clock", lambda: clock["now"])
    monkeypatch.setattr(checkpoint, "EVERY_SECONDS", 5.0)
    saved: list[int] = []

    def save(self, state, model, best) -> None:
        saved.append(state.epoch)
        self.since = clock["now"]

    monkeypatch.setattr(checkpoint.Checkpoint, "save", save)

    def each_epoch(epochs: int, model) -> None:
        clock["now"] += 2.0

    (tmp_path / "c.yaml").write_text(TINY.replace("epochs: 40", "epochs: 7").replace("patience: 3", "patience: 0"))
    config = load_config(tmp_path / "c.yaml")
    x = np.random.default_rng(0).normal(size=(64, 8, 1)).astype("float32")
    y = x[:, -1, :]
    kept = checkpoint.Checkpoint(tmp_path / "train_checkpoint.npz", "key")
    training.train_model(config.model, config.train, x, y, x[:16], y[:16], checkpoint=kept, on_epoch=each_epoch)
    assert saved == [3, 6]  # not after epoch 7: the last epoch's state is the model itself


def test_a_checkpoint_of_another_network_with_as_many_variables_is_not_resumed(tmp_path: Path, caplog) -> None:
    """A GRU's checkpoint written before 2026-12-07 (reset_after=True) has the key and the count of
    variables of today's GRU, and a bias of another shape: it is not loaded into it."""
    keras = training.import_keras(seed=1)
    old, new = (keras.Sequential([keras.Input((5, 1)), keras.layers.GRU(3, reset_after=after), keras.layers.Dense(1)])
                for after in (True, False))  # fmt: skip
    for model in (old, new):
        model.compile(optimizer="adam", loss="mse")
        model.optimizer.build(model.trainable_variables)
    assert len(old.variables) == len(new.variables)
    checkpoint.Checkpoint(tmp_path / "c.npz", "same inputs").save(LoopState(epoch=3), old, None)
    before = [np.asarray(v).copy() for v in new.variables]
    with caplog.at_level(logging.INFO, logger="forecast"):
        assert checkpoint.Checkpoint(tmp_path / "c.npz", "same inputs").load(new) is None
    assert any("holds another network: training starts from epoch 1" in m for m in caplog.messages)
    for variable, value in zip(new.variables, before, strict=True):
        np.testing.assert_array_equal(np.asarray(variable), value)  # left as it was
