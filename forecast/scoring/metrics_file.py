"""metrics.json as a type: what `evaluate` writes and every reader loads (rundir/artifacts.py).

The per-forecaster scores stay a mapping keyed by the metric registry's names
(metrics.METRICS), so a new metric needs no change here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from forecast.config import Config
from forecast.data.frequency import naive_words, steps_word
from forecast.scoring.combination import Combination
from forecast.scoring.evaluation import Evaluation, judge_all
from forecast.scoring.forecasters import COMBINATION, NETWORK
from forecast.scoring.frames import per_step_scores
from forecast.scoring.verdict import Verdict


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
    beats_naive: bool  # the network's verdict against naive is "better" (significantly)
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

    # forecaster -> "naive" / "competitor" -> its verdict (scoring/verdict.py): every forecaster
    # against naive, the network and the combination against the best competitor too. A run
    # written before verdicts were stored is judged on reading, from its own numbers.
    verdicts: dict[str, dict[str, Verdict]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _judged(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("verdicts") or "metrics" not in data:
            return data
        best = (data.get("competitors") or {}).get("best")
        versus_best = {} if best is None else {"model": best}
        if (combined := (data.get("combination") or {}).get("versus_best_competitor")) is not None:
            versus_best[COMBINATION] = combined
        fitted = (data.get("competitors") or {}).get("fitted", {})
        verdicts = judge_all(
            data["metrics"],
            data.get("diebold_mariano", {}),
            best and best["against"],
            versus_best,
            fitted,
            data["model"],
            data.get("frequency"),
            data["test"]["horizon"],
        )
        return {**data, "verdicts": verdicts}

    @model_validator(mode="after")
    def _one_rule(self) -> Metrics:
        # beats_naive is the verdict's, whatever an older file said (it said skill > 0).
        verdict = self.verdict()
        self.beats_naive = bool(verdict is not None and verdict.better)
        return self

    @classmethod
    def of(cls, evaluated: Evaluation, config: Config, dates: pd.DatetimeIndex) -> Metrics:
        """metrics.json of the evaluation of a run's test part (the evaluate stage)."""
        part, scores = evaluated.part, evaluated.metrics
        test = TestPart(
            windows=len(part.test),
            first=dates[evaluated.rows[0, 0]].date().isoformat(),
            last=dates[evaluated.rows[-1, -1]].date().isoformat(),
            first_row=part.train_rows[1],
            horizon=part.horizon,
        )
        combination = None
        if evaluated.combination is not None:
            combination = {
                **evaluated.combination.to_dict(),
                "intervals": evaluated.intervals.get("combination"),
                "versus_best_competitor": evaluated.versus_best.get("combination"),
            }
        competitors = {**evaluated.rivals.info(), "best": evaluated.best_competitor}
        verdict = evaluated.verdict()
        return cls(
            target=config.data.target,
            symbol=config.data.symbol,
            model=config.model.kind,
            units="target units (inverse-transformed)",
            test=test,
            scores=scores,
            skill=scores[NETWORK]["skill"],
            beats_naive=bool(verdict is not None and verdict.better),
            diebold_mariano=evaluated.dm,
            mase_scale=evaluated.mase_scale,
            season=part.season,
            frequency=part.frequency,
            per_step=per_step_scores(evaluated) if part.horizon > 1 else None,
            intervals=evaluated.intervals[NETWORK],
            competitors=competitors if config.evaluate.competitors else None,
            combination=combination,
            verdicts=evaluated.verdicts,
        )

    def verdict(self, name: str = NETWORK, against: str = "naive") -> Verdict | None:
        """The verdict of a forecaster ("model", "combination", "auto_ets", ...) against naive or
        against the best competitor ("competitor"); None when there is none."""
        return self.verdicts.get(name, {}).get(against)

    @property
    def best_competitor(self) -> dict[str, Any] | None:
        """{"against": name, "rmse", "statistic", "p_value", ...}, or None (none ran)."""
        return (self.competitors or {}).get("best")

    @property
    def beats_competitors(self) -> bool | None:
        """Significantly better than the best competitor; None when no competitor gave forecasts."""
        verdict = self.verdict(NETWORK, "competitor")
        return None if verdict is None else verdict.better

    @property
    def combination_beats_naive(self) -> bool | None:
        """None without a combination, or when it is naive itself (nothing earned a weight)."""
        if self.combination is None or COMBINATION not in self.scores or self.combination_is_naive:
            return None
        verdict = self.verdict(COMBINATION)
        return None if verdict is None else verdict.better

    @property
    def combination_is_naive(self) -> bool:
        return self.combination is not None and Combination.from_dict(self.combination).is_naive

    def verdict_lines(self) -> list[tuple[str, bool | None]]:
        """What the train summary and the report say first, with its colour (True good, False
        bad): the network against naive and the best competitor, then the combination's
        verdicts and its weights."""
        lines = [(v.words, v.good) for against in ("naive", "competitor") if (v := self.verdict(NETWORK, against))]
        if self.combination is not None and COMBINATION in self.scores:
            for against in ("naive", "competitor"):
                if (v := self.verdict(COMBINATION, against)) is not None:
                    lines.append((v.words, v.good))
            lines.append((Combination.from_dict(self.combination).verdict(self.model), None))
        return lines

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
            {
                "name": (model_name or self.model) if name == "model" else name,
                **scores,
                "dm_p": self.diebold_mariano.get(name, {}).get("p_value"),
            }
            for name, scores in self.scores.items()
        ]

    def to_json(self) -> dict[str, Any]:
        """The mapping metrics.json holds (scores under "metrics")."""
        return self.model_dump(mode="json", by_alias=True)
