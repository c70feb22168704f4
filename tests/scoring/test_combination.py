"""Convex combination weights: exact, sparse when a member adds nothing, naive when nothing beats it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from forecast.scoring.baselines import persistence
from forecast.scoring.combination import Combination, combine, convex_weights, fit
from forecast.scoring.significance import diebold_mariano

from ..conftest import persistent_edge


def _loss(actual: np.ndarray, forecasts: list[np.ndarray], weights: np.ndarray) -> float:
    return float(np.mean((sum(w * f for w, f in zip(weights, forecasts, strict=True)) - actual) ** 2))


def test_the_weights_are_the_constrained_optimum() -> None:
    rng = np.random.default_rng(3)
    actual = rng.normal(size=(200, 2))
    forecasts = [actual + rng.normal(0, s, size=actual.shape) + b for s, b in ((0.5, 0.1), (0.8, -0.2), (1.2, 0.0))]
    weights = convex_weights(actual, forecasts)
    assert weights.min() >= 0 and weights.sum() == pytest.approx(1.0)
    # No point of a fine grid over the simplex does better.
    grid = np.linspace(0, 1, 101)
    best = min(
        _loss(actual, forecasts, np.array([a, b, 1 - a - b])) for a, b in itertools.product(grid, grid) if a + b <= 1
    )
    assert _loss(actual, forecasts, weights) <= best + 1e-12
    assert (weights > 0.05).all()  # independent errors: every member helps


def test_an_exact_member_takes_all_the_weight() -> None:
    rng = np.random.default_rng(0)
    actual = rng.normal(size=(50, 1))
    weights = convex_weights(actual, [actual + rng.normal(size=actual.shape), actual.copy(), actual + 1.0])
    assert weights.tolist() == [0.0, 1.0, 0.0]


def test_a_network_that_only_adds_a_bias_to_naive_gets_no_weight() -> None:
    # Its errors are naive's plus a constant: mixing it in only adds the bias, so the
    # combination is naive, and the verdict says that plainly.
    rng = np.random.default_rng(1)
    target = np.cumsum(rng.normal(size=300)) + 100
    starts = np.arange(200, 290)
    actual = target[starts][:, None]
    naive = persistence(target, starts, 1)
    combination = fit(actual, naive + 0.5, naive, {})
    assert combination.weights == {"model": 0.0, "naive": 1.0}
    assert combination.validation_rmse["combination"] == pytest.approx(combination.validation_rmse["naive"])
    assert combination.verdict("lstm") == (
        "lstm did not beat naive significantly on the validation part, so the combination is naive "
        "(90 validation windows)"
    )


def test_a_member_that_lost_to_naive_on_validation_gets_no_weight() -> None:
    # Independent errors: mixing this network in would lower the validation error (an
    # unconstrained fit gives it about 0.45), but it lost to naive there, so it has not earned it.
    rng = np.random.default_rng(6)
    actual = rng.normal(size=(400, 1))
    naive, network = actual + rng.normal(0, 1.0, actual.shape), actual + rng.normal(0, 1.1, actual.shape)
    assert 0.3 < convex_weights(actual, [network, naive])[0] < 0.6
    combination = fit(actual, network, naive, {})
    assert combination.validation_rmse["model"] > combination.validation_rmse["naive"]
    assert combination.weights == {"model": 0.0, "naive": 1.0}
    assert combination.unweighed("gru") == ["gru"]


def test_a_member_must_beat_naive_significantly_to_be_weighed() -> None:
    # A lower validation RMSE by chance (errors of nearly the same size) earns nothing;
    # a clear win (DM p far below 0.05) does.
    rng = np.random.default_rng(9)
    actual = rng.normal(size=(60, 1))
    naive = actual + rng.normal(0, 1.0, actual.shape)
    lucky = actual + 0.95 * (naive - actual) + rng.normal(0, 0.3, actual.shape)  # about naive's errors
    good = actual + rng.normal(0, 0.5, actual.shape)
    combination = fit(actual, lucky, naive, {"auto_ets": good})
    assert combination.validation_rmse["model"] < combination.validation_rmse["naive"]
    assert combination.validation_p["model"] > 0.05 and combination.validation_p["auto_ets"] < 0.001
    assert combination.weights["model"] == 0.0 and combination.weights["auto_ets"] > 0.5
    assert combination.unweighed("lstm") == ["lstm"]
    assert combination.verdict("lstm").endswith(
        "; lstm did not beat naive significantly on the validation part, so no weight"
    )


def test_an_advantage_that_is_one_persistent_stretch_earns_nothing() -> None:
    # Errors of 5-minute readings persist for an hour: the network's edge over naive below
    # wanders slowly (AR(1), 0.9). Counted as 1,000 independent windows it would be significant
    # (p < 1e-4); with its persistence counted it is not, and the combination stays naive.
    network, naive = (errors[:, None] for errors in persistent_edge())
    actual = np.zeros((1000, 1))
    assert diebold_mariano(network[:, 0], naive[:, 0])["p_value"] < 1e-4
    combination = fit(actual, network, naive, {})
    assert combination.validation_rmse["model"] < combination.validation_rmse["naive"]
    assert combination.validation_p["model"] > 0.05 and combination.is_naive


def test_the_best_competitor_on_validation_is_the_member() -> None:
    rng = np.random.default_rng(2)
    actual = rng.normal(size=(80, 1))
    good, bad = actual + rng.normal(0, 0.3, actual.shape), actual + rng.normal(0, 0.9, actual.shape)
    naive = actual + rng.normal(0, 1.0, actual.shape)
    combination = fit(actual, actual + rng.normal(0, 0.5, actual.shape), naive, {"auto_arima": bad, "auto_ets": good})
    assert list(combination.weights) == ["model", "auto_ets", "naive"]
    assert combination.competitor == "auto_ets"
    assert combination.validation_rmse["combination"] <= min(combination.validation_rmse.values()) + 1e-12
    assert Combination.from_dict(combination.to_dict()) == combination


def test_combine_fits_on_validation_and_applies_to_test() -> None:
    rng = np.random.default_rng(4)
    target = np.cumsum(rng.normal(size=400)) + 50
    val, test = np.arange(250, 300), np.arange(320, 390)
    rows = lambda starts: target[starts][:, None]  # noqa: E731
    network = {"val": rows(val) + rng.normal(0, 0.5, (50, 1)), "test": rows(test) + rng.normal(0, 0.5, (70, 1))}
    ets = {"val": rows(val) + rng.normal(0, 0.7, (50, 1)), "test": rows(test) + rng.normal(0, 0.7, (70, 1))}
    combined = combine(target, (val, network["val"], {"auto_ets": ets["val"]}),
                       (test, network["test"], {"auto_ets": ets["test"]}))  # fmt: skip
    w = combined.combination.weights
    expected = w["model"] * network["test"] + w["auto_ets"] * ets["test"] + w["naive"] * target[test - 1][:, None]
    assert np.allclose(combined.test, expected)
    # A competitor skipped on the test part is not a member, whatever its validation forecasts.
    alone = combine(target, (val, network["val"], {"auto_ets": ets["val"]}), (test, network["test"], {}))
    assert list(alone.combination.weights) == ["model", "naive"]
