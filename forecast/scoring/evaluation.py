"""One evaluation: every forecaster scored on one part of a series, the same way wherever it is
asked (the evaluate stage's test part, every backtest fold, retrain's holdout).

    ours (the network, ...) ──┐
    statistical competitors ──┴─> combination (evaluate.combine) ─> + baselines
        ─> metrics, DM tests against naive and the best competitor ─> verdicts ─> bands

Every forecaster forecasts exactly the same targets; nothing after a window's origin is
used by any of them. Bands are split conformal, calibrated on a forecaster's own forecasts of
the validation windows (which it was not fitted on) and measured on the part's targets.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecast.data.frequency import naive_words
from forecast.errors import DataError
from forecast.rollout.intervals import calibration, floored, with_coverage
from forecast.scoring.baselines import History, baselines
from forecast.scoring.combination import Combination, combine
from forecast.scoring.competitors import Outcome
from forecast.scoring.forecasters import COMBINATION, NETWORK, OURS, label
from forecast.scoring.metrics import Scoring, mase_scale, score
from forecast.scoring.significance import significance, versus
from forecast.scoring.verdict import Verdict, competitor_words, judge

log = logging.getLogger(__name__)
FEW_WINDOWS = 30  # fewer validation windows than this give combination weights that move with a few errors


@dataclass(frozen=True)
class Part:
    """The windows scored, and what the forecasters of them may have seen."""

    target: np.ndarray  # the whole raw series (levels): actuals, and every baseline's history
    dates: pd.DatetimeIndex  # its dates
    test: np.ndarray  # (m,) first target row of each window scored
    horizon: int
    train_rows: tuple[int, int]  # [first, end): the rows the forecasters learnt from (MASE's scale)
    lookback: int  # the window the network saw (window_mean's)
    season: int | None  # None: the series has no season, and no seasonal naive
    frequency: str | None = None  # data/frequency.py's name: naive said in the series' rhythm
    # First target rows of the validation windows: the combination's weights and every band
    # are fitted on forecasts of these.
    validation: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))


@dataclass(frozen=True)
class Forecasts:
    """A forecaster of ours on a part: its forecasts of the test windows, and of the validation
    windows when it has them (then it gets bands, and may join a combination)."""

    test: np.ndarray  # (m, horizon)
    validation: np.ndarray | None = None


@dataclass(frozen=True)
class Evaluation:
    part: Part
    rows: np.ndarray  # (m, horizon): the target row of every forecast
    actual: np.ndarray  # (m, horizon)
    forecasts: dict[str, np.ndarray]  # ours first, then the competitors, then the baselines
    metrics: dict[str, dict[str, Any]]  # forecaster -> metric -> value
    dm: dict[str, dict[str, Any]]  # forecaster -> its Diebold-Mariano test against naive
    mase_scale: float
    # The best statistical competitor and the network's test against it; None: no competitor
    best_competitor: dict[str, Any] | None
    versus_best: dict[str, dict[str, Any]]  # each forecaster of ours -> its test against the best competitor
    verdicts: dict[str, dict[str, Verdict]]  # forecaster -> "naive" / "competitor" -> the verdict
    intervals: dict[str, dict[str, Any] | None]  # each forecaster of ours -> its bands' calibration and coverage
    bands: dict[str, dict[str, np.ndarray]]  # each forecaster of ours -> lower_80, upper_80, ...
    combination: Combination | None  # the weights, when evaluate.combine made one
    rivals: Outcome  # what the competitors fitted, and why any was skipped

    def verdict(self, name: str = NETWORK, against: str = "naive") -> Verdict | None:
        return self.verdicts.get(name, {}).get(against)


def evaluate_part(
    part: Part,
    ours: dict[str, Forecasts],
    rivals: Outcome,
    *,
    model_kind: str,
    combine_them: bool = False,
    levels: Sequence[float] = (),
) -> Evaluation:  # noqa: PLR0913
    """Score `ours` (the network first), the competitors' forecasts of the same windows and every
    baseline; combine_them: add the combination of the network, the best competitor and naive,
    weighted on the validation windows; levels: the interval levels of the bands."""
    target = np.asarray(part.target, dtype="float64")
    known = target[: part.train_rows[1]]  # a series never negative before the part: our forecasts stop at zero
    tests = {
        name: floored(np.asarray(f.test, dtype="float64").reshape(len(part.test), -1), known)
        for name, f in ours.items()
    }
    validations = {name: floored(f.validation, known) for name, f in ours.items() if f.validation is not None}
    combination = None
    if combine_them and len(part.validation) and NETWORK in validations:
        if len(part.validation) < FEW_WINDOWS:
            log.warning(
                "the combination's weights are fitted on only %d validation windows: expect them to be "
                "noisy; raise prep.val_fraction if the series allows",
                len(part.validation),
            )
        validation = (part.validation, validations[NETWORK], rivals.validation)
        combined = combine(target, validation, (part.test, tests[NETWORK], rivals.forecasts))
        tests[COMBINATION], validations[COMBINATION] = combined.test, combined.validation
        combination = combined.combination
    history = History(target, part.test, part.horizon, part.lookback, part.season)
    try:
        forecasts = {**tests, **rivals.forecasts, **baselines(history)}
    except ValueError as exc:
        raise DataError(f"cannot compute the baselines: {exc}", hint="lower evaluate.season") from exc
    rows = part.test[:, None] + np.arange(part.horizon)[None, :]
    actual = target[rows]
    scale = mase_scale(target[part.train_rows[0] : part.train_rows[1]])
    table = score(actual, forecasts, Scoring(history.last_known, scale))
    dm = significance(actual, forecasts)
    best = min(rivals.forecasts, key=lambda name: table[name]["rmse"], default=None)
    versus_best = {} if best is None else {name: versus(actual, forecasts, best, name) for name in tests}
    verdicts = judge_all(table, dm, best, versus_best, rivals.fitted, model_kind, part.frequency, part.horizon)
    intervals: dict[str, dict[str, Any] | None] = {name: None for name in tests}
    bands: dict[str, dict[str, np.ndarray]] = {name: {} for name in tests}
    for name, forecast in validations.items():
        calibrated = calibration(part.dates, target, part.validation, forecast, list(levels))
        intervals[name], bands[name] = with_coverage(calibrated, tests[name], target, part.test, part.train_rows[1])
    rival = None if best is None else {"rmse": table[best]["rmse"], **versus_best[NETWORK]}
    return Evaluation(
        part,
        rows,
        actual,
        forecasts,
        table,
        dm,
        scale,
        rival,
        versus_best,
        verdicts,
        intervals,
        bands,
        combination,
        rivals,
    )


def judge_all(
    table: dict[str, dict[str, Any]],
    dm: dict[str, dict[str, Any]],
    best: str | None,
    versus_best: dict[str, dict[str, Any]],
    fitted: dict[str, str],
    model_kind: str,
    frequency: str | None,
    horizon: int,
) -> dict[str, dict[str, Verdict]]:
    """Every forecaster's verdict against naive, and each of ours against the best competitor,
    from scores and tests already made (an older metrics.json is judged by this too)."""
    naive = naive_words(frequency)
    out: dict[str, dict[str, Verdict]] = {}
    for name, scores in table.items():
        if name == "naive":
            continue
        shown, test = label(name, model_kind), dm.get(name) or {}
        # A step-1 test of a multi-step forecast may point the other way than the RMSE of all steps.
        direction = (lambda t: t.get("statistic")) if horizon > 1 else (lambda t: None)
        out[name] = {
            "naive": judge(
                shown, scores["rmse"], "naive", table["naive"]["rmse"], test.get("p_value"), naive, direction(test)
            )
        }
        if name in OURS and best is not None and name in versus_best:
            against = versus_best[name]
            out[name]["competitor"] = judge(
                shown,
                scores["rmse"],
                best,
                table[best]["rmse"],
                against.get("p_value"),
                competitor_words(best, fitted.get(best)),
                direction(against),
            )
    return out
