"""What rhythm a series' dates follow: trading days, calendar days, hours, minutes, weeks,
months, quarters or years, and what follows from it (the natural season, the word for
one step in output).

Inferred from the dates themselves, never from the source or `data.interval`: a weekly
CSV is weekly whatever its cache entry is called.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecast.errors import DataError

RECENT = 500  # the most recent dates decide: old history may have another rhythm
CALENDAR_RECENT = 250  # dates that decide how future dates step: about a trading year
REGULAR = 0.98  # share of recent gaps that must be the usual one for future dates to step by it
GAP_STEPS = 3  # a spacing longer than this many usual steps is a gap in the series (gaps_said)


@dataclass(frozen=True)
class Frequency:
    name: str  # trading days, calendar days, hours, 5-minute readings, weeks, months, quarters, years, irregular
    step: str  # one step in words: day, hour, 5 minutes, week, month, quarter, year
    season: int | None  # rows in the natural season (seasonal naive; evaluate.season: auto); None: no season
    label: str  # yfinance's word for the bar size (1d, 1wk, 1mo, 5m): names a cache file of a series fetched by none

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "step": self.step, "season": self.season}


TRADING_DAYS = Frequency("trading days", "day", 5, "1d")
CALENDAR_DAYS = Frequency("calendar days", "day", 7, "1d")
HOURS = Frequency("hours", "hour", 24, "1h")
WEEKS = Frequency("weeks", "week", 52, "1wk")
MONTHS = Frequency("months", "month", 12, "1mo")
QUARTERS = Frequency("quarters", "quarter", 4, "3mo")
YEARS = Frequency("years", "year", None, "1y")
IRREGULAR = Frequency("irregular", "step", None, "irregular")
# The named frequencies (n-minute readings are named by their n), for what a run recorded.
BY_NAME = {f.name: f for f in (TRADING_DAYS, CALENDAR_DAYS, HOURS, WEEKS, MONTHS, QUARTERS, YEARS)}


def naive_words(name: str | None) -> str:
    """Naive in words: (tomorrow = today) for daily data, (next month = this month) for
    monthly, (the last value) for readings; a run made before 0.2 recorded no frequency
    and was daily."""
    if name is None:
        return "the naive forecast (tomorrow = today)"
    step = BY_NAME[name].step if name in BY_NAME else None
    said = "tomorrow = today" if step == "day" else f"next {step} = this {step}" if step else "the last value"
    return f"the naive forecast ({said})"


def steps_word(name: str | None) -> str:
    """One test step, plural: "days", "weeks", "months", ... ("steps" when unknown)."""
    return f"{BY_NAME[name].step}s" if name in BY_NAME else "steps"


def infer_frequency(index: pd.DatetimeIndex) -> Frequency:
    """The frequency of the most recent dates, from their usual spacing (the median gap)."""
    recent = pd.DatetimeIndex(index[-RECENT:])
    if len(recent) < 3:
        return IRREGULAR
    usual = pd.Series(recent).diff().dropna().median()
    day = pd.Timedelta(days=1)
    if usual < pd.Timedelta(minutes=1):
        return IRREGULAR
    if usual < pd.Timedelta(minutes=55):
        minutes = _minutes(usual)
        return Frequency(f"{minutes}-minute readings", f"{minutes} minutes", _day_season(usual), f"{minutes}m")
    if usual < pd.Timedelta(hours=20):
        return HOURS if abs(usual - pd.Timedelta(hours=1)) <= pd.Timedelta(minutes=5) else IRREGULAR
    if usual <= pd.Timedelta(days=1, hours=12):
        # Trading days: no weekends at all, and the weekday gaps are mostly a day.
        weekends = bool((recent.day_of_week >= 5).any())
        return CALENDAR_DAYS if weekends else TRADING_DAYS
    for frequency, low, high in ((WEEKS, 6, 8), (MONTHS, 27, 32), (QUARTERS, 88, 93), (YEARS, 360, 371)):
        if low * day <= usual <= high * day:
            return frequency
    return IRREGULAR


def named(name: str | None) -> Frequency:
    """A frequency recorded by name (the snapshot stage's, in a run's manifest) as it was inferred."""
    if name in BY_NAME:
        return BY_NAME[name]  # type: ignore[index]
    minutes = name.split("-minute readings")[0] if name and name.endswith("-minute readings") else ""
    if minutes.isdigit():
        gap = pd.Timedelta(minutes=int(minutes))
        return Frequency(name, f"{minutes} minutes", _day_season(gap), f"{minutes}m")  # type: ignore[arg-type]
    return IRREGULAR


def stepping(index: pd.DatetimeIndex) -> tuple[str, str]:
    """The pandas frequency that steps this series' dates forward (the dates of a forecast's
    future steps), and why: pandas' own inference over the recent dates where it finds one
    (it knows anchors: month ends, Fridays), else the rhythm infer_frequency sees in them."""
    recent = pd.DatetimeIndex(index[-CALENDAR_RECENT:])
    if len(recent) < 3:
        raise DataError(f"only {len(recent)} dates: too few to tell the series' frequency")
    freq = _infer_freq(recent)
    if freq is not None:
        return freq, f"inferred from the last {len(recent)} dates"
    if infer_frequency(recent) == TRADING_DAYS:
        return "B", "weekdays (daily bars, none on weekends)"
    gaps = pd.Series(recent[1:] - recent[:-1]).value_counts()
    step = pd.Timedelta(gaps.index[0])
    if gaps.iloc[0] / gaps.sum() < REGULAR:
        raise DataError(
            f"the series' last {len(recent)} dates have no regular spacing (most common gap {step}, "
            f"in {gaps.iloc[0] / gaps.sum():.0%} of them), so future dates cannot be placed",
            hint="set predict.calendar to an exchange code (XNYS) or a pandas frequency (B, D, H)",
        )
    return pd.tseries.frequencies.to_offset(step).freqstr, f"every {step}"


def _infer_freq(index: pd.DatetimeIndex) -> str | None:
    """pandas' inferred frequency as a string, on pandas 2 and 3 alike."""
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = pd.infer_freq(index)
    except KeyError:  # pandas < 3 has no such option and returns a string
        return pd.infer_freq(index)
    return None if freq is None else freq.freqstr


