"""tune.space: validated when the config loads; the default space for a series; a trial's values."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from forecast.config import build_config
from forecast.errors import ConfigError
from forecast.tuning.space import configure, default_space, own_values, suggest

BASE = {"data": {"source": "synthetic", "points": 240}}


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"model.kind": ["rnn", "lsmt"]}, "tune.space.model.kind: 'lsmt' is not a valid value"),
        ({"prep.lookbak": [10]}, "'prep.lookbak' is not a config key; did you mean prep.lookback?"),
        ({"data.symbol": ["X"]}, "'data.symbol' cannot be searched"),
        ({"train.learning_rate": {"low": 0.1, "high": 0.01}}, "low 0.1 must be below high 0.01"),
        ({"model.units": {"low": 8, "high": 64}}, "tune.space.model.units: 8 is not a valid value"),
        ({"prep.lookback": []}, "give at least one choice"),
    ],
)
def test_a_bad_space_is_refused_when_the_config_loads_naming_the_key(space, message) -> None:
    with pytest.raises(ConfigError, match=message.replace("?", r"\?").replace(".", r"\.")):
        build_config({**BASE, "tune": {"space": space}})


def test_window_normalisation_is_valid_beside_a_relative_transform_as_the_search_pairs_it_with_levels() -> None:
    space = {"prep.normalize": ["series", "window"]}
    config = build_config({**BASE, "prep": {"target_transform": "diff"}, "tune": {"space": space}})
    values = suggest(optuna.trial.FixedTrial({"prep.normalize": "window"}), config.tune.space)
    assert values == {"prep.normalize": "window"}
    assert configure(config, values).prep.target_transform == "none"


def test_the_default_space_fits_the_series_and_starts_from_the_config() -> None:
    config = build_config({**BASE, "prep": {"lookback": 30}, "model": {"kind": "gru", "units": [16]}})
    positive = np.linspace(1, 2, 400)
    space = default_space(config, positive, season=12, first_fold_rows=300)
    assert space["model.kind"][0] == "gru" and sorted(space["model.kind"]) == ["gru", "lstm", "rnn"]
    # Whole seasons, at most a quarter of the first fold's rows, and the config's own lookback first.
    assert space["prep.lookback"] == [30, 12, 24, 48]
    assert space["model.units"][0] == [16]
    assert space["prep.target_transform"] == ["log_return", "diff"]  # auto gives log returns on a positive series
    with_zero = np.r_[0.0, positive]
    assert default_space(config, with_zero, season=None, first_fold_rows=300)["prep.target_transform"] == ["diff"]
    # A yearly series has no season: lookbacks in fives, and no seasonal part to remove.
    yearly = default_space(config, positive, season=None, first_fold_rows=100)
    assert yearly["prep.lookback"] == [30, 5, 10, 20] and "prep.deseasonalize" not in yearly
    assert space["prep.deseasonalize"] == ["none", "mstl"]
    # MSTL needs two of the longest season in the first fold: a week of half-hours is 336 readings.
    assert "prep.deseasonalize" not in default_space(config, positive, season=48, first_fold_rows=600)
    assert "prep.deseasonalize" in default_space(config, positive, season=48, first_fold_rows=700)


def test_a_trial_that_removes_the_season_learns_what_auto_gives_it() -> None:
    config = build_config({**BASE, "prep": {"lookback": 24}})
    space = default_space(config, np.linspace(1, 2, 400), season=12, first_fold_rows=300)
    drawn = {**own_values(config, space, np.linspace(1, 2, 400)), "prep.deseasonalize": "mstl"}
    values = suggest(optuna.trial.FixedTrial(drawn), space)
    assert "prep.target_transform" not in values  # not drawn: a log return of a series less its season is undefined
    trial = configure(config, values)
    assert (trial.prep.deseasonalize, trial.prep.target_transform) == ("mstl", "auto")


def test_the_first_trial_is_the_config_itself() -> None:
    config = build_config(
        {**BASE, "prep": {"lookback": 30}, "model": {"units": [16]}, "train": {"learning_rate": 0.002}}
    )
    target = np.linspace(1, 2, 400)
    space = default_space(config, target, season=12, first_fold_rows=300)
    values = suggest(optuna.trial.FixedTrial(own_values(config, space, target)), space)
    again = configure(config, values)
    # auto resolved as the series resolves it: the same model as the config's own.
    assert again.prep.target_transform == "log_return" and config.prep.target_transform == "auto"
    for section in ("model", "train"):
        assert getattr(again, section) == getattr(config, section)
    assert again.prep.model_dump(exclude={"target_transform"}) == config.prep.model_dump(exclude={"target_transform"})


def test_a_simple_rnn_draws_its_own_wider_units_and_the_gated_kinds_theirs() -> None:
    config = build_config({**BASE, "prep": {"lookback": 24}, "model": {"kind": "lstm", "units": [32]}})
    target = np.linspace(1, 2, 400)
    space = default_space(config, target, season=12, first_fold_rows=300)
    own = own_values(config, space, target)
    assert own["model.units"] == "[32]" and "model.units@rnn" not in own  # an lstm's own trial: no rnn key
    rnn = suggest(optuna.trial.FixedTrial({**own, "model.kind": "rnn", "model.units@rnn": "[128]"}), space)
    assert rnn["model.units"] == [128] and "model.units@rnn" not in rnn  # the config key, whichever space key
    assert configure(config, rnn).model.units == [128]
    gru = suggest(optuna.trial.FixedTrial({**own, "model.kind": "gru", "model.units": "[64]"}), space)
    assert gru["model.units"] == [64]
    # Each kind's widths hold about the same weights: a SimpleRNN of twice the units.
    assert [u[0] for u in space["model.units@rnn"]] == [2 * u[0] for u in space["model.units"]]
    # A config of SimpleRNNs starts from its own units, under its own key.
    plain = build_config({**BASE, "prep": {"lookback": 24}, "model": {"kind": "rnn", "units": [20]}})
    space = default_space(plain, target, season=12, first_fold_rows=300)
    assert own_values(plain, space, target)["model.units@rnn"] == "[20]"
    assert "model.units" not in own_values(plain, space, target)
