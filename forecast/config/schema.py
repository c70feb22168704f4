"""Typed configuration: one pydantic model per YAML section, validated once at the edge.

The same names are used in YAML, on the command line (`--set prep.lookback=60`), in
code and in output. Every field has bounds and a description; the README's config
reference is generated from this schema (`python -m forecast.cli.docs`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from forecast.config.data import DataConfig, Section
from forecast.config.prep import RECIPE, PrepConfig, by_rhythm
from forecast.config.tune import TuneConfig, check_space

Activation = Literal["tanh", "relu", "sigmoid", "linear"]
# The model kinds: model.kind -> the Keras recurrent layer network/models.py stacks. The
# one list of kinds: model.kind's allowed values, compare's kinds and the README come from
# it. It lives here, not in network/, because config/ validates it and sits below network/.
MODEL_KINDS: dict[str, str] = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
# What a kind's Keras layer is built with, where not Keras' defaults (network/models.py).
_NOTES = {
    "gru": " (reset_after=False: its reset gate before the recurrent product, as TensorFlow's fused GRU"
    " cell computes it)"
}
# The statistical competitors: evaluate.competitors -> the statsforecast model fitted
# (scoring/competitors.py). Here for the same reason as MODEL_KINDS.
COMPETITORS: dict[str, str] = {"auto_ets": "AutoETS", "auto_arima": "AutoARIMA", "auto_theta": "AutoTheta"}


class ModelConfig(Section):
    """The recurrent network."""

    kind: Literal[tuple(MODEL_KINDS)] = Field(  # type: ignore[valid-type]
        "lstm",
        description="; ".join(f"{kind}: Keras {layer}{_NOTES.get(kind, '')}" for kind, layer in MODEL_KINDS.items())
        + ". One-way, with tanh and no dropout, lstm and gru train on TensorFlow's fused CPU kernels.",
    )
    units: list[int] = Field(
        [50, 50],
        min_length=1,
        max_length=8,
        json_schema_extra=by_rhythm(),
        description="Units of each stacked recurrent layer.",
    )
    dense: list[int] = Field(
        [25], max_length=8, json_schema_extra=by_rhythm(), description="Hidden Dense layers after the recurrent ones."
    )
    activation: Activation = Field("tanh", description="Recurrent layers' activation.")
    dense_activation: Activation = Field(
        "linear", json_schema_extra=RECIPE, description="Hidden Dense layers' activation."
    )
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout on recurrent layer inputs.")
    recurrent_dropout: float = Field(0.0, ge=0, lt=1, description="Dropout on recurrent state transitions.")
    l2: float = Field(0.0, ge=0, le=1, description="L2 penalty on every layer's kernel weights (0 = off).")
    bidirectional: bool = Field(
        False, description="Wrap recurrent layers in Bidirectional (reads the window both ways)."
    )
    scope: Literal["symbol", "global"] = Field(
        "symbol",
        description="With a universe: symbol trains one model per symbol; global one model on windows pooled from "
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

    epochs: int = Field(
        30,
        ge=1,
        le=10_000,
        json_schema_extra=by_rhythm(RECIPE),
        description="Maximum epochs: a cap; early stopping (patience) may end training sooner.",
    )
    batch_size: int = Field(
        64, ge=1, le=65_536, json_schema_extra=by_rhythm(), description="Windows per gradient step."
    )
    optimizer: Literal["adam", "rmsprop", "sgd"] = Field("adam", description="Optimizer.")
    learning_rate: float = Field(1e-3, gt=0, le=1, description="Optimizer learning rate.")
    loss: Literal["mse", "mae", "huber"] = Field("mse", description="Training loss on the scaled target.")
    patience: int = Field(
        5,
        ge=0,
        le=1000,
        json_schema_extra=by_rhythm(RECIPE),
        description="Early-stopping patience in epochs (0 disables).",
    )
    reduce_lr_patience: int = Field(
        0, ge=0, le=1000, description="Halve the learning rate after this many epochs without improvement (0 = off)."
    )
    clipnorm: float | None = Field(None, gt=0, description="Clip each gradient to this norm (none = off).")
    steps_per_epoch: int | None = Field(
        None, ge=1, description="Cap on gradient steps per epoch, for very long series (none = every window)."
    )
    seed: int = Field(42, ge=0, description="Seed for weights, shuffling and dropout.")
    ensemble: int = Field(
        1,
        ge=1,
        le=20,
        description=(
            "Members of the network: N copies of model's layers starting from different weights (drawn from "
            "train.seed), trained together in one graph and stopped on their mean validation loss; their "
            "forecasts are combined by the median (1 = a single network)."
        ),
    )
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

    season: Annotated[int, Field(ge=1, le=10_000)] | Literal["auto"] = Field(
        "auto",
        description="Season length in rows for seasonal naive. auto: the series' natural season, from its dates "
        "(5 trading days, 7 calendar days, 24 hours, 52 weeks, 12 months, 4 quarters; none for years).",
    )
    intervals: list[float] = Field(
        [0.8, 0.95],
        max_length=5,
        description="Interval levels: split-conformal bands calibrated on the validation part, "
        "their coverage measured on the test part.",
    )
    competitors: list[Literal[tuple(COMPETITORS)]] = Field(  # type: ignore[valid-type]
        list(COMPETITORS),
        description="Statistical models (statsforecast) scored beside the network on the same test targets: "
        + "; ".join(f"{name}: {model}" for name, model in COMPETITORS.items())
        + ". Fitted on the rows before the test part, with the season of evaluate.season. [] for none.",
    )
    competitor_timeout: float = Field(
        60.0, gt=0, le=86_400, description="Seconds each competitor may take; a slower one is skipped with the reason."
    )
    combine: bool = Field(
        False,
        json_schema_extra=by_rhythm(),
        description="Also score a combination: convex weights, fitted on the validation part, for the network, the "
        "best statistical competitor there and naive (a forecaster of its own in every table; predict and retrain "
        "use it). Needs prep.val_fraction > 0.",
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
        True,
        description="Promote only a model that beats the naive forecast on the holdout by the one verdict "
        "(lower RMSE, paired Diebold-Mariano p < 0.05): a lower RMSE alone may be noise.",
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
    tune: TuneConfig = TuneConfig()

    @model_validator(mode="after")
    def _space(self) -> Config:
        check_space(self.tune.space, {"prep": self.prep, "model": self.model, "train": self.train})
        return self

    @model_validator(mode="after")
    def _combine(self) -> Config:
        if self.evaluate.combine and self.prep.val_fraction == 0:
            # The weights are fitted on forecasts of rows no member was fitted on: the validation part.
            raise ValueError(
                "evaluate.combine fits its weights on the validation part, and prep.val_fraction is 0; "
                "set prep.val_fraction (e.g. 0.1) or evaluate.combine: false"
            )
        return self
