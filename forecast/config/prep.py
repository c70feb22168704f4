"""The prep section: how the series becomes supervised windows (its transform, seasonal
structure, inputs known in advance, scaling and split)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from forecast.config.data import Section

# A default a benchmark chose (issue 20): the README's reference marks it and names where.
# COMPARED: measured against the alternatives. RECIPE: the value the shipped configs use
# and benchmarks/QUALITY.md measured with, not compared with other values. A default a user
# gets by writing a config from the reference is then the recipe that was measured, never the
# tutorial's (levels into a relu head, which QUALITY.md shows losing to naive by 1.3x-6x).
COMPARED = {"measured": "compared in benchmarks/QUALITY.md"}
RECIPE = {"measured": "the shipped configs' value, used by benchmarks/QUALITY.md"}
# A default for prices (and the synthetic sine): a series of another rhythm that leaves the key
# unset takes its rhythm's value instead (forecast/prepare/rhythm.py; the README's table).
BY_RHYTHM = {"rhythm": "for prices; other rhythms: see Defaults by rhythm"}


def by_rhythm(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**(extra or {}), **BY_RHYTHM}


class PrepConfig(Section):
    """How the series becomes supervised windows."""

    lookback: int = Field(
        60, ge=1, le=10_000, json_schema_extra=by_rhythm(), description="Past steps each window sees."
    )
    output_steps: int = Field(
        1, ge=1, le=365, description="Steps the network outputs at once (direct); predict.horizon reaches further."
    )
    test_fraction: float = Field(0.2, gt=0, lt=1, description="Chronological tail of targets held out for testing.")
    val_fraction: float = Field(
        0.1, ge=0, lt=1, description="Tail of the training part used for early stopping (0 disables)."
    )
    scaler_range: tuple[float, float] = Field((0.0, 1.0), description="MinMax range, fitted on the training part only.")
    calendar_features: list[Literal["hour_of_day", "day_of_week", "week_of_year", "month", "holiday"]] = Field(
        default_factory=list,
        description="Calendar inputs added as sine/cosine pairs (dates are known in advance); "
        "one that is the same on every date (day_of_week of weekly data) is left out with a note. "
        "holiday: 1 on a US federal holiday (bokeh-sampledata's USHolidays.ics, 2000-2030; daily and finer data).",
    )
    fourier_terms: int = Field(
        0,
        ge=0,
        le=10,
        description="Sine/cosine pairs of each of the series' seasons, by date, added as inputs: the day and week "
        "for hourly and finer data, the week and year for daily, the year (52.18 weeks) for weekly, monthly and "
        "quarterly data (0 = none).",
    )
    target_transform: Literal[
        "auto", "none", "diff", "log_return", "pct_change", "seasonal_diff", "diff_seasonal_diff"
    ] = Field(
        "auto",
        json_schema_extra=COMPARED,
        description="What the model learns: levels (none) or changes; forecasts are mapped back to levels. "
        "auto: log_return for a series positive throughout, diff otherwise (none with normalize: window). "
        "seasonal_diff: the change from one season before (evaluate.season rows: 12 months, 52 weeks); "
        "diff_seasonal_diff: the first difference of that.",
    )
    deseasonalize: Literal["none", "mstl"] = Field(
        "none",
        json_schema_extra=by_rhythm(),
        description="mstl: the network learns the series less its seasonal part (statsforecast's MSTL, fitted on "
        "the rows before the test part; the day and week for readings finer than an hour, else evaluate.season), "
        "carried forward to every row and added back to its forecasts; auto's transform is then diff.",
    )

    normalize: Literal["series", "window"] = Field(
        "series",
        description="series: one scaler for the series; window: each window relative to its last value (levels only).",
    )

    @model_validator(mode="after")
    def _normalize_levels(self) -> PrepConfig:
        if self.normalize == "window" and self.target_transform not in ("none", "auto"):
            raise ValueError(
                f"normalize window applies to levels; target_transform {self.target_transform} is already relative"
            )
        if self.deseasonalize != "none" and self.target_transform in ("seasonal_diff", "diff_seasonal_diff"):
            raise ValueError(
                f"target_transform {self.target_transform} removes the season that deseasonalize "
                f"{self.deseasonalize} removes; use one of them (deseasonalize: none, or target_transform: diff)"
            )
        return self

    @field_validator("scaler_range")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] >= value[1]:
            raise ValueError(f"scaler_range low {value[0]} must be below high {value[1]}")
        return value
