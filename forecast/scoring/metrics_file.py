"""metrics.json as a type: what `evaluate` writes and every reader loads (rundir/artifacts.py).

The per-forecaster scores stay a mapping keyed by the metric registry's names
(evaluation.METRICS), so a new metric needs no change here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from forecast.data.frequency import naive_words, steps_word
from forecast.scoring.combination import NAME as COMBINATION
from forecast.scoring.combination import Combination


class TestPart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    windows: int  # forecast origins scored
    first: str  # date of the first test target
    last: str  # date of the last test target
    first_row: int  # row of the first test target in series.parquet
    horizon: int  # steps per forecast


class Metrics(BaseModel):
    """A run's scores on its test part, in the target's own units."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    target: str
    symbol: str
    model: str  # the model kind
    units: str
    test: TestPart
    # forecaster ("model", "naive", ...) -> metric name -> value; "metrics" in the file
    scores: dict[str, dict[str, float | None]] = Field(alias="metrics")
    skill: float | None  # the model's, against naive
    beats_naive: bool
    diebold_mariano: dict[str, dict[str, Any]]  # forecaster -> the test against naive
    mase_scale: float
    season: int | None  # None: no natural season (yearly data), so no seasonal naive
    frequency: str | None = None  # of the series' dates: trading days, weeks, months, ... (data/frequency.py)
    per_step: list[dict[str, Any]] | None = None
    intervals: dict[str, Any] | None = None
    # The statistical competitors (evaluate.competitors): the model chosen by each one's search,
    # seconds, those skipped and why, and the best one with the model's DM test against it.
    competitors: dict[str, Any] | None = None
    # evaluate.combine: the weights (fitted on the validation part), each member's validation
    # RMSE, the combination's conformal intervals and coverage, and its DM test against the
    # best competitor; its test scores are under "metrics" as "combination".
    combination: dict[str, Any] | None = None

    @property
    def best_competitor(self) -> dict[str, Any] | None:
        """{"against": name, "rmse", "statistic", "p_value", ...}, or None (none ran)."""
        return (self.competitors or {}).get("best")

    def competitor_verdict(self) -> str | None:
        """Against the best statistical competitor, the comparison practitioners make; the one
        wording of the train summary and the report. None when no competitor gave forecasts."""
        best = self.best_competitor
        if best is None:
            return None
        better = "beats" if self.beats_competitors else "is WORSE than"
        fitted = (self.competitors or {}).get("fitted", {}).get(best["against"])
        model = f"{best['against']}, {fitted}" if fitted else best["against"]
        return (f"RMSE {self.rmse:.4f} vs {best['rmse']:.4f}: the {self.model} {better} the best statistical "
                f"competitor ({model}){significance_words(best.get('p_value'))}")  # fmt: skip

    @property
    def beats_competitors(self) -> bool | None:
        """Below the best competitor's RMSE; None when no competitor gave forecasts."""
        best = self.best_competitor
        return None if best is None else self.rmse < best["rmse"]

    def combination_verdict(self) -> list[str]:
        """The combination (evaluate.combine) against naive, against the best competitor, and
        its weights: the train summary's and the report's lines; none without one."""
        if self.combination is None or COMBINATION not in self.scores:
            return []
        rmse, p = self.scores[COMBINATION]["rmse"], self.diebold_mariano.get(COMBINATION, {}).get("p_value")
        weights = Combination.from_dict(self.combination)
        if weights.is_naive:
            return [f"RMSE {rmse:.4f}: the combination is the naive forecast", weights.verdict(self.model)]
        word = "beats" if self.combination_beats_naive else "is WORSE than"
        lines = [f"RMSE {rmse:.4f} vs {self.naive_rmse:.4f}: the combination {word} naive{significance_words(p)}"]
        best, test = self.best_competitor, self.combination.get("versus_best_competitor")
        if best is not None and test is not None:
            word = "beats" if rmse < best["rmse"] else "is worse than"
            lines[0] += f"; it {word} {best['against']} ({best['rmse']:.4f}){significance_words(test.get('p_value'))}"
        return [*lines, weights.verdict(self.model)]

    @property
    def combination_beats_naive(self) -> bool | None:
        """None without a combination, or when it is naive itself (nothing earned a weight)."""
        scores = self.scores.get(COMBINATION)
        if scores is None or self.combination is None or Combination.from_dict(self.combination).is_naive:
            return None
        return bool(scores["rmse"] < self.naive_rmse)  # type: ignore[operator]

    @property
    def rmse(self) -> float:
        return self.scores["model"]["rmse"]  # type: ignore[return-value]

    @property
    def naive_rmse(self) -> float:
        return self.scores["naive"]["rmse"]  # type: ignore[return-value]

    @property
    def naive_words(self) -> str:
        """What naive is, in the series' own rhythm (the frequency of its dates)."""
        return naive_words(self.frequency)  # data/frequency.py

    @property
    def steps_word(self) -> str:
        """One test step, plural: "days", "weeks", "months", ... ("steps" when unknown)."""
        return steps_word(self.frequency)

    @property
    def dm_p(self) -> float | None:
        """The Diebold-Mariano p-value of the model against naive."""
        return self.diebold_mariano.get("model", {}).get("p_value")

    def rows(self, model_name: str | None = None) -> list[dict[str, Any]]:
        """One row per forecaster for a table: the model (named by its kind) first, then each
        baseline, every metric and the DM p-value against naive."""
        return [
            {"name": (model_name or self.model) if name == "model" else name, **scores,
             "dm_p": self.diebold_mariano.get(name, {}).get("p_value")}
            for name, scores in self.scores.items()
        ]  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The mapping metrics.json holds (scores under "metrics")."""
        return self.model_dump(mode="json", by_alias=True)


def significance_words(p: float | None) -> str:
    """ "; the difference is (not) significant (DM p ...)", or nothing without a test."""
    if p is None:
        return ""
    shown = "< 0.0001" if p < 1e-4 else f"{p:.4f}"
    return f"; the difference is {'' if p < 0.05 else 'not '}significant (DM p {shown})"
