"""Defaults by rhythm: what a config that leaves a key unset gets, decided by the series.

The schema's defaults (lookback 60, two LSTM layers of 50, 30 epochs, patience 5, no seasonal
structure, no combination) were measured on daily stock prices, and lose on every other rhythm
(benchmarks/QUALITY.md, "Networks on every rhythm"). A series of calendar days, weeks, months,
quarters or years takes instead the recipe that won there:

    key                   seasonal series (days, weeks,     no season (years)
                          months, quarters)
    prep.lookback         3 seasons                         8
    prep.deseasonalize    mstl                              -
    model.units, .dense   [32], []                          [32], []
    train.epochs          300 (patience 20 stops sooner)    300
    train.patience        20                                20
    train.batch_size      32                                32
    evaluate.combine      true                              true

Prices (trading days, or any source: yahoo), readings of an hour or finer and irregular series
keep the schema's defaults; so does the synthetic sine, whose dates are stand-ins. A key the
config sets is never changed, and the values taken are written into the run's config.yaml, so
predict, resume and retrain read them from there.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.config import Config, build_config
from forecast.data.frequency import TRADING_DAYS, Frequency, infer_frequency, season_of
from forecast.prepare.known_future import intraday
from forecast.prepare.series import prepared_series

log = logging.getLogger(__name__)
LOOKBACK_SEASONS = 3  # UNEMPLOYMENT: 36 months 0.984x AutoARIMA, 24 months 0.99x (QUALITY.md)
SEASONLESS_LOOKBACK = 8  # MARRIAGES' yearly values: 1.34x naive with 8, 1.52x with 60
TRAINING = {"model": {"units": [32], "dense": []}, "train": {"epochs": 300, "patience": 20, "batch_size": 32}}
# Sources whose series are prices, or carry no real dates: the schema's defaults are theirs.
PRICES_OR_STAND_INS = ("yahoo", "synthetic")


def rhythm_defaults(config: Config, frame: pd.DataFrame) -> tuple[Frequency, dict[str, dict[str, Any]]]:
    """The series' frequency, and {section: {key: value}} for the keys this rhythm sets and the
    config leaves unset."""
    frequency = infer_frequency(pd.DatetimeIndex(frame.index))
    if config.data.source in PRICES_OR_STAND_INS or not len(frame) or not _measured(frequency):
        return frequency, {}
    season = season_of(config.evaluate.season, frequency)
    fit_rows = int(len(frame) * (1 - config.prep.test_fraction))
    seasonal = season is not None and season > 1
    lookback = LOOKBACK_SEASONS * season if seasonal else SEASONLESS_LOOKBACK
    wanted: dict[str, dict[str, Any]] = {
        "prep": {"lookback": max(1, min(lookback, fit_rows // 4))},  # short series keep windows to learn from
        "evaluate": {"combine": True} if config.prep.val_fraction > 0 else {},  # its weights need a validation part
        **{section: dict(values) for section, values in TRAINING.items()},
    }
    plain = _unset(config, "prep", "target_transform") and config.prep.normalize == "series"
    if seasonal and plain and fit_rows >= 2 * season:  # MSTL tells a season from the trend in two cycles
        wanted["prep"]["deseasonalize"] = "mstl"
    unset = {s: {k: v for k, v in values.items() if _unset(config, s, k)} for s, values in wanted.items()}
    return frequency, {section: values for section, values in unset.items() if values}


def _unset(config: Config, section: str, key: str) -> bool:
    return key not in getattr(config, section).model_fields_set


def _measured(frequency: Frequency) -> bool:
    """Rhythms with a recipe of their own: not trading days (prices) and not readings of an hour
    or finer, where MSTL's day and week made the network worse (SEA-TEMPERATURE 1.15x against
    1.04x) and the combination trailed the network alone (GLUCOSE, QUALITY.md)."""
    return frequency != TRADING_DAYS and not intraday(frequency) and frequency.name != "irregular"


RHYTHM_KEYS = (  # every key a rhythm may set (rhythm_defaults)
    "prep.lookback",
    "prep.deseasonalize",
    *(f"{section}.{key}" for section, values in TRAINING.items() for key in values),
    "evaluate.combine",
)


def left_to_rhythm(config: Config) -> list[str]:
    """The keys a series' rhythm may still set in `config` (before any series is loaded: config
    show), none for prices and the synthetic sine."""
    if config.data.source in PRICES_OR_STAND_INS:
        return []
    return [dotted for dotted in RHYTHM_KEYS if _unset(config, *dotted.split("."))]


def prepared_for(config: Config, data_dir: Path) -> tuple[Config, pd.DataFrame]:
    """The series a command learns from (prepare/series.py), and the config with its rhythm's
    defaults: what train, backtest, tune, compare and retrain start from."""
    frame = prepared_series(config, data_dir)
    return for_series(config, frame), frame


def for_series(config: Config, frame: pd.DataFrame) -> Config:
    """`config` with its rhythm's defaults for the keys it leaves unset (said in one line)."""
    frequency, defaults = rhythm_defaults(config, frame)
    if not defaults:
        return config
    raw = config.model_dump(mode="json", exclude_unset=True)
    for section, values in defaults.items():
        raw.setdefault(section, {}).update(values)
    said = ", ".join(
        f"{section}.{key} {_text(value)}" for section, values in defaults.items() for key, value in values.items()
    )
    log.info(
        "defaults for %s (measured in benchmarks/QUALITY.md): %s; a key set in the config keeps its value",
        frequency.name,
        said,
    )
    return build_config(raw, config.name)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
