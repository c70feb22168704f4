"""Every forecaster a part of a series is scored on, by kind: ours (what the tool trains and may
publish: the network and its combination), the statistical competitors and the baselines.

A forecaster of ours is one registration here: its name in metrics.json, predictions.csv and
every table, and how the user knows it. The evaluation (scoring/evaluation.py) scores, judges
and bands every forecaster of ours it is given; the readers (tables, figures, pages, compare,
predict) take names, labels and kinds from here, not from a list of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from forecast.scoring.baselines import BASELINES

NETWORK = "model"  # the network's forecasts, named by the model kind ("lstm") to the user
COMBINATION = "combination"  # evaluate.combine: the network, the best competitor and naive, weighted
Kind = Literal["ours", "competitor", "baseline"]


@dataclass(frozen=True)
class Forecaster:
    name: str  # its key in metrics.json and its column's name in predictions.csv (but see column)
    column: str  # its column in predictions.csv
    label: Callable[[str], str]  # how the user knows it, given the model kind ("lstm")


OURS: dict[str, Forecaster] = {
    f.name: f
    for f in (
        Forecaster(NETWORK, "predicted", lambda kind: kind),
        Forecaster(COMBINATION, COMBINATION, lambda kind: COMBINATION),
    )
}


def kind_of(name: str) -> Kind:
    """What `name` is among the forecasters of a part."""
    if name in OURS:
        return "ours"
    return "baseline" if name in BASELINES else "competitor"


def label(name: str, model_kind: str) -> str:
    """A forecaster as the user knows it: the network by its kind, the others by name."""
    return OURS[name].label(model_kind) if name in OURS else name


def column(name: str) -> str:
    """A forecaster's column in predictions.csv."""
    return OURS[name].column if name in OURS else name
