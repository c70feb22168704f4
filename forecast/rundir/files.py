"""What the JSON files of every kind of run hold, typed: comparison.json (compare), backtest.json
(backtest), tune.json (tune), forecast.json (predict), universe.json (a global model). A training
run's metrics.json is scoring/metrics_file.py's. Read and written by rundir/artifacts.py only.

A file written by an older version is read as it is: keys it no longer has are ignored, and
what it lacks (a verdict) is judged on reading from its own numbers, by the one rule.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from forecast.scoring.forecasters import NETWORK
from forecast.scoring.metrics import METRIC_NAMES
from forecast.scoring.verdict import Verdict, judge, tally

NAIVE_WORDS = "the naive forecast (tomorrow = today)"  # what a file written before the frequency said


class File(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class Span(File):
    first: str
    last: str


# --- comparison.json -----------------------------------------------------------------------


class Shared(File):
    """What every compared run shares, checked before anything is ranked."""

    data_fingerprint: str | None = Field(None, alias="data fingerprint")
    target: str
    test_period: str = Field(alias="test period")
    test_windows: int = Field(alias="test windows")
    horizon: int


class Ranked(File):
    """One forecaster in a comparison: a candidate, its combination, a competitor or a baseline."""

    rank: int = 0
    name: str
    kind: str  # the model kind ("lstm") for a candidate; combination, competitor or baseline otherwise
    run: str | None = None
    scores: dict[str, float | None]  # the metric registry's names -> values (flat in the file)
    dm_p: float | None = None  # against naive
    parameters: int | None = None
    train_seconds: float | None = None
    epochs: int | None = None
    vs_naive: float | None = None  # RMSE / naive's
    versus_naive: Verdict | None = None
    versus_competitor: Verdict | None = None

    @model_validator(mode="before")
    @classmethod
    def _scores(cls, data: Any) -> Any:
        if isinstance(data, dict) and "scores" not in data:
            data = {**data, "scores": {k: data[k] for k in METRIC_NAMES if k in data}}
        return data

    @model_serializer(mode="wrap")
    def _flat(self, handler: Any) -> dict[str, Any]:
        out = handler(self)
        return {**{k: v for k, v in out.items() if k != "scores"}, **out.get("scores", {})}

    @property
    def rmse(self) -> float:
        return self.scores["rmse"]  # type: ignore[return-value]

    @property
    def is_model(self) -> bool:
        return self.kind not in ("baseline", "competitor")

    def verdicts(self, naive_rmse: float) -> list[Verdict]:
        """Against naive, then the best competitor; a row written before verdicts were stored is
        judged against naive from its numbers."""
        stored = [v for v in (self.versus_naive, self.versus_competitor) if v is not None]
        return stored or [judge(self.name, self.rmse, "naive", naive_rmse, self.dm_p)]


class ComparisonFile(File):
    test: Shared
    ranking: list[str]
    rows: list[Ranked]
    naive_words: str = NAIVE_WORDS

    def row(self, name: str) -> Ranked:
        return next(r for r in self.rows if r.name == name)

    @property
    def models(self) -> list[Ranked]:
        return [r for r in self.rows if r.is_model]


# --- backtest.json --------------------------------------------------------------------------


class FoldReport(File):
    fold: int
    train: Span
    test: Span
    scaler_fitted_on: Span
    windows: dict[str, int]
    epochs_run: int | None
    fit_seconds: float
    metrics: dict[str, dict[str, float | None]]  # forecaster -> metric -> value
    diebold_mariano: dict[str, dict[str, Any]]
    best_competitor: dict[str, Any] | None = None  # and the model's test against it
    verdicts: dict[str, dict[str, Verdict]] = Field(default_factory=dict)
    intervals: dict[str, dict[str, Any]] = Field(default_factory=dict)
    combination: dict[str, Any] | None = None

    def judged(self, name: str = NETWORK) -> dict[str, Verdict]:
        """A forecaster's verdicts against naive and the fold's best competitor; a fold written
        before they were stored is judged from its numbers."""
        if self.verdicts:
            return self.verdicts.get(name, {})
        scores, best = self.metrics, self.best_competitor
        p = (self.diebold_mariano.get(name) or {}).get("p_value")
        out = {"naive": judge(name, scores[name]["rmse"], "naive", scores["naive"]["rmse"], p)}
        if best and name == NETWORK:
            out["competitor"] = judge(name, scores[name]["rmse"], best["against"], best["rmse"], best.get("p_value"))
        return out


class BacktestFile(File):
    symbol: str
    target: str
    model: str  # the model kind
    backtest: dict[str, Any]  # evaluate.backtest: folds, mode, refit
    folds: list[FoldReport]
    summary: dict[str, dict[str, dict[str, float | None]]]  # forecaster -> metric -> mean, std

    def tallies(self, name: str = NETWORK) -> list[tuple[str, bool | None]]:
        """The forecaster's verdicts over the folds, a line each against naive and the best
        competitor, with a colour: True when it won in every fold, False when it lost in any."""
        judged = [fold.judged(name) for fold in self.folds]
        lines = []
        for against in ("naive", "competitor"):
            verdicts = [j[against] for j in judged if against in j]
            if verdicts:
                good = True if all(v.better for v in verdicts) else False if any(v.worse for v in verdicts) else None
                lines.append((tally(verdicts, "folds"), good))
        return lines


# --- tune.json ------------------------------------------------------------------------------


class Trial(File):
    """One finished trial, as the leaderboard shows it (tuning/leaderboard.py)."""

    trial: int
    state: str  # complete, pruned or failed
    rmse: float | None  # the objective: mean fold RMSE (pruned: over the folds it ran)
    naive_rmse: float | None  # naive's over the same folds
    network_rmse: float | None = None  # the network's, when the objective is the combination's
    ratio: float | None
    folds: int
    seconds: float | None
    values: dict[str, Any]  # the searched keys' values
    error: str | None = None
    epochs: int | None = None  # epochs trained over its folds, the one it stopped in too (None: before 0.3)


class Tuned(File):
    """The best configuration, trained once and scored on the test part the search never saw."""

    run: str
    same_series: bool
    rmse: float
    naive_rmse: float
    skill: float | None
    beats_naive: bool
    dm_p: float | None
    best_competitor: dict[str, Any] | None = None
    beats_competitors: bool | None = None
    verdicts: dict[str, Verdict] = Field(default_factory=dict)  # against naive, against the best competitor
    # What predict publishes from that run (the combination with evaluate.combine), and its test RMSE
    published: str | None = None
    published_rmse: float | None = None

    def judged(self) -> list[Verdict]:
        if self.verdicts:
            return list(self.verdicts.values())
        found = [judge("tuned model", self.rmse, "naive", self.naive_rmse, self.dm_p)]
        if (rival := self.best_competitor) is not None:
            found.append(judge("tuned model", self.rmse, rival["against"], rival["rmse"], rival.get("p_value")))
        return found


class TuneFile(File):
    symbol: str
    target: str
    objective: str
    searched_rows: Span
    trials: dict[str, int]  # finished, complete, pruned, failed
    pruned_share: float | None = None  # the share of the trials' seconds spent on trials that were pruned
    workers: int
    seed: int
    space: dict[str, Any]
    config_trial: Trial | None = None  # trial 0: the config's own values
    best: Trial | None = None
    importance: dict[str, float] | None = None
    final: Tuned | None = None
    leaderboard: list[Trial] = Field(default_factory=list)


# --- forecast.json --------------------------------------------------------------------------


class TestFigures(File):
    """The published forecaster's figures on its run's test part."""

    skill: float | None = None
    verdict: Verdict | None = None  # against naive
    beats_naive: bool | None = None
    coverage: dict[str, float | None] = Field(default_factory=dict)


class ForecastFile(File):
    run: str
    model_sha256: str | None = None
    model: str
    symbol: str
    target: str
    data: str | None = None
    as_of: str | None = None
    last_bar: str
    last_value: float
    horizon: int
    strategy: str | None = None
    calendar: dict[str, str]  # name, reason
    intervals: dict[str, Any] | None = None
    forecaster: str = NETWORK  # "model": the network; "combination": the run's combination
    combination: dict[str, Any] | None = None  # its weights and words, when it published
    test: TestFigures = Field(default_factory=TestFigures)
    forecast: list[dict[str, Any]] = Field(default_factory=list)  # date, step, forecast, bands, members, actual

    @property
    def made_by(self) -> str:
        return f"{self.model} {'combination' if self.combination else 'model'}"


# --- universe.json --------------------------------------------------------------------------


class Member(File):
    """One symbol of a global model's universe."""

    symbol: str
    run: str | None = None
    status: str | None = None
    error: str | None = None
    exit_code: int | None = None
    model: str | None = None
    rmse: float | None = None
    naive_rmse: float | None = None
    skill: float | None = None
    beats_naive: bool | None = None
    verdict: Verdict | None = None
    test: dict[str, Any] | None = None
    per_symbol: dict[str, Any] | None = None


class UniverseFile(File):
    scope: str
    rows: list[Member]