def gaps_said(index: pd.DatetimeIndex) -> str | None:
    """The gaps in a series' dates, in words, or None: spacings longer than GAP_STEPS usual
    steps (a week for trading days, whose weekends and holidays are no gap). A window
    across a gap is forecast and scored like any other, and naive's error there is large:
    on the 5-minute glucose readings, the few windows after hours without data hold a third
    to a half of the squared error of a test part (benchmarks/QUALITY.md)."""
    index = pd.DatetimeIndex(index)
    if len(index) < 3:
        return None
    spacing = pd.Series(index[1:] - index[:-1], index=index[1:])
    usual = spacing.median()
    long = pd.Timedelta(days=7) if infer_frequency(index) == TRADING_DAYS else GAP_STEPS * usual
    found = spacing[spacing > long]
    if found.empty:
        return None
    after = index[index.get_loc(found.idxmax()) - 1]
    when = after.date().isoformat() if after == after.normalize() else after.strftime("%Y-%m-%d %H:%M")
    return (
        f"{len(found)} gap(s) in its dates longer than {_words(long)} (the longest {_words(found.max())}, "
        f"after {when}); windows across a gap are forecast and scored like any other: if the gaps are "
        "not how the series is, fill them, or start after them with data.start"
    )


def _words(span: pd.Timedelta) -> str:
    """A timespan as a person says it: 15 minutes, 11.8 hours, 7 days."""
    if span < pd.Timedelta(hours=1):
        return f"{span / pd.Timedelta(minutes=1):.0f} minutes"
    if span < pd.Timedelta(days=2):
        return f"{span / pd.Timedelta(hours=1):.1f} hours"
    return f"{span / pd.Timedelta(days=1):.0f} days"


def season_of(setting: int | str, frequency: Frequency) -> int | None:
    """evaluate.season resolved: a number as given; auto the natural season of the
    frequency (None: the series has none, and there is no seasonal naive baseline)."""
    return setting if isinstance(setting, int) else frequency.season


def _minutes(gap: pd.Timedelta) -> int:
    return max(1, round(gap / pd.Timedelta(minutes=1)))


def _day_season(gap: pd.Timedelta) -> int | None:
    """Bars of a minutes series in one day (5-minute readings: 288), when that is whole."""
    per_day = pd.Timedelta(days=1) / gap
    return int(round(per_day)) if abs(per_day - round(per_day)) < 1e-6 and per_day <= 1440 else None
