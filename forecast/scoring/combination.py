"""Combinations (evaluate.combine): the network, the best statistical competitor and naive,
weighted by convex weights fitted on the validation part (pure numpy).

Why these three: the network and the competitor err in different ways, and naive is the
forecast every other must beat; a convex weighting can always fall back on any one of
them, so on the validation part the combination is never worse than its best member, and
when nothing beat naive there it is (close to) naive, which is what an honest forecaster
should publish then.

The weights minimise the squared error over every validation window and step. Every member
forecasts windows it was not fitted on: the competitor is fitted on the rows before the
validation part, naive needs no fit. The network was early-stopped on these windows, so its
validation errors are a little optimistic and the weights lean to it a little; the test
part, which no member or weight saw, is where the combination is scored.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.scoring.baselines import actuals, persistence
from forecast.scoring.forecasters import COMBINATION as NAME
from forecast.scoring.forecasters import NETWORK
from forecast.scoring.significance import diebold_mariano_hac
from forecast.scoring.verdict import SIGNIFICANT, unearned

# A member is weighed only if it beat naive on validation with a DM p-value below this, the
# level of every verdict (its long-run variance counting the errors' persistence:
# significance.diebold_mariano_hac).
EARNED = SIGNIFICANT


def convex_weights(actual: np.ndarray, forecasts: list[np.ndarray]) -> np.ndarray:
    """Weights w >= 0, sum 1, minimising ||sum_i w_i f_i - actual||^2, exactly.

    With at most a few members the optimum is found by trying every support: on a support
    the equality-constrained optimum is G^-1 1 / (1' G^-1 1) (G: the Gram matrix of the
    members' errors); the best of those that are non-negative is the constrained optimum.
    Smaller supports come first and win ties, so a member that adds nothing gets weight 0.
    """
    errors = np.column_stack([np.ravel(f) - np.ravel(actual) for f in forecasts]).astype("float64")
    scale = np.sqrt(np.mean(errors**2)) or 1.0  # conditioning only: the weights do not depend on it
    gram = (errors / scale).T @ (errors / scale)
    k = len(forecasts)
    # A tiny ridge: a member without error (or two identical ones) makes the Gram matrix singular.
    gram += np.eye(k) * 1e-12 * max(float(np.trace(gram)), 1e-300)
    best, best_loss = np.eye(k)[0], np.inf
    for size in range(1, k + 1):
        for support in itertools.combinations(range(k), size):
            inverse = np.linalg.pinv(gram[np.ix_(support, support)]) @ np.ones(size)
            if inverse.sum() <= 0:
                continue
            on_support = inverse / inverse.sum()
            if np.any(on_support < -1e-10):
                continue
            weights = np.zeros(k)
            weights[list(support)] = np.clip(on_support, 0, None)
            weights /= weights.sum()
            loss = float(weights @ gram @ weights)
            if loss < best_loss * (1 - 1e-9):
                best, best_loss = weights, loss
    return best


@dataclass(frozen=True)
class Combination:
    weights: dict[str, float]  # member -> weight: the network ("model") first, naive last
    validation_rmse: dict[str, float]  # each member's on the validation windows, and the combination's
    windows: int  # validation windows the weights were fitted on
    validation_p: dict[str, float | None] = field(default_factory=dict)  # member -> DM p-value against naive

    def apply(self, forecasts: Mapping[str, np.ndarray]) -> np.ndarray:
        """The weighted forecast; a member of weight 0 need not be in `forecasts`."""
        used = [
            (weight, np.asarray(forecasts[name], dtype="float64")) for name, weight in self.weights.items() if weight
        ]
        return np.sum([weight * forecast for weight, forecast in used], axis=0)

    @property
    def is_naive(self) -> bool:
        """Nothing earned a weight: the combination is naive itself."""
        return self.weights.get("naive") == 1

    @property
    def competitor(self) -> str | None:
        """The statistical competitor among the members, if one gave validation forecasts."""
        return next((name for name in self.weights if name not in (NETWORK, "naive")), None)

    def words(self, network: str) -> str:
        """The weights as a sum, the network named by its kind: "0.62 lstm + 0.38 naive"."""
        return " + ".join(
            f"{weight:.2f} {network if name == NETWORK else name}" for name, weight in self.weights.items() if weight
        )

    def earned(self, name: str) -> bool:
        """Whether a member beat naive on the validation part, significantly: only then is it weighed."""
        p = self.validation_p.get(name)
        return self.validation_rmse[name] < self.validation_rmse["naive"] and p is not None and p < EARNED

    def unweighed(self, network: str) -> list[str]:
        """The members that did not earn a weight (see earned), named as the user knows them."""
        return [
            network if name == NETWORK else name for name in self.weights if name != "naive" and not self.earned(name)
        ]

    def verdict(self, network: str) -> str:
        """The one sentence the summary, predict and the report print about the weights; plainly
        when nothing beat naive on the validation part."""
        fitted = f"{self.words(network)} (weights fitted on {self.windows} validation windows)"
        unweighed = self.unweighed(network)
        if len(unweighed) == len(self.weights) - 1:
            windows = f"{self.windows} validation windows"
            return f"{unearned(unweighed, 'validation')}, so the combination is naive ({windows})"
        if unweighed:
            return f"the combination is {fitted}; {unearned(unweighed, 'validation')}, so no weight"
        return f"the combination is {fitted}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": self.weights,
            "validation_rmse": self.validation_rmse,
            "windows": self.windows,
            "validation_p": self.validation_p,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Combination:
        return cls(
            dict(data["weights"]),
            dict(data["validation_rmse"]),
            int(data["windows"]),
            dict(data.get("validation_p", {})),
        )


def fit(
    actual: np.ndarray, network: np.ndarray, naive: np.ndarray, competitors: Mapping[str, np.ndarray]
) -> Combination:
    """Weights for the network, the competitor with the lowest validation RMSE and naive, from
    (windows, steps) validation forecasts and their actuals.

    Only a member that beat naive on the validation part, significantly (Diebold-Mariano on
    each window's mean squared error, p below EARNED), is weighed; the others get 0. Why:
    mixing in a member that did not clearly beat naive lowers the validation error a little
    by fitting noise, and costs that much or more on the test part. Measured by walk-forward
    backtests (benchmarks/QUALITY.md): every member weighed, sample MSFT 1.0014x naive's RMSE;
    those with a lower validation RMSE, 1.0003x, and yearly marriages (about 20 validation
    windows a fold) 1.094x."""
    actual = np.asarray(actual, dtype="float64")

    def rmse(forecast: np.ndarray) -> float:
        return float(np.sqrt(np.mean((np.asarray(forecast, dtype="float64") - actual) ** 2)))

    members = {NETWORK: network}
    best = min(competitors, key=lambda name: rmse(competitors[name]), default=None)
    if best is not None:
        members[best] = competitors[best]
    members["naive"] = naive
    errors = {name: rmse(forecast) for name, forecast in members.items()}
    p_values = {name: _versus_naive(actual, members[name], naive) for name in members if name != "naive"}
    judged = Combination(dict.fromkeys(members, 0.0), errors, int(actual.shape[0]), p_values)
    weighed = [name for name in members if name == "naive" or judged.earned(name)]
    fitted = dict(zip(weighed, convex_weights(actual, [members[name] for name in weighed]), strict=True))
    combination = Combination(
        {name: float(fitted.get(name, 0.0)) for name in members}, errors, int(actual.shape[0]), p_values
    )
    combination.validation_rmse[NAME] = rmse(combination.apply(members))
    return combination


def _versus_naive(actual: np.ndarray, forecast: np.ndarray, naive: np.ndarray) -> float | None:
    """DM p-value of a member against naive on the validation windows: each window's root mean
    squared error over its steps (windows overlap by up to horizon - 1 steps), with a long-run
    variance that counts the errors' persistence (significance.diebold_mariano_hac)."""

    def per_window(f: np.ndarray) -> np.ndarray:
        return np.sqrt(np.mean((np.asarray(f, dtype="float64") - actual) ** 2, axis=1))

    return diebold_mariano_hac(per_window(forecast), per_window(naive), h=actual.shape[1])["p_value"]


@dataclass(frozen=True)
class Combined:
    combination: Combination
    test: np.ndarray  # (test windows, steps)
    validation: np.ndarray  # (validation windows, steps): for its conformal bands


def combine(
    target: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray, Mapping[str, np.ndarray]],
    test: tuple[np.ndarray, np.ndarray, Mapping[str, np.ndarray]],
) -> Combined:
    """Fit the weights on the validation windows and apply them to the test windows; each part
    is (window starts, the network's forecasts, the competitors' forecasts). A competitor
    without forecasts of both parts (skipped over its time limit) is not a member."""
    (val_starts, val_network, val_rivals), (test_starts, test_network, test_rivals) = validation, test
    horizon = val_network.shape[1]
    actual = actuals(target, val_starts, horizon)
    val_naive = persistence(target, val_starts, horizon)
    rivals = {name: forecast for name, forecast in val_rivals.items() if name in test_rivals}
    combination = fit(actual, val_network, val_naive, rivals)
    test_members = {NETWORK: test_network, **test_rivals, "naive": persistence(target, test_starts, horizon)}
    val_members = {NETWORK: val_network, **rivals, "naive": val_naive}
    return Combined(combination, combination.apply(test_members), combination.apply(val_members))
