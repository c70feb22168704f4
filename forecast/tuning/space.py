"""The search space of `forecast tune`: the default one for a series, a trial's values drawn
from it, and the config those values make.

The default space is data, built from the config and the series' training part (never
its test part): lookbacks are whole seasons of the series' frequency, and the transforms
and normalisations are those that are defined on it (no log returns for a series that
reaches 0, no window normalisation for one that takes the value 0). The
config's own value of every key is always one of the choices, and is the first trial
(search.py enqueues it): the search starts from what the user has, so the best trial's
objective is never worse than the config's own.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from forecast.config import Config, build_config
from forecast.config.tune import Choice, Range
from forecast.prepare.transforms import choose

Space = dict[str, Range | Choice]

UNITS: Choice = [[32], [64], [32, 32], [64, 64]]  # an LSTM's or a GRU's
# A SimpleRNN cell has no gates: a quarter of an LSTM's weights per unit squared (a third of a GRU's).
# Its widths are doubled, so each choice holds about as many weights whatever the kind.
RNN_UNITS: Choice = [[64], [128], [64, 64], [128, 128]]
FOR_KIND = "@"  # "model.units@rnn": drawn only in trials of that kind (Optuna's choices cannot change with the kind)
DENSE: Choice = [[], [25]]
BATCH_SIZES: Choice = [32, 64, 128]
SEASONS = (1, 2, 4, 8)  # lookbacks in whole seasons
NO_SEASON = 5  # the lookback unit of a series without a season (yearly data): five steps
MAX_LOOKBACK = 256  # an LSTM over longer windows costs minutes per epoch on a laptop's CPU
MIN_WINDOWS = 3  # a lookback leaves at least this many windows per lookback in the first fold


def default_space(config: Config, target: np.ndarray, season: int | None, first_fold_rows: int) -> Space:
    """The default space for this series: `target` is the training part's target,
    `first_fold_rows` the rows the first walk-forward fold trains on."""
    unit = season if season and season > 1 else NO_SEASON
    longest = min(MAX_LOOKBACK, first_fold_rows // (MIN_WINDOWS + 1))
    lookbacks = [unit * k for k in SEASONS if unit * k <= longest] or [max(1, min(unit, longest))]
    target = np.asarray(target, dtype="float64")
    transforms = ["log_return", "diff"] if np.all(target > 0) else ["diff"]
    # Window normalisation divides by each window's last value: not offered where one can be 0.
    normalize = ["series", "window"] if np.all(target != 0) else ["series"]
    rnn = config.model.kind == "rnn"
    space: Space = {
        "model.kind": _with_own(config.model.kind, ["lstm", "gru", "rnn"]),
        "prep.normalize": _with_own(config.prep.normalize, normalize),
        "prep.target_transform": _with_own(_resolved(config, target), transforms),
        "prep.lookback": _with_own(config.prep.lookback, lookbacks),
        # The config's own units among its kind's choices (trial 0's), not the other kinds'.
        "model.units": UNITS if rnn else _with_own(config.model.units, UNITS),
        f"model.units{FOR_KIND}rnn": _with_own(config.model.units, RNN_UNITS) if rnn else RNN_UNITS,
        "model.dense": _with_own(config.model.dense, DENSE),
        "model.dropout": Range(low=0.0, high=0.3),
        "train.learning_rate": Range(low=3e-4, high=3e-3, log=True),
        "train.batch_size": _with_own(config.train.batch_size, BATCH_SIZES),
    }
    # The seasonal part removed (prep/deseasonal.py) where the first fold holds two of the longest
    # seasons MSTL would fit (a week of readings finer than an hour: seven of its day seasons).
    if season and season > 1 and first_fold_rows >= 2 * season * (7 if season >= 24 else 1):
        space["prep.deseasonalize"] = _with_own(config.prep.deseasonalize, ["none", "mstl"])
    return space


def _resolved(config: Config, target: np.ndarray) -> str:
    """The transform the config gives this series with series normalisation (auto resolved:
    the choices name what is learnt; with window normalisation the search takes none)."""
    return choose(config.prep.target_transform, target, "series")


def _for_kind(key: str, kind: Any, space: Space) -> str | None:
    """The config key a space key sets in a trial of model `kind`, or None when it is not drawn
    there: "model.units@rnn" only for rnn, and "model.units" for the kinds without their own."""
    name, _, only = key.partition(FOR_KIND)
    if only:
        return name if kind == only else None
    return None if f"{key}{FOR_KIND}{kind}" in space else name


def _with_own(own: Any, choices: Choice) -> Choice:
    return [own, *[c for c in choices if c != own]]


def label(value: Any) -> Any:
    """Optuna's choices must be scalars: a list (units) is chosen by its JSON text."""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def unlabel(value: Any, choices: Choice) -> Any:
    return next(c for c in choices if label(c) == value)


def suggest(trial: Any, space: Space) -> dict[str, Any]:
    """A trial's values (define-by-run, so the sampler sees the dependency below)."""
    values: dict[str, Any] = {}
    # Normalisation first: window normalisation applies to levels, so a trial that takes it
    # has target_transform none and does not draw one.
    # A series less its seasonal part learns what auto gives it (differences, or window-normalised
    # levels): it is no longer positive throughout, and a seasonal difference would remove nothing.
    # The kind before the keys whose choices depend on it.
    first = ("prep.normalize", "prep.deseasonalize", "model.kind")
    keys = sorted(space, key=lambda k: (k not in first, first.index(k) if k in first else 0))
    for key in keys:
        spec, name = space[key], _for_kind(key, values.get("model.kind"), space)
        if name is None:
            continue
        if key == "prep.target_transform" and (
            values.get("prep.normalize") == "window" or values.get("prep.deseasonalize", "none") != "none"
        ):
            continue
        if isinstance(spec, Range):
            if spec.integer:
                values[name] = trial.suggest_int(key, spec.low, spec.high, step=spec.step or 1, log=spec.log)
            else:
                values[name] = trial.suggest_float(key, spec.low, spec.high, step=spec.step, log=spec.log)
        else:
            values[name] = unlabel(trial.suggest_categorical(key, [label(c) for c in spec]), spec)
    return values


def own_values(config: Config, space: Space, target: np.ndarray) -> dict[str, Any]:
    """The config's own value of every key the space holds (as Optuna params), for the first trial."""
    params: dict[str, Any] = {}
    for key, spec in space.items():
        if (name := _for_kind(key, config.model.kind, space)) is None:
            continue
        section, field = name.split(".", 1)
        value = getattr(getattr(config, section), field)
        if key == "prep.target_transform" and value not in spec:
            value = _resolved(config, target)  # auto, as this series resolves it
        if isinstance(spec, Range) and spec.low <= value <= spec.high:
            params[key] = value
        elif isinstance(spec, list) and value in spec:
            params[key] = label(value)
    if config.prep.normalize == "window" or config.prep.deseasonalize != "none":
        params.pop("prep.target_transform", None)
    return params


def configure(config: Config, values: dict[str, Any], name: str | None = None) -> Config:
    """The config with a trial's values (and, with `name`, renamed)."""
    raw = config.model_dump(mode="json")
    for key, value in values.items():
        section, field = key.split(".", 1)
        raw[section][field] = value
    if values.get("prep.normalize") == "window":
        raw["prep"]["target_transform"] = "none"
    elif values.get("prep.deseasonalize", "none") != "none":
        raw["prep"]["target_transform"] = "auto"
    if name is not None:
        raw["name"] = name
    raw["tune"]["space"] = {}  # a trial's config is a plain config: what it searched is the tune run's
    return build_config(raw, "a tune trial's config")
