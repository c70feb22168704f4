"""The statistical competitors: AutoETS, AutoARIMA and AutoTheta from statsforecast, the
models practitioners fit in a second, forecasting exactly the test targets the network does.

Each is fitted once on the rows before the test part (the rows the network learnt from
and was stopped on), then forecasts every test window from the history up to that
window's origin with the parameters it was fitted with: the test part is never fitted on,
and no forecast sees a value at or after its own origin.

A fit can be slow (a seasonal ARIMA with a 52-week season takes minutes): each competitor
runs in a child process that is killed at evaluate.competitor_timeout and reported as
skipped with the reason, never a hang.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forecast.config.schema import COMPETITORS
from forecast.errors import DependencyError
from forecast.scoring import fit_memo
from forecast.workers import imports
from forecast.workers.bounded import Bounded, StartError

log = logging.getLogger(__name__)
# The thread that fits the competitors while the network trains (pipeline/stages.py) is silent:
# the competitors stage reports what it fitted, once, in its place in the pipeline's output.
BESIDE = "competitors"
log.addFilter(lambda record: record.threadName != BESIDE)

# One-step forecasts of these equal their in-sample fitted values when the fitted model is run
# over the whole series once (a filter: each fitted value uses only the rows before it;
# checked in tests/scoring/test_competitors.py). The others are forecast from each origin's
# history: run over a whole series, AutoTheta re-tests and re-decomposes its seasonality and
# AutoARIMA re-fits its drift term with the rows after the origin, a small look-ahead.
FILTERED = ("auto_ets",)
# AutoARIMA's exact search over a season of more than a day of hourly readings takes minutes
# (SEA-TEMPERATURE's 48 half-hours: over the 60 s limit in every fold); with statsforecast's
# approximation (R's auto.arima uses it for any series over 150 values) it fits in about a
# second. Series with shorter seasons keep the exact search, and the models they had.
LONG_SEASON = 24
# A seasonal ARIMA on a season longer than this does not fit in statsforecast at all (GLUCOSE's
# 288 five-minute readings: out of memory, even approximated), and a seasonal ETS runs past its
# time limit (R's ets refuses seasons over 24). AutoARIMA and AutoETS then model the series less
# its MSTL seasonal part, fitted on the same rows and carried forward by row, as
# prep.deseasonalize does for the network (Hyndman's advice for long seasons: decompose, then a
# non-seasonal model); the forecast adds the season back.
MSTL_SEASON = 100
LESS_SEASON = ("auto_arima", "auto_ets")


def options(name: str, season: int | None) -> dict[str, Any]:
    """A competitor's statsforecast options beyond its season (part of its fit's memo key)."""
    return {"approximation": True} if name == "auto_arima" and (season or 1) > LONG_SEASON else {}


def deseasonalized(name: str, season: int | None) -> bool:
    """Whether the competitor models the series less its MSTL season (MSTL_SEASON)."""
    return name in LESS_SEASON and (season or 1) > MSTL_SEASON


@dataclass(frozen=True)
class Task:
    """What every competitor forecasts: `starts` are the first target rows of the windows
    (as in scoring/evaluation.py); history is target[first:origin]."""

    target: np.ndarray  # the whole raw series, float64
    fit_rows: tuple[int, int]  # [first, end): the rows the competitors are fitted on
    starts: np.ndarray  # (m,) first target row of each window
    horizon: int
    season: int | None


@dataclass
class Outcome:
    forecasts: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (m, horizon)
    fitted: dict[str, str] = field(default_factory=dict)  # name -> the model chosen: "ETS(M,Ad,N)"
    seconds: dict[str, float] = field(default_factory=dict)  # name -> fit and forecasts, wall time
    skipped: dict[str, str] = field(default_factory=dict)  # name -> why it has no forecasts
    # name -> (validation windows, steps), fitted on the rows before the validation part:
    # what a combination's weights are fitted on (evaluate.combine; scoring/combination.py)
    validation: dict[str, np.ndarray] = field(default_factory=dict)

    def info(self) -> dict[str, Any]:
        """What metrics.json records of the competitors (forecasts go to the score tables;
        seconds to the manifest, so that evaluating again writes the same metrics.json)."""
        return {"fitted": self.fitted, "skipped": self.skipped}


def forecast(name: str, task: Task) -> tuple[np.ndarray, str]:
    """(m, horizon) forecasts of one competitor, and the model its automatic search chose."""
    import statsforecast.models as models

    first, end = task.fit_rows
    y = np.asarray(task.target, dtype="float64")
    less = deseasonalized(name, task.season)
    part = _season_part(y, task) if less else np.zeros(len(y) + task.horizon)  # added back to every forecast
    rest = y - part[: len(y)]
    season = 1 if less else task.season or 1
    model = getattr(models, COMPETITORS[name])(season_length=season, **options(name, task.season))
    with warnings.catch_warnings():  # statsforecast warns about its own numerical corners
        warnings.simplefilter("ignore")
        model.fit(rest[first:end])
        if task.horizon == 1 and name in FILTERED and task.starts.max() < len(y):  # not from past the last row
            last = int(task.starts.max())
            fitted = model.forward(rest[first : last + 1], h=1, fitted=True)["fitted"]
            out = fitted[task.starts - first][:, None]
        else:
            out = np.stack([model.forward(rest[first:start], h=task.horizon)["mean"] for start in task.starts])
    out = np.asarray(out, dtype="float64").reshape(len(task.starts), task.horizon)
    out += part[task.starts[:, None] + np.arange(task.horizon)]
    described = _describe(name, model)
    return out, f"MSTL({task.season}) + {described}" if less else described


def _season_part(y: np.ndarray, task: Task) -> np.ndarray:
    """MSTL's seasonal part (MSTL_SEASON) of every row and of the horizon past the last: the
    season's last cycle in the fit rows, carried to each row by its distance from them."""
    from statsforecast.mstl import mstl

    first, end = task.fit_rows
    season = int(task.season or 1)
    if end - first < 2 * season:  # STL tells a season from the trend in two cycles
        raise ValueError(f"{end - first} rows to fit on hold fewer than two seasons of {season}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cycle = mstl(y[first:end], season)["seasonal"].to_numpy(dtype="float64")[-season:]
    return cycle[(np.arange(len(y) + task.horizon) - end) % season]  # row end - season: the cycle's first


def _describe(name: str, model: Any) -> str:
    if name == "auto_arima":
        from statsforecast.arima import arima_string

        return arima_string(model.model_).strip()
    if name == "auto_ets":
        return str(model.model_["method"])
    return f"Theta ({model.model_['modeltype']})"


def run(names: list[str], task: Task, timeout: float, memo: Path | None = None, of: str = "") -> Outcome:
    """Every named competitor in turn, each bounded by `timeout` seconds. memo: a folder where
    processes share their answers (fit_memo.py); without it, only this process remembers them.
    of: what the fits are for, said in their lines (" for the combination's weights")."""
    outcome = Outcome()
    for name in names:
        label = name + of
        (status, *result), outcome.seconds[name], earlier = _answer(name, task, timeout, memo)
        if status == "ok" and not np.all(np.isfinite(result[0])):
            status, result = "error", ["it gave non-finite forecasts"]
        # One line each: on a long series a competitor takes a minute, and the stage is otherwise silent.
        took = f"{'fitted earlier, ' if earlier else ''}in {outcome.seconds[name]:.1f} s"
        if status == "ok":
            outcome.forecasts[name], outcome.fitted[name] = result
            log.info("competitor %s: %s %s", label, result[1], took)
        else:
            outcome.skipped[name] = result[0]
            log.info("competitor %s skipped: %s", label, result[0])
    return outcome


def for_part(
    names: list[str],
    task: Task,
    timeout: float,
    memo: Path | None = None,
    validation: tuple[np.ndarray, int] | None = None,
) -> Outcome:
    """The competitors' forecasts of a part's windows (`task`), and, given validation = (its
    windows' first target rows, the first validation row), of the validation windows too, fitted
    on the rows before the validation part: what a combination's weights are fitted on."""
    outcome = run(names, task, timeout, memo)
    if validation is not None and len(validation[0]):
        starts, end = validation
        earlier = Task(task.target, (task.fit_rows[0], min(task.fit_rows[1], end)), starts, task.horizon, task.season)
        # Said as such: the same names again, fitted on fewer rows, often choose other models.
        of = " for the combination's weights"
        outcome.validation = run(list(outcome.forecasts), earlier, timeout, memo, of).forecasts
    return outcome


def _answer(name: str, task: Task, timeout: float, memo: Path | None) -> tuple[tuple[Any, ...], float, bool]:
    """("ok", forecasts, model) or (status, reason, ...); the seconds its fit took; whether it was
    fitted earlier, by this process or (through memo) by another, and only read now."""
    key = _key(name, task)
    if _settled(_DONE.get(key), timeout):  # the same series, rows and windows: compare's candidates, ...
        return *_DONE[key], True
    with fit_memo.held(memo, key) if memo else contextlib.nullcontext() as path:
        stored = fit_memo.read(path) if path else None
        if _settled(stored, timeout):
            (answer, seconds), earlier = stored, True
        else:
            (answer, seconds), earlier = _bounded(name, task, timeout), False
            if answer[0] == "timeout":
                answer = (*answer, timeout)  # the limit it ran over: a longer one fits again
            if path and answer[0] in ("ok", "timeout"):
                fit_memo.write(path, answer, seconds)
    if answer[0] in ("ok", "timeout"):
        _DONE[key] = (answer, seconds)
        while len(_DONE) > 64:
            del _DONE[next(iter(_DONE))]
    return answer, seconds, earlier


def _settled(remembered: tuple[tuple[Any, ...], float] | None, timeout: float) -> bool:
    """Whether a remembered answer stands: a fit that succeeded, or one that ran over a limit at
    least as long as this one (a longer limit may let it finish)."""
    if remembered is None:
        return False
    answer = remembered[0]
    return answer[0] == "ok" or (answer[0] == "timeout" and answer[2] >= timeout)


def _key(name: str, task: Task) -> str:
    """What a competitor's forecasts depend on: the same key, the same forecasts (the fits are
    deterministic), so a process computes them once."""
    digest = hashlib.sha256(name.encode())
    if chosen := options(name, task.season):  # a fit with other options is another fit (an older timeout included)
        digest.update(repr(sorted(chosen.items())).encode())
    if deseasonalized(name, task.season):
        digest.update(b"less its MSTL season")
    for part in (task.target, np.asarray(task.fit_rows), task.starts, np.asarray([task.horizon, task.season or 0])):
        digest.update(np.ascontiguousarray(part, dtype="float64").tobytes())
    return digest.hexdigest()


def _bounded(name: str, task: Task, timeout: float) -> tuple[tuple[Any, ...], float]:
    """The competitors' child's answer (workers/bounded.py), and the seconds its fit took."""
    try:
        (status, result), seconds = _WORKER.ask(
            (name, task), timeout, over=f"no result within {timeout:g} s (evaluate.competitor_timeout)"
        )
    except StartError as exc:
        raise DependencyError(
            f"cannot import statsforecast (needed by evaluate.competitors): {exc}",
            hint="pip install statsforecast, or set evaluate.competitors: [] to score without them",
        ) from None
    return ((status, *result) if status == "ok" else (status, result)), seconds


def prepare() -> None:
    """In the competitors' child (forecast/workers/child.py), before it says ready."""
    with imports.for_good("statsforecast"):
        import statsforecast.models  # noqa: F401


def answer(request: tuple[str, Task]) -> tuple[np.ndarray, str]:
    """In the competitors' child: one competitor's forecasts for one task."""
    return forecast(*request)


_WORKER = Bounded(__name__)  # started on the first fit, reused by the next ones
# _key -> a competitor's answer (as fit_memo stores them) and its seconds, the newest 64
_DONE: dict[str, tuple[tuple[Any, ...], float]] = {}
