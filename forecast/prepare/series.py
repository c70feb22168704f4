"""The series as the model sees it: the config's columns checked, calendar inputs added,
the target transformed; and the chronological split it is cut into.

Every stage, backtest fold and forecast goes through these functions.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.config import Config
from forecast.data.frequency import Frequency, infer_frequency
from forecast.data.load import load_series
from forecast.errors import DataError
from forecast.prepare import deseasonal
from forecast.prepare.deseasonal import Profile
from forecast.prepare.encoding import Encoding
from forecast.prepare.known_future import HOLIDAY, UnknownHolidays, daily_or_finer, known_columns, seasons_in_days
from forecast.prepare.transforms import SEASONAL, Transform, choose, first_row, model_values
from forecast.prepare.windows import Split, split_rows

log = logging.getLogger(__name__)


def columns(config: Config) -> list[str]:
    """Model inputs: the target first, then extra features (the scaler's column 0 is the target)."""
    return [config.data.target, *[f for f in config.data.features if f != config.data.target]]


def check_series(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    wanted = columns(config)
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(
            f"column(s) {', '.join(missing)} not in the {config.data.symbol} series "
            f"(it has: {', '.join(frame.columns)})",
            hint="set data.target / data.features to existing columns",
        )
    frame = frame[wanted]
    bad = frame[frame.isna().any(axis=1)]
    if len(bad):
        dates = ", ".join(d.date().isoformat() for d in bad.index[:5])
        raise DataError(
            f"{len(bad)} row(s) of {config.data.symbol} have missing values in {', '.join(wanted)} (e.g. {dates})",
            hint="repair the data (for CSV: --set data.repair=true drops such rows) or choose other columns",
        )
    return frame


def model_columns(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The model's columns: the target first, then data.features, then the inputs known in
    advance (prepare/known_future.py: calendar features, then Fourier terms)."""
    frame = check_series(frame, config)
    prep = config.prep
    if not prep.calendar_features and not prep.fourier_terms:
        return frame
    frequency = infer_frequency(pd.DatetimeIndex(frame.index))
    columns = known(frame.index, config, frequency)
    for name in prep.calendar_features:
        pair = [c for c in (f"{name}_sin", f"{name}_cos", name) if c in columns]
        if len(frame) and all(np.ptp(columns[c]) == 0 for c in pair) and name != HOLIDAY:
            log.warning(  # weekly bars all on Fridays: nothing to learn
                "prep.calendar_features %s is the same on every date of %s (%s): left out",
                name,
                config.data.symbol,
                frequency.name,
            )
            for c in pair:
                del columns[c]
    return frame.assign(**columns)


def known(index: pd.DatetimeIndex, config: Config, frequency: Frequency) -> dict[str, np.ndarray]:
    """The known-future inputs of these dates (the series' own, or a forecast's future ones)."""
    prep = config.prep
    if HOLIDAY in prep.calendar_features and not daily_or_finer(frequency):
        raise DataError(
            f"prep.calendar_features holiday marks days, and {config.data.symbol} is in {frequency.name}",
            hint="drop holiday; for weekly or monthly data use week_of_year or month, or prep.fourier_terms",
        )
    if prep.fourier_terms and not seasons_in_days(frequency):
        raise DataError(
            f"prep.fourier_terms describes seasons, and {config.data.symbol} ({frequency.name}) has none",
            hint="set prep.fourier_terms: 0",
        )
    try:
        return known_columns(index, prep.calendar_features, prep.fourier_terms, frequency)
    except UnknownHolidays as exc:
        raise DataError(f"{config.data.symbol}: {exc}", hint="drop holiday from prep.calendar_features") from None


def prepared_series(config: Config, data_dir: Path) -> pd.DataFrame:
    """The model's columns of the series the config selects (data/load.py)."""
    return model_columns(load_series(config.data, data_dir), config)


def plan_split(n_rows: int, config: Config, season: int | None = None) -> Split:
    """The chronological split, refusing before any training when it leaves too little.
    season: the series' (evaluate.season resolved), which a seasonal difference reaches back."""
    prep = config.prep
    start = first_row(transform_kind(prep.target_transform, config, season), season)
    split = split_rows(n_rows, prep.lookback, prep.output_steps, prep.test_fraction, prep.val_fraction, start)
    needed = {"training": split.train, "test": split.test}
    if prep.val_fraction > 0:
        needed["validation"] = split.val
    empty = [part for part, starts in needed.items() if len(starts) == 0]
    if empty:
        raise DataError(
            f"{n_rows} rows with lookback {prep.lookback} + output_steps {prep.output_steps} and test_fraction "
            f"{prep.test_fraction} leave no {' or '.join(empty)} windows "
            f"(train {len(split.train)}, validation {len(split.val)}, test {len(split.test)})",
            hint=_longer(config) + " or lower prep.lookback",
        )
    return split


def _longer(config: Config) -> str:
    """How to get more rows: the config's own date span first, when it set one."""
    data = config.data
    span = [f"data.{k}" for k in ("start", "end", "period") if getattr(data, k) is not None]
    return f"widen or drop {', '.join(span)} (set to null)" if span else "fetch a longer period"


def target_transform(frame: pd.DataFrame, config: Config) -> Transform:
    """The transform this series gets: prep.target_transform, auto resolved on its target."""
    prep = config.prep
    if prep.deseasonalize != "none" and prep.target_transform == "auto":
        # Less its season a series is no longer a positive quantity whose moves scale with it.
        return "none" if prep.normalize == "window" else "diff"
    return choose(prep.target_transform, frame.iloc[:, 0].to_numpy(dtype="float64"), prep.normalize)


def seasonal_profile(
    frame: pd.DataFrame, config: Config, test_start: int, frequency: Frequency, season: int | None
) -> Profile | None:
    """prep.deseasonalize's seasonal part, fitted on the rows before `test_start` (None: off)."""
    if config.prep.deseasonalize == "none":
        return None
    lengths = deseasonal.seasons(frequency, season)
    if not lengths:
        raise DataError(
            f"prep.deseasonalize {config.prep.deseasonalize} removes {config.data.symbol}'s seasonal part, and a "
            f"series of {frequency.name} has none",
            hint="set evaluate.season to the rows in one season (e.g. 12), or use prep.deseasonalize: none",
        )
    try:
        return deseasonal.fit(frame, test_start, lengths)
    except ValueError as exc:
        raise DataError(
            f"prep.deseasonalize {config.prep.deseasonalize} cannot fit {config.data.symbol}'s seasons: {exc}",
            hint="use a longer series, a lower evaluate.season, or prep.deseasonalize: none",
        ) from exc


def encoded_values(frame: pd.DataFrame, config: Config, encoding: Encoding) -> np.ndarray:
    """A frame's model values as a trained model sees them: its encoding's transform, season and
    seasonal profile, whatever new rows the frame holds (predict, retrain's holdout)."""
    return transformed(frame, config, encoding.transform, encoding.season, encoding.profile)


def transform_kind(kind: str, config: Config, season: int | None) -> str:
    """`kind`, refused when it is a seasonal difference and the series has no season of 2 rows or more."""
    if kind in SEASONAL and (season is None or season < 2):
        raise DataError(
            f"prep.target_transform {kind} differences {config.data.symbol} at its season, and it has "
            f"{'none' if season is None else f'a season of {season} row'} (yearly data has no season)",
            hint="set evaluate.season to the rows in one season (e.g. 12), or use prep.target_transform: diff",
        )
    return kind


def transformed(
    frame: pd.DataFrame,
    config: Config,
    kind: Transform | None = None,
    season: int | None = None,
    profile: Profile | None = None,
) -> np.ndarray:
    """What the model sees before scaling: the target transformed, features as they are.
    `kind`: a trained model's own transform (its encoding), for new data; else the config's;
    `season`: the season a seasonal difference is taken at (the encoding's, or the series');
    `profile`: the seasonal part removed first (prep.deseasonalize; the encoding's)."""
    kind = kind or target_transform(frame, config)
    transform_kind(kind, config, season)
    try:
        return model_values((profile.remove(frame) if profile else frame).to_numpy(dtype="float64"), kind, season)
    except ValueError as exc:
        raise DataError(
            f"prep.target_transform {kind} cannot be applied to {config.data.symbol} {config.data.target}: {exc}",
            hint="use prep.target_transform: auto (differences for series that reach zero or below)",
        ) from exc


def column_names(frame: pd.DataFrame, kind: Transform) -> tuple[str, ...]:
    return (f"{frame.columns[0]}:{kind}" if kind != "none" else str(frame.columns[0]), *map(str, frame.columns[1:]))
