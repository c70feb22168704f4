"""The trained network without TensorFlow: a NumPy forward pass over a `.keras` file.

Why: a forecast is a few small matrix products per step, while importing TensorFlow costs
seconds and most of a gigabyte (issue 19). The file stays Keras' own format; this reads
its architecture (config.json) and weights (model.weights.h5, through h5py, which Keras
itself requires) and computes what Keras' layers compute in inference (dropout off), for
every model forecast/network/models.py builds: SimpleRNN, LSTM and GRU layers, stacked,
bidirectional, with any activation the config allows, then Dense layers. Anything else
raises Unsupported, so a caller can fall back on Keras instead of computing something else.

Weights are found where Keras' saving library puts them: layers/<class in snake case>,
numbered _1, _2 ... by order within each class (keras/src/saving/saving_lib.py,
_save_container_state), not under the layers' names.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from forecast.network.models import median, members_of

Array = np.ndarray


class Unsupported(ValueError):
    """A layer or option this runtime does not compute; Keras must load the model."""


def _sigmoid(x: Array) -> Array:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # exact, and without overflow for large |x|


ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": _sigmoid,
    "linear": lambda x: x,
}


def _activation(name: str) -> Callable[[Array], Array]:
    if name not in ACTIVATIONS:
        raise Unsupported(f"activation {name!r}")
    return ACTIVATIONS[name]


@dataclass(frozen=True)
class Recurrent:
    """One SimpleRNN, LSTM or GRU layer: kernel (inputs, gates x units), recurrent kernel
    (units, gates x units), bias; Keras' gate orders (LSTM i f c o, GRU z r h)."""

    kind: str  # SimpleRNN, LSTM, GRU
    kernel: Array
    recurrent: Array
    bias: Array  # GRU with reset_after: (2, 3 units), the input and the recurrent bias
    activation: Callable[[Array], Array]
    gate: Callable[[Array], Array]  # recurrent_activation (LSTM, GRU)
    sequences: bool  # return_sequences
    backwards: bool  # go_backwards
    # GRU: the reset gate applies after the recurrent product (models saved before 2026-12-07),
    # or before it (reset_after=False: what forecast builds since, network/models.py)
    reset_after: bool = True

    def __call__(self, x: Array) -> Array:
        steps = x.shape[1]
        units = self.recurrent.shape[0]
        order = range(steps - 1, -1, -1) if self.backwards else range(steps)
        inputs = x @ self.kernel  # (m, steps, gates x units): every step's input part at once
        after = self.kind == "GRU" and self.reset_after
        if not after:
            inputs = inputs + self.bias
        h = np.zeros((x.shape[0], units), dtype=x.dtype)
        c = np.zeros_like(h)
        outputs = []
        for t in order:
            z = inputs[:, t]
            if self.kind == "SimpleRNN":
                h = self.activation(z + h @ self.recurrent)
            elif self.kind == "LSTM":
                z = z + h @ self.recurrent
                i, f, g, o = (z[:, k * units : (k + 1) * units] for k in range(4))
                c = self.gate(f) * c + self.gate(i) * self.activation(g)
                h = self.gate(o) * self.activation(c)
            elif after:  # GRU, the reset gate after the recurrent product
                z = z + self.bias[0]
                r_all = h @ self.recurrent + self.bias[1]
                update = self.gate(z[:, :units] + r_all[:, :units])
                reset = self.gate(z[:, units : 2 * units] + r_all[:, units : 2 * units])
                candidate = self.activation(z[:, 2 * units :] + reset * r_all[:, 2 * units :])
                h = update * h + (1 - update) * candidate
            else:  # GRU, the reset gate before it: on the state the candidate's product reads
                gates = h @ self.recurrent[:, : 2 * units]
                update = self.gate(z[:, :units] + gates[:, :units])
                reset = self.gate(z[:, units : 2 * units] + gates[:, units:])
                candidate = self.activation(z[:, 2 * units :] + (reset * h) @ self.recurrent[:, 2 * units :])
                h = update * h + (1 - update) * candidate
            outputs.append(h)
        if not self.sequences:
            return h
        # Keras returns a backwards layer's outputs in the order it computed them.
        return np.stack(outputs, axis=1)


@dataclass(frozen=True)
class Bidirectional:
    forward: Recurrent
    backward: Recurrent

    def __call__(self, x: Array) -> Array:
        backward = self.backward(x)
        if self.backward.sequences:
            backward = backward[:, ::-1]  # Keras re-aligns the backward sequence with time
        return np.concatenate([self.forward(x), backward], axis=-1)


