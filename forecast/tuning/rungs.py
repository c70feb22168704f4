"""Successive halving on epochs: a weak trial stops after a few epochs of a fold, not after
every fold trained to early stopping.

At rungs of tune.budget.rung_epochs x reduction^k epochs of each fold's training (10, 30, 90, ...
below the trial's epoch cap), the network is scored on the fold's validation windows (its RMSE
over naive's, in the target's units: folds/watch.py) and compared with the finished trials'
scores at the same fold and rung; a trial outside the best 1/reduction of them stops there,
pruned. This is ASHA's rule (asynchronous successive halving, Li et al. 2020) on the snapshot of
finished trials its batch started with, so the decision does not depend on which worker
finishes first (search.py). A fold that stopped early before a rung stands there at its final
score: the trials that learn fastest are peers at every later rung too.

Optuna's own HyperbandPruner keeps its rungs in the study's storage as trials report: trials
running in worker processes or on Ray, against a fixed snapshot, cannot share that.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from forecast.folds.watch import Score

STARTUP = 5  # peers at a rung before it stops anyone: a best third of fewer says little


class Stopped(Exception):
    """A trial stopped at a rung; the message says where and against what."""


def rung_epochs(first: int, reduction: int, cap: int) -> list[int]:
    """The epochs a fold is compared at: first, first x reduction, ... below `cap` (at the cap,
    training ends anyway and the fold's own score is compared by the fold-level pruner)."""
    rungs, epoch = [], first
    while epoch < cap:
        rungs.append(epoch)
        epoch *= reduction
    return rungs


def key(fold: int, epoch: int) -> str:
    """A rung's name in a trial's record (JSON keys are strings): "fold:epoch"."""
    return f"{fold}:{epoch}"


class Rungs:
    """One trial's watcher (folds/watch.py: Watch): counts the epochs it trains, scores it at
    its rungs, and stops it where it is weak. `peers` are the finished trials' records."""

    def __init__(self, peers: list[dict[str, float]], first: int, reduction: int, cap: int, prune: bool) -> None:
        self.at = rung_epochs(first, reduction, cap) if prune else []
        self.peers, self.reduction = peers, reduction
        self.reached: dict[str, float] = {}  # this trial's record, for the trials after it
        self.epochs: dict[int, int] = {}  # epochs trained per fold (the budget it used)

    def __call__(self, fold: int, epochs: int, score: Score) -> None:
        self.epochs[fold] = epochs
        if epochs not in self.at:
            return
        value = score()
        self.reached[key(fold, epochs)] = value
        peers = self.peers_at(key(fold, epochs))
        if len(peers) < STARTUP:
            return
        kept = float(np.quantile(peers, 1 / self.reduction))  # the worst score of the best 1/reduction
        if not value <= kept:  # NaN is never kept
            raise Stopped(
                f"stopped at epoch {epochs} of fold {fold}: validation {value:.3f}x naive; the best "
                f"1/{self.reduction} of {len(peers)} trials there were at most {kept:.3f}x"
            )

    def ended(self, fold: int, epochs: int | None, value: float | None) -> None:
        """A fold's training ended after `epochs` with the final score `value`: it stands at every later rung."""
        if epochs is None or value is None:
            return
        for epoch in self.at:
            if epoch > epochs:
                self.reached[key(fold, epoch)] = value

    def peers_at(self, rung: str) -> list[float]:
        return [p[rung] for p in self.peers if rung in p and math.isfinite(p[rung])]

    @property
    def spent(self) -> int:
        """Epochs trained across the trial's folds, the one it stopped in included."""
        return sum(self.epochs.values())


def records(trials: list[Any]) -> list[dict[str, float]]:
    """The rung records of finished trials (Optuna FrozenTrials), plain data for a trial's request."""
    return [t.user_attrs["rungs"] for t in trials if t.user_attrs.get("rungs")]
