"""The tune section: what `forecast tune` searches and how long.

A search space maps config keys to what a trial may take:

    tune:
      space:
        model.kind: [rnn, lstm, gru]                              # a list: one of these
        train.learning_rate: {low: 0.0003, high: 0.003, log: true}  # a range
        prep.lookback: {low: 10, high: 120, step: 10}             # whole numbers: an integer range

Keys are the same dotted names as --set, in the prep, model and train sections. Every
choice and both ends of every range are validated against the schema when the config is
loaded, so a typo fails before the first trial, not after an hour.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from forecast.config.data import Section

# The sections a search may change: how windows are made, the network, and its fitting.
# Not data (the series), evaluate (the yardstick) or anything after training.
SEARCHABLE = ("prep", "model", "train")


class Range(Section):
    """A numeric range: integers when low, high (and step) are whole numbers."""

    low: int | float
    high: int | float
    log: bool = Field(False, description="Sample on a log scale (learning rates).")
    step: int | float | None = Field(None, gt=0, description="Grid step (none: continuous).")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"low {self.low} must be below high {self.high}")
        if self.log and (self.low <= 0 or self.step is not None):
            raise ValueError("log: true needs low > 0 and no step")
        return self

    @property
    def integer(self) -> bool:
        return all(isinstance(v, int) for v in (self.low, self.high, self.step) if v is not None)


Choice = list[Any]


class Budget(Section):
    """What one trial may spend. The best configuration's final training keeps the epoch cap
    (the model published is trained as the search scored it), not the seconds."""

    epochs: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="Epoch cap of each fold's training in a trial, and of the best configuration's training after "
        "the search (none: train.epochs).",
    )
    seconds: float | None = Field(
        None,
        gt=0,
        description="Seconds a trial may take: past them its training stops and it counts as pruned, with the "
        "folds it finished (none: no limit).",
    )
    rung_epochs: int = Field(
        10,
        ge=1,
        le=10_000,
        description="With tune.pruning, the epochs of a fold's training at which a trial is first compared "
        "with the finished trials, then again at reduction times as many (10, 30, 90, ...): one whose "
        "validation RMSE over naive's is not among the best 1/reduction of theirs there stops (successive "
        "halving).",
    )
    reduction: int = Field(
        3, ge=2, le=10, description="The share kept at each rung: the best 1/reduction of the trials there."
    )


class TuneConfig(Section):
    """The search of forecast tune (walk-forward backtests inside the training part; the test part is scored once)."""

    trials: int = Field(30, ge=1, le=10_000, description="Trials to run (--trials); a resumed tune counts those done.")
    timeout: float | None = Field(
        None,
        gt=0,
        description="Seconds the search may take (--timeout; none = no limit): then no trial starts, and running "
        "trials stop within a batch of training and count as pruned, with the folds they finished.",
    )
    folds: int = Field(
        3,
        ge=1,
        le=20,
        description="Walk-forward folds each trial is scored on, over the last prep.test_fraction of the training "
        "part; the objective is their mean RMSE of what predict would publish: the combination with "
        "evaluate.combine (its competitors fitted per fold), else the network.",
    )
    budget: Budget = Budget()
    pruning: bool = Field(
        True,
        description="Stop weak trials early: inside a fold's training at the rungs of tune.budget, and after a "
        "fold whose running mean of RMSE / naive RMSE is worse than the median of finished trials at that fold "
        "(Optuna's MedianPruner); each after 5 finished trials.",
    )
    seed: int = Field(0, ge=0, description="Seed of the sampler (TPE): the same seed and workers, the same trials.")
    space: dict[str, Range | Choice] = Field(
        default_factory=dict,
        description="Config keys (prep.*, model.*, train.*) to search: a list of choices or {low, high, log, step}. "
        "Empty: the default space for the series (kind, transform, normalisation, lookback in seasons, units and "
        "depth, dense head, dropout, learning rate, batch size).",
    )

    @field_validator("space")
    @classmethod
    def _keys(cls, space: dict[str, Range | Choice]) -> dict[str, Range | Choice]:
        for key, values in space.items():
            section = key.split(".", 1)[0]
            if section not in SEARCHABLE or "." not in key:
                raise ValueError(
                    f"{key!r} cannot be searched: keys of {', '.join(SEARCHABLE)} can (e.g. prep.lookback)"
                )
            if isinstance(values, list) and not values:
                raise ValueError(f"tune.space.{key}: give at least one choice")
        return space


def check_space(space: dict[str, Range | Choice], sections: dict[str, Section]) -> None:
    """Every key names a field, and every choice and range end is a valid value of it
    (checked with the rest of its section as configured)."""
    for key, values in space.items():
        section_name, field = key.split(".", 1)
        section = sections[section_name]
        if field not in type(section).model_fields:
            close = difflib.get_close_matches(field, list(type(section).model_fields), n=1)
            suggestion = f"; did you mean {section_name}.{close[0]}?" if close else ""
            raise ValueError(f"tune.space: {key!r} is not a config key{suggestion}")
        candidates = [values.low, values.high] if isinstance(values, Range) else values
        for value in candidates:
            values_then = {**section.model_dump(), field: value}
            if key == "prep.normalize" and value == "window":
                # Window normalisation applies to levels: the search pairs it with
                # target_transform none (tuning/space.py), so that is how it is checked.
                values_then["target_transform"] = "none"
            try:
                type(section).model_validate(values_then)
            except ValidationError as exc:
                reason = exc.errors()[0]["msg"]
                raise ValueError(f"tune.space.{key}: {value!r} is not a valid value ({reason})") from None
