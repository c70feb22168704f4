"""Typed configuration: one pydantic model per YAML section, validated once at the edge.

The same names are used in YAML, on the command line (`--set prep.lookback=60`), in
code and in output. Every field has bounds and a description; the README's config
reference is generated from this schema (`python -m forecast.docs`).
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from forecast.data.symbols import normalise_ticker, ticker_from_filename
from forecast.errors import ConfigError, MissingInputError

Source = Literal["yahoo", "sample", "csv", "synthetic"]
Interval = Literal["1m", "2m", "5m", "15m", "30m", "60m", "90m", "1h", "1d", "5d", "1wk", "1mo", "3mo"]
Period = Literal["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]
LOCAL_SOURCES = ("sample", "csv", "synthetic")
MAX_UNIVERSE = 10_000


class Section(BaseModel):
    # extra="forbid": a typo in YAML is an error naming the key, never silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(Section):
    """Where the series comes from and which column is forecast."""

    source: Source = Field(
        "yahoo", description="yahoo (network, cached), sample (bundled real prices), csv, synthetic."
    )
    ticker: str | None = Field(None, description="Symbol, e.g. MSFT or ^GSPC; for csv/synthetic the cache name.")
    tickers: list[str] | None = Field(
        None,
        min_length=1,
        max_length=MAX_UNIVERSE,
        description="A universe instead of one ticker: one run (and one registry entry) per symbol, "
        "named <name>-<symbol>.",
    )
    tickers_file: Path | None = Field(
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
    repair: bool = Field(False, description="CSV: drop bad rows, sort and de-duplicate instead of failing.")
    points: int = Field(1000, ge=10, le=10_000_000, description="Synthetic: number of points.")
    seed: int = Field(0, ge=0, description="Synthetic: noise seed (in a universe, the i-th symbol's is seed + i).")
    timeout: float = Field(30.0, gt=0, le=600, description="Yahoo: seconds before a request is abandoned.")
    retries: int = Field(3, ge=0, le=10, description="Yahoo: retries on rate limits and network errors.")

    @field_validator("ticker")
    @classmethod
    def _ticker(cls, value: str | None) -> str | None:
        return None if value is None else normalise_ticker(value)

    @field_validator("tickers")
    @classmethod
    def _tickers(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        symbols = [normalise_ticker(str(v)) for v in value]
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
        if self.source == "csv" and self.path is None:
            raise ValueError("source csv needs path: the CSV file to read")
        universe = self.universe
        if sum([self.ticker is not None, self.tickers is not None, self.tickers_file is not None]) > 1:
            raise ValueError("set one of ticker, tickers or tickers_file")
        if universe and self.source == "csv":
            raise ValueError("a universe (tickers) needs source yahoo, sample or synthetic; a csv is one series")
        if self.source in ("yahoo", "sample") and self.ticker is None and not universe:
            raise ValueError(f"source {self.source} needs ticker, e.g. MSFT")
        if self.source in LOCAL_SOURCES and self.source != "csv" and self.interval != "1d":
            raise ValueError(f"source {self.source} has daily bars only (interval 1d)")
        return self

    @property
    def universe(self) -> bool:
        """True when the config names several symbols (forecast/universe/)."""
        return self.tickers is not None or self.tickers_file is not None

    @property
    def symbol(self) -> str:
        """The name this series has in the cache and in run names."""
        if self.ticker:
            return self.ticker
        if self.source == "csv" and self.path is not None:
            return ticker_from_filename(self.path.stem)
        return "SINE"


class PrepConfig(Section):
    """How the series becomes supervised windows."""

    lookback: int = Field(60, ge=1, le=10_000, description="Past steps each window sees.")
    horizon: int = Field(1, ge=1, le=365, description="Steps ahead each window predicts (direct, all at once).")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="Chronological tail of targets held out for testing.")
    val_fraction: float = Field(
        0.1, ge=0, lt=1, description="Tail of the training part used for early stopping (0 disables)."
    )
    scaler_range: tuple[float, float] = Field((0.0, 1.0), description="MinMax range, fitted on the training part only.")
    calendar: list[Literal["day_of_week", "month"]] = Field(
        default_factory=list, description="Calendar inputs added as sine/cosine pairs (dates are known in advance)."
    )
    target_transform: Literal["none", "diff", "log_return", "pct_change"] = Field(
        "none",
        description="What the model learns: levels (none) or changes; forecasts are mapped back to levels.",
    )

    normalize: Literal["global", "window"] = Field(
        "global",
        description="global: one scaler for the series; window: each window relative to its last value (levels only).",
    )

    @model_validator(mode="after")
    def _normalize_levels(self) -> PrepConfig:
        if self.normalize == "window" and self.target_transform != "none":
            raise ValueError(
                f"normalize window applies to levels; target_transform {self.target_transform} is already relative"
            )
        return self

    @field_validator("scaler_range")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] >= value[1]:
            raise ValueError(f"scaler_range low {value[0]} must be below high {value[1]}")
        return value


Activation = Literal["tanh", "relu", "sigmoid", "linear"]


class ModelConfig(Section):
    """The recurrent network."""

    kind: Literal["rnn", "lstm", "gru"] = Field("lstm", description="rnn (SimpleRNN), lstm or gru.")
    units: list[int] = Field([50, 50], min_length=1, max_length=8, description="Units of each stacked recurrent layer.")
    dense: list[int] = Field([25], max_length=8, description="Hidden Dense layers after the recurrent ones.")
    activation: Activation = Field("tanh", description="Recurrent layers' activation.")
    dense_activation: Activation = Field("relu", description="Hidden Dense layers' activation.")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout on recurrent layer inputs.")
    recurrent_dropout: float = Field(0.0, ge=0, lt=1, description="Dropout on recurrent state transitions.")
    l2: float = Field(0.0, ge=0, le=1, description="L2 penalty on every layer's kernel weights (0 = off).")
    bidirectional: bool = Field(
        False, description="Wrap recurrent layers in Bidirectional (reads the window both ways)."
    )
    scope: Literal["ticker", "global"] = Field(
        "ticker",
        description="With a universe: ticker trains one model per symbol; global one model on windows pooled from "
        "every symbol (each scaled on its own training part).",
    )

    @field_validator("units", "dense")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(n < 1 or n > 4096 for n in value):
            raise ValueError(f"layer sizes must be between 1 and 4096, got {value}")
        return value


class TrainConfig(Section):
    """Fitting."""

    epochs: int = Field(50, ge=1, le=10_000, description="Maximum epochs.")
    batch_size: int = Field(64, ge=1, le=65_536, description="Windows per gradient step.")
    optimizer: Literal["adam", "rmsprop", "sgd"] = Field("adam", description="Optimizer.")
    learning_rate: float = Field(1e-3, gt=0, le=1, description="Optimizer learning rate.")
    loss: Literal["mse", "mae", "huber"] = Field("mse", description="Training loss on the scaled target.")
    patience: int = Field(10, ge=0, le=1000, description="Early-stopping patience in epochs (0 disables).")
    reduce_lr_patience: int = Field(
        0, ge=0, le=1000, description="Halve the learning rate after this many epochs without improvement (0 = off)."
    )
    clipnorm: float | None = Field(None, gt=0, description="Clip each gradient to this norm (none = off).")
    steps_per_epoch: int | None = Field(
        None, ge=1, description="Cap on gradient steps per epoch, for very long series (none = every window)."
    )
    seed: int = Field(42, ge=0, description="Seed for weights, shuffling and dropout.")
    deterministic: bool = Field(True, description="TensorFlow op determinism: same seed, same metrics.")
    tensorboard: bool = Field(
        False, description="Write TensorBoard event files to the run's tensorboard/ folder (tensorboard --logdir runs)."
    )


class BacktestConfig(Section):
    """Walk-forward backtest: k chronological test folds at the end of the series."""

    folds: int = Field(3, ge=1, le=50, description="Number of test folds; together they cover prep.test_fraction.")
    mode: Literal["expanding", "sliding"] = Field(
        "expanding", description="expanding: train on everything before a fold; sliding: a fixed-length window."
    )
    refit: bool = Field(True, description="Refit the model for every fold (false: train once on fold 1, reuse).")


class EvaluateConfig(Section):
    """Metrics and baselines."""

    season: int = Field(5, ge=1, le=366, description="Season length in rows for seasonal naive (5 = a trading week).")
    intervals: list[float] = Field(
        [0.8, 0.95],
        max_length=5,
        description="Interval levels: split-conformal bands calibrated on the validation part, "
        "their coverage measured on the test part.",
    )
    backtest: BacktestConfig = BacktestConfig()

    @field_validator("intervals")
    @classmethod
    def _levels(cls, value: list[float]) -> list[float]:
        if any(not 0 < level < 1 for level in value):
            raise ValueError(f"interval levels must be between 0 and 1 (exclusive), e.g. 0.8, got {value}")
        return sorted(set(value))


class PredictConfig(Section):
    """Forecasts of the real future (forecast predict)."""

    horizon: int = Field(10, ge=1, le=1000, description="Steps to forecast past the last bar (--horizon).")
    calendar: str = Field(
        "auto",
        pattern=r"^[A-Za-z0-9-]{1,16}$",
        description="Dates of future steps: auto (NYSE sessions for daily stock bars that follow them, else the "
        "series' own frequency), an exchange code such as XNYS or XLON, or a pandas frequency such as B, D, W-FRI.",
    )


class RetrainConfig(Section):
    """Scheduled retraining (forecast retrain): when a challenger replaces the champion."""

    min_improvement: float = Field(
        0.01,
        ge=0,
        lt=1,
        description="Relative RMSE gain over the champion, on the same holdout, needed to promote (0.01 = 1%).",
    )
    require_beats_naive: bool = Field(
        True, description="Promote only a model whose holdout RMSE is below the naive forecast's."
    )
    keep_runs: int = Field(
        10, ge=1, le=10_000, description="Runs of this model kept besides the champion and its predecessor."
    )


class PlotConfig(Section):
    """Figures and the HTML report."""

    enabled: bool = Field(True, description="Write forecast.png, residuals.png and loss.png.")
    dpi: int = Field(110, ge=50, le=600, description="Resolution of the PNG files.")
    report: bool = Field(
        True, description="Write report.html: self-contained (figures embedded), opens offline (forecast report)."
    )


class MlflowConfig(Section):
    """Optional MLflow tracking (pip install 'forecast[mlflow]'): params, metrics and artifacts of each run."""

    enabled: bool = Field(False, description="Log every finished run to MLflow (or pass --mlflow).")
    tracking_uri: str | None = Field(
        None,
        description="Where to log, e.g. sqlite:///mlflow.db or http://host:5000 "
        "(none = a local file store: <runs root>/mlruns).",
    )
    experiment: str | None = Field(None, description="MLflow experiment (none = the config's name).")


class Config(Section):
    """A whole run."""

    name: str = Field("forecast", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Run name prefix.")
    data: DataConfig
    prep: PrepConfig = PrepConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    predict: PredictConfig = PredictConfig()
    retrain: RetrainConfig = RetrainConfig()
    plot: PlotConfig = PlotConfig()
    mlflow: MlflowConfig = MlflowConfig()


# --- errors ------------------------------------------------------------------------


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the field at `loc` (for key suggestions)."""
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def describe_validation_error(
    error: ValidationError, model: type[BaseModel], prefix: str = "", names: dict[str, str] | None = None
) -> str:
    """One line naming the first bad field by its dotted path, with what is allowed.

    `names` switches to command-line wording: a field is named by its option
    (--interval) or by the argument it came from (TICKER).
    """
    first = error.errors()[0]
    loc = tuple(first["loc"])
    if names is not None:
        field = str(loc[-1]) if loc else ""
        where = names.get(field, "--" + field.replace("_", "-")) if field else "options"
    else:
        where = ".".join(str(p) for p in (prefix, *loc) if p != "") or "config"
    kind, msg = first["type"], first["msg"]
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        known = sorted(owner.model_fields) if owner else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        suggestion = f"; did you mean {close[0]!r}?" if close else ""
        return f"{where}: unknown key{suggestion} (allowed: {', '.join(known)})"
    if kind == "missing":
        return f"{where}: required but missing"
    msg = msg.removeprefix("Value error, ")
    msg = msg[:1].lower() + msg[1:]
    given = first.get("input")
    if loc and given is not None and not isinstance(given, dict) and repr(given) not in msg:
        msg = f"{msg} (got {given!r})"
    return f"{where}: {msg}"


