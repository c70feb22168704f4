"""The data section: where the series comes from and which column is forecast."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from forecast.data.sources import SOURCES, SPECS, SourceSpec
from forecast.data.symbols import normalise_symbol, symbol_from_filename

Source = Literal[SOURCES]  # type: ignore[valid-type]  # the names of data/sources/SPECS
Interval = Literal["1m", "2m", "5m", "15m", "30m", "60m", "90m", "1h", "1d", "5d", "1wk", "1mo", "3mo"]
Period = Literal["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]
MAX_UNIVERSE = 10_000


class Section(BaseModel):
    # extra="forbid": a typo in YAML is an error naming the key, never silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(Section):
    """Where the series comes from and which column is forecast."""

    source: Source = Field("yahoo", description="; ".join(f"{s.name}: {s.help}" for s in SPECS.values()) + ".")
    symbol: str | None = Field(
        None,
        description="The series' name, e.g. MSFT or ^GSPC; csv and synthetic name it themselves (the file's name, "
        "SINE) unless set. Its name in the cache, in run names and in output.",
    )
    symbols: list[str] | None = Field(
        None,
        min_length=1,
        max_length=MAX_UNIVERSE,
        description="A universe instead of one symbol: one run (and one registry entry) per symbol, "
        "named <name>-<symbol>.",
    )
    symbols_file: Path | None = Field(
        None, description="A universe from a file: one symbol per line, # comments (relative to the config)."
    )
    path: Path | None = Field(None, description="CSV file (source: csv).")
    period: Period | None = Field(None, description="Look-back period; default max when start/end are not set.")
    start: dt.date | None = Field(None, description="First date, inclusive (YYYY-MM-DD).")
    end: dt.date | None = Field(None, description="Last date, exclusive (YYYY-MM-DD), as in yfinance.")
    interval: Interval = Field("1d", description="Bar size.")
    auto_adjust: bool = Field(
        False,
        description="Adjust open/high/low/close for splits and dividends (false keeps raw OHLC plus adj_close).",
    )
    target: str = Field("adj_close", description="Column to forecast: adj_close, close, value, ...")
    features: list[str] = Field(default_factory=list, description="Extra input columns besides the target.")
    date_column: str = Field("date", description="Date column of a CSV (matched case-insensitively).")
    date_format: str | None = Field(
        None,
        max_length=64,
        description="Format of a CSV's dates, e.g. %d/%m/%Y (strftime codes). Unset: ISO and other unambiguous "
        "dates are read; day/month dates that read both ways are refused.",
    )
    repair: bool = Field(False, description="CSV: drop bad rows, sort and de-duplicate instead of failing.")
    points: int = Field(1000, ge=10, le=10_000_000, description="Synthetic: number of points.")
    seed: int = Field(0, ge=0, description="Synthetic: noise seed (in a universe, the i-th symbol's is seed + i).")
    timeout: float = Field(30.0, gt=0, le=600, description="Yahoo: seconds before a request is abandoned.")
    retries: int = Field(3, ge=0, le=10, description="Yahoo: retries on rate limits and network errors.")

    @model_validator(mode="before")
    @classmethod
    def _own_symbol(cls, raw: object) -> object:
        """A source that names its series itself (csv: the file's name; synthetic: SINE)
        fills in data.symbol, so the resolved config (a run's config.yaml) says it."""
        if not isinstance(raw, dict) or raw.get("symbol") is not None or raw.get("symbols") or raw.get("symbols_file"):
            return raw
        spec = SPECS.get(raw.get("source", "yahoo"))
        if spec is None or spec.named:
            return raw
        path = raw.get("path")
        if spec.takes_path and not path:
            return raw  # the "needs path" error below says what is wrong
        return {**raw, "symbol": symbol_from_filename(Path(path).stem) if spec.takes_path else "SINE"}

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str | None) -> str | None:
        return None if value is None else normalise_symbol(value)

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        symbols = [normalise_symbol(str(v)) for v in value]
        repeated = sorted({s for s in symbols if symbols.count(s) > 1})
        if repeated:
            raise ValueError(f"symbol(s) {', '.join(repeated)} listed more than once")
        return symbols

    @model_validator(mode="after")
    def _consistent(self) -> DataConfig:
        if self.period and (self.start or self.end):
            raise ValueError("set either period or start/end, not both")
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"start {self.start} is not before end {self.end}")
        spec = self.spec
        if spec.takes_path and self.path is None:
            raise ValueError(f"source {self.source} needs path: the file to read")
        universe = self.universe
        if sum([self.symbols is not None, self.symbols_file is not None]) > 1 or (universe and self.symbol):
            raise ValueError("set one of symbol, symbols or symbols_file")
        if universe and not spec.universe:
            able = ", ".join(s.name for s in SPECS.values() if s.universe)
            raise ValueError(f"a universe (symbols) needs source {able}; source {self.source} is one series")
        if self.symbol is None and not universe:
            raise ValueError(f"source {self.source} needs symbol, e.g. MSFT")
        if spec.daily_only and self.interval != "1d":
            raise ValueError(f"source {self.source} has daily bars only (interval 1d)")
        return self

    @property
    def spec(self) -> SourceSpec:
        """What this data source is (data/sources/__init__.py)."""
        return SPECS[self.source]

    @property
    def universe(self) -> bool:
        """True when the config names several symbols (forecast/commands/universe/)."""
        return self.symbols is not None or self.symbols_file is not None
