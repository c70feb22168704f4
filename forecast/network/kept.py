"""Compiled networks kept for the next fit of the same network in this process, and traced
forward passes for the next model of the same network.

Tracing a fit's train and validation steps into TensorFlow graphs costs about half a second on
a CPU (benchmarks/kept.py): more than a small series' whole training. A tune trial's folds, a
backtest's folds, a universe's symbols and a session calling forecast.train again all fit the
same network over and over; each fit on a new Keras model traced its steps again. Here a
compiled model is kept per network (the model's config and shapes, the loss and the optimizer:
what the traced graph is made of) and a fit of that network runs on it, its traced steps and all.

A fit on a kept network starts where a new one would: the new model's variables (its seeded
initial weights, its dropout layers' seed states) and a new optimizer's (zero moments, step 0,
the configured learning rate) are assigned to it, as a checkpoint is resumed (checkpoint.py).
Afterwards its variables are copied into the new model, which is what the caller gets: the kept
model is never seen outside a fit, and a fit on it ends with the bytes a fit on a new model
would (tests/network/test_kept.py).

A forward pass (rollout's network call) is traced once per network too: the graph takes the
model's variables as arguments, so one trace serves every model of that network, each with its
own weights as they are at the call (a fold's model in training is scored after each epoch).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
LIMIT = 8  # networks kept, the least recently used dropped first: a tune's architectures vary

_kept: OrderedDict[str, Any] = OrderedDict()  # key -> a compiled keras.Model, not in use
_forwards: OrderedDict[str, Any] = OrderedDict()  # network_key(model) -> a tf.function of (variables, x)


@contextlib.contextmanager
def fitting(key: str, fresh: Any, build: Callable[[], Any], optimizer: Callable[[], Any], loss: Any) -> Iterator[Any]:
    """A compiled model of `fresh`'s network (`build` makes one; `key` names it), in the state of
    `fresh` with a new optimizer(). Its variables are copied into `fresh` when the block ends,
    whether the fit finished or stopped. The model is taken out of the kept ones while in use:
    another thread fitting the same network meanwhile builds its own."""
    model = _kept.pop(key, None)
    if model is None or not _same_shapes(model.variables, fresh.variables):
        model = _unseen(build)
        model.compile(optimizer=optimizer(), loss=loss)
    else:
        log.debug("fitting on the compiled network kept from an earlier fit of the same one")
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    new = optimizer()
    new.build(fresh.trainable_variables)
    _assign(model.variables, fresh.variables)
    _assign(model.optimizer.variables, new.variables)
    try:
        yield model
    finally:
        _assign(fresh.variables, model.variables)
        _kept[key] = model
        while len(_kept) > LIMIT:
            _kept.popitem(last=False)


def forward(model: Any) -> Callable[[Any], Any]:
    """model(x, training=False) as a traced function of x, traced once per network in this
    process (and once more for a second batch size: reduce_retracing keeps one graph for all)."""
    import tensorflow as tf

    key = network_key(model)
    traced = _forwards.pop(key, None)
    if traced is None:
        template = model  # its structure is what is traced; the variables are the call's
        traced = tf.function(
            lambda weights, states, x: template.stateless_call(weights, states, x, training=False)[0],
            reduce_retracing=True,
        )
    _forwards[key] = traced
    while len(_forwards) > LIMIT:
        _forwards.popitem(last=False)
    weights, states = [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables]
    return lambda x: traced(weights, states, x)


def network_key(model: Any) -> str:
    """What a traced graph of the model is made of: its layers' classes and configs, and its
    variables' shapes (a layer's config may leave out its size: the fused LSTM's does)."""
    return json.dumps([model.to_json(), [tuple(v.shape) for v in model.variables]])


def models() -> list[Any]:
    """The kept compiled models, the most recently used last."""
    return list(_kept.values())


def forget() -> None:
    """Drop every kept network and traced forward pass (tests: a new model's, to compare with)."""
    _kept.clear()
    _forwards.clear()


def _unseen(make: Callable[[], Any]) -> Any:
    """make(), with Python's and NumPy's random states as they were before: building the kept
    model draws its initial weights' seeds from Python's generator, and a run must not depend on
    whether a network was kept."""
    python, numpy = random.getstate(), np.random.get_state()
    try:
        return make()
    finally:
        random.setstate(python)
        np.random.set_state(numpy)


def _same_shapes(variables: list[Any], others: list[Any]) -> bool:
    return [tuple(v.shape) for v in variables] == [tuple(v.shape) for v in others]


def _assign(targets: list[Any], sources: list[Any]) -> None:
    if not _same_shapes(targets, sources):  # a key that does not say the whole network: a bug here
        raise ValueError(f"a kept network's variables differ from the new one's: {len(targets)} vs {len(sources)}")
    for target, source in zip(targets, sources, strict=True):
        target.assign(source)