# --- loading -------------------------------------------------------------------------


def _parse_override(text: str) -> tuple[list[str], Any]:
    import yaml

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {text!r} is not of the form section.key=value", hint="e.g. --set prep.lookback=60")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw  # a plain string such as a path with a colon
    return key.strip().split("."), value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `a.b=c` overrides onto a raw mapping (values parsed as YAML scalars/lists)."""
    for text in overrides:
        path, value = _parse_override(text)
        node = raw
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {text!r}: {part!r} is not a section")
            node = child
        node[path[-1]] = value
    return raw


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise MissingInputError(
            f"config file {path} not found", hint="pass an existing YAML file, e.g. configs/lstm.yaml"
        )
    try:
        # safe_load: YAML tags that would construct Python objects are refused.
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"config {path}{where}: {problem}", hint="fix the YAML syntax") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config {path} is not UTF-8 text") from exc
    if raw is None:
        raise ConfigError(f"config {path} is empty", hint="start from configs/lstm.yaml")
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path} must be a mapping of sections, got {type(raw).__name__}")
    return raw


def build_config(raw: dict[str, Any], source_name: str = "config") -> Config:
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source_name}: {describe_validation_error(exc, Config)}") from exc


def load_config(path: Path, overrides: list[str] | None = None) -> Config:
    raw = read_yaml_mapping(path)
    raw.setdefault("name", path.stem)
    data = raw.get("data")
    if isinstance(data, dict) and isinstance(data.get("path"), str) and not Path(data["path"]).is_absolute():
        # A path written in a config file is relative to that file, so a config works
        # from any working directory (cron). A path given with --set is relative to cwd.
        data["path"] = str((path.parent / data["path"]).resolve())
    tickers_file = data.get("tickers_file") if isinstance(data, dict) else None
    if isinstance(tickers_file, str) and not Path(tickers_file).is_absolute():
        data["tickers_file"] = str((path.parent / data["tickers_file"]).resolve())
    return build_config(apply_overrides(raw, overrides or []), str(path))


def data_config_from_options(**options: Any) -> DataConfig:
    """Build the data section from CLI options; errors name the option (--interval ...)."""
    from forecast.errors import UsageError

    try:
        return DataConfig.model_validate({k: v for k, v in options.items() if v is not None})
    except ValidationError as exc:
        names = {"ticker": "TICKER", "path": "TICKER"}
        raise UsageError(describe_validation_error(exc, DataConfig, names=names)) from exc


def require_one_series(config: Config, what: str) -> None:
    """Stages, backtests and forecasts work on one series; a universe is fanned out first."""
    if config.data.universe:
        raise ConfigError(
            f"{what} works on one series, and config {config.name} names a universe (data.tickers)",
            hint="train or retrain the universe (one run per symbol), or set data.ticker for one symbol",
        )


def dump_config(config: Config) -> str:
    import yaml

    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
