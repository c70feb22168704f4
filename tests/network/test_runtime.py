"""The NumPy forward pass (network/runtime.py) gives Keras' forecasts from a `.keras` file,
for every model kind and option the config allows, on trained weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forecast.config import ModelConfig
from forecast.network import runtime

# (model options, input channels, output steps): each kind, stacked, bidirectional, dense
# heads with every activation, several inputs, direct multi-step heads.
CASES = [
    ({"kind": "rnn", "units": [3], "dense": []}, 1, 1),
    ({"kind": "lstm", "units": [4, 3], "dense": [5], "dense_activation": "relu"}, 2, 3),
    ({"kind": "gru", "units": [3], "dense": [4], "dense_activation": "sigmoid", "bidirectional": True}, 3, 2),
    ({"kind": "lstm", "units": [3, 2], "dense": [], "bidirectional": True, "activation": "relu"}, 1, 4),
    ({"kind": "rnn", "units": [2, 2], "dense": [3, 2], "dense_activation": "tanh", "bidirectional": True}, 2, 1),
    ({"kind": "gru", "units": [4, 3], "dense": [2], "dense_activation": "linear", "activation": "sigmoid"}, 1, 5),
    ({"kind": "lstm", "units": [3], "dense": [], "dropout": 0.3, "recurrent_dropout": 0.2, "l2": 0.01}, 2, 1),
]


@pytest.mark.parametrize(
    ("options", "channels", "steps"), CASES, ids=[" ".join(f"{k}={v}" for k, v in o.items()) for o, *_ in CASES]
)
def test_the_numpy_forward_pass_equals_keras(options: dict, channels: int, steps: int, tmp_path: Path) -> None:
    import keras

    from forecast.network.models import build_model

    keras.utils.set_random_seed(3)
    lookback = 6
    model = build_model(ModelConfig(**options), lookback, channels, steps)
    rng = np.random.default_rng(0)
    # Every weight drawn at random: biases and the recurrent kernels away from their initial
    # zeros and orthogonal matrices, as training leaves them (a fit would trace a train step
    # for each case, seconds of the suite, to move them less).
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    model.save(tmp_path / "model.keras")
    windows = rng.normal(size=(40, lookback, channels)).astype("float32")
    expected = np.asarray(model(windows, training=False))
    got = runtime.load(tmp_path / "model.keras")(windows)
    assert got.shape == expected.shape == (40, steps)
    assert np.abs(got - expected).max() < 1e-5
    assert np.abs(expected).max() > 1e-3  # the comparison is not between two near-zero outputs


def test_a_gru_saved_before_2026_12_07_is_computed_as_it_was(tmp_path: Path) -> None:
    """forecast's GRU had its reset gate after the recurrent product (Keras' reset_after=True)
    until it trained on TensorFlow's fused GRU cell: those `.keras` files forecast as before."""
    import keras

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((6, 2)), keras.layers.GRU(3, return_sequences=True, reset_after=True),
                              keras.layers.GRU(2, reset_after=True), keras.layers.Dense(1)])  # fmt: skip
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    model.save(tmp_path / "model.keras")
    windows = rng.normal(size=(40, 6, 2)).astype("float32")
    expected = np.asarray(model(windows, training=False))
    assert np.abs(runtime.load(tmp_path / "model.keras")(windows) - expected).max() < 1e-5
    assert np.abs(expected).max() > 1e-3


def test_a_layer_it_does_not_compute_is_refused_not_guessed(tmp_path: Path) -> None:
    import keras

    model = keras.Sequential([keras.Input((6, 1)), keras.layers.Conv1D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(1)])  # fmt: skip
    model.save(tmp_path / "conv.keras")
    with pytest.raises(runtime.Unsupported, match="a Conv1D layer"):
        runtime.load(tmp_path / "conv.keras")
