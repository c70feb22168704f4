"""An ensemble (train.ensemble): N networks side by side in one graph, each trained on its own
loss, forecasting the median of the members, saved as a plain `.keras` file that Keras and the
NumPy runtime both read, and used end to end by train and predict."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.config import ModelConfig, TrainConfig
from forecast.network import runtime
from forecast.network.models import build_model, members_of
from forecast.network.training import _loss, import_keras, train_model
from forecast.rollout.rollout import keras_network

CONFIG = ModelConfig(kind="lstm", units=[5, 3], dense=[4])


def member(model, k: int, config: ModelConfig = CONFIG):
    """Member k (1-based) of an ensemble as a network of its own, with its weights."""
    import keras

    window = keras.Input(model.input_shape[1:])
    out = window
    for layer in model.layers:
        if layer.name.startswith(f"member_{k}_"):
            out = layer(out)
    return keras.Model(window, out)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_each_member_learns_from_its_own_error_only(kind: str) -> None:
    import tensorflow as tf

    keras = import_keras(seed=5)
    config = CONFIG.model_copy(update={"kind": kind})
    model = build_model(config, 6, 2, 3, members=3)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 6, 2)).astype("float32"), rng.normal(size=(32, 3)).astype("float32")
    loss = _loss(keras, TrainConfig(ensemble=3))
    with tf.GradientTape() as tape:
        together = tf.reduce_mean(loss(y, model(x)))
    variables = model.trainable_variables
    grads = dict(zip([v.path for v in variables], tape.gradient(together, variables), strict=True))
    second = member(model, 2, config)
    with tf.GradientTape() as tape:
        alone = tf.reduce_mean(keras.losses.mean_squared_error(y, second(x)))
    own = second.trainable_variables
    for variable, grad in zip(own, tape.gradient(alone, own), strict=True):
        # the ensemble's loss is the mean of three: member 2's gradient, a third of it
        np.testing.assert_allclose(grads[variable.path].numpy() * 3, grad.numpy(), rtol=1e-4, atol=1e-6)
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads.values())  # every member learns


def test_the_ensemble_forecasts_its_members_median_in_keras_and_in_numpy(tmp_path: Path) -> None:
    import_keras()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 7, 2)).astype("float32")
    y = x[:, -2:, 0] * 0.5
    model, result = train_model(CONFIG, TrainConfig(epochs=3, batch_size=16, patience=0, ensemble=3), x[:48], y[:48],
                                x[48:], y[48:])  # fmt: skip
    assert result.epochs_run == 3 and np.isfinite(result.history["val_loss"]).all()
    assert members_of([layer.name for layer in model.layers]) == 3
    each = np.stack([member(model, k)(x).numpy() for k in (1, 2, 3)])  # (members, m, steps)
    assert np.abs(each[0] - each[1]).max() > 1e-3  # different members, not one network thrice
    median = np.median(each, axis=0)
    np.testing.assert_allclose(keras_network(model)(x), median, atol=1e-6)
    model.save(tmp_path / "model.keras")
    names = [spec["class_name"] for spec in json.loads(zipfile.ZipFile(tmp_path / "model.keras").read("config.json"))[
        "config"]["layers"]]  # fmt: skip
    assert "FusedLSTM" not in names and names[-1] == "Concatenate"  # plain Keras layers only
    np.testing.assert_allclose(runtime.load(tmp_path / "model.keras")(x), median, atol=1e-5)


def test_an_ensemble_is_trained_scored_and_forecast_from_its_run_directory(invoke, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2000-01-03", periods=300, freq="B")
    pd.DataFrame({"date": dates, "y": 50 + np.cumsum(rng.normal(0, 1, 300))}).to_csv(tmp_path / "s.csv", index=False)
    (tmp_path / "c.yaml").write_text(
        "data: {source: csv, path: s.csv, target: y}\nprep: {lookback: 10}\nmodel: {units: [4], dense: []}\n"
        "train: {epochs: 2, ensemble: 3}\nevaluate: {competitors: []}\nplot: {enabled: false}\n"
    )
    result = invoke("train", "--config", str(tmp_path / "c.yaml"))
    assert result.exit_code == 0, result.output
    assert "an ensemble of 3" in result.output
    (run,) = (tmp_path / "runs").glob("c-*")
    forecast = invoke("predict", run.name, "--horizon", "5")
    assert forecast.exit_code == 0, forecast.output
    (published,) = (tmp_path / "runs").glob("predict-c-*")
    table = pd.read_csv(published / "forecast.csv")
    assert len(table) == 5 and np.isfinite(table["forecast"]).all()