@dataclass(frozen=True)
class Dense:
    kernel: Array
    bias: Array
    activation: Callable[[Array], Array]

    def __call__(self, x: Array) -> Array:
        return self.activation(x @ self.kernel + self.bias)


Layer = Recurrent | Bidirectional | Dense
CELLS = {"SimpleRNN", "LSTM", "GRU"}


class Network:
    """The model as a function of a batch of encoded windows, like rollout.keras_network:
    (m, lookback, channels) -> (m, output_steps), in float32 like Keras (the two agree to
    about 1e-6; float64 would be no more faithful to Keras, and twice as slow). An ensemble
    (train.ensemble) runs each member's layers and gives their median."""

    def __init__(self, members: list[list[Layer]]) -> None:
        self.members = members

    def __call__(self, x: Array) -> Array:
        outputs = []
        for layers in self.members:
            out = np.asarray(x, dtype="float32")
            for layer in layers:
                out = layer(out)
            outputs.append(out)
        return median(np.concatenate(outputs, axis=1), len(outputs))


def load(path: Path) -> Network:
    """The network of a `.keras` file; Unsupported for any layer or option it does not compute."""
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        blob = archive.read("model.weights.h5")
    kind = config.get("class_name")
    specs = config["config"]["layers"]
    if kind == "Functional":  # an ensemble: members side by side, then their concatenation
        names = [spec["config"]["name"] for spec in specs]
        if specs[-1]["class_name"] != "Concatenate" or members_of(names) < 2:
            raise Unsupported("a Functional model other than an ensemble of build_model's")
    elif kind != "Sequential":
        raise Unsupported(f"a {kind} model (only Sequential, or an ensemble)")
    weights = _weights(blob)
    used: dict[str, int] = {}
    members: dict[str, list[Layer]] = {}
    for spec in specs:
        # Weights are numbered by class in the order of the model's layers, whatever member owns them.
        name = _unique(_snake(spec["class_name"]), used)
        if spec["class_name"] in ("InputLayer", "Concatenate"):
            continue
        member = re.match(r"member_\d+_", spec["config"]["name"])
        members.setdefault(member.group() if member else "", []).append(_layer(spec, weights, f"layers/{name}"))
    return Network(list(members.values()))


def _layer(spec: dict[str, Any], weights: dict[str, Array], path: str) -> Layer:
    kind, options = spec["class_name"], spec["config"]
    if kind == "Dense":
        _require(options, use_bias=True)
        return Dense(weights[f"{path}/vars/0"], weights[f"{path}/vars/1"], _activation(options["activation"]))
    if kind in CELLS:
        return _recurrent(kind, options, weights, path)
    if kind == "Bidirectional":
        _require(options, merge_mode="concat")
        forward, backward = options["layer"], options.get("backward_layer") or options["layer"]
        return Bidirectional(
            _recurrent(forward["class_name"], forward["config"], weights, f"{path}/forward_layer"),
            _recurrent(
                backward["class_name"], {**backward["config"], "go_backwards": True}, weights, f"{path}/backward_layer"
            ),
        )
    raise Unsupported(f"a {kind} layer")


def _recurrent(kind: str, options: dict[str, Any], weights: dict[str, Array], path: str) -> Recurrent:
    if kind not in CELLS:
        raise Unsupported(f"a {kind} layer")
    _require(options, use_bias=True, stateful=False, return_state=False)
    variables = [weights[f"{path}/cell/vars/{k}"] for k in range(3)]
    return Recurrent(
        kind,
        *variables,
        activation=_activation(options["activation"]),
        gate=_activation(options.get("recurrent_activation", "sigmoid")),
        sequences=bool(options["return_sequences"]),
        backwards=bool(options.get("go_backwards", False)),
        reset_after=bool(options.get("reset_after", True)),
    )


def _require(options: dict[str, Any], **expected: Any) -> None:
    for key, value in expected.items():
        if key in options and options[key] != value:
            raise Unsupported(f"{key}={options[key]!r}")


def _weights(blob: bytes) -> dict[str, Array]:
    import h5py  # a Keras requirement, light beside TensorFlow

    found: dict[str, Array] = {}

    def keep(name: str, item: Any) -> None:
        if isinstance(item, h5py.Dataset):
            found[name] = np.asarray(item, dtype="float32")

    with h5py.File(io.BytesIO(blob), "r") as h5:
        h5.visititems(keep)
    return found


def _snake(name: str) -> str:
    """Keras' naming.to_snake_case: SimpleRNN -> simple_rnn, LSTM -> lstm, InputLayer -> input_layer."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _unique(name: str, used: dict[str, int]) -> str:
    """Keras' saving_lib._get_unique_name: the second dense is dense_1."""
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name
