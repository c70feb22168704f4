"""The statistical competitors of a run: fitted on its series and split by the competitors stage,
or beside the network while it trains (the train stage), with the answers shared (fit_memo.py)."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

import pandas as pd

from forecast.data.frequency import infer_frequency, season_of
from forecast.rundir.artifacts import read_series, read_split
from forecast.scoring.competitors import BESIDE, Outcome, Task
from forecast.scoring.competitors import run as run_competitors

if TYPE_CHECKING:
    from forecast.pipeline.stages import Context


def fit_competitors(ctx: Context) -> Outcome:
    run, config = ctx.run, ctx.config
    frame, w = read_series(run), read_split(run)
    season = season_of(config.evaluate.season, infer_frequency(pd.DatetimeIndex(frame.index)))
    target = frame.iloc[:, 0].to_numpy(dtype="float64")  # levels: the competitors model the raw series
    task = Task(target, (0, int(w["test_start"])), w["test"], int(w["output_steps"]), season)
    memo = ctx.data_dir / ".cache" / "competitors"  # shared with other processes: compare's candidates
    outcome = run_competitors(config.evaluate.competitors, task, config.evaluate.competitor_timeout, memo)
    if config.evaluate.combine and len(w["val"]):  # the combination's weights are fitted on these
        task = Task(target, (0, int(w["val_start"])), w["val"], int(w["output_steps"]), season)
        outcome.validation = run_competitors(
            list(outcome.forecasts), task, config.evaluate.competitor_timeout, memo
        ).forecasts
    return outcome


def fit_competitors_beside(ctx: Context) -> None:
    """Fit the competitors in their own process while this one trains the network: on two cores
    they cost little wall time then. The competitors stage finds their answers remembered (or
    waits for the fit under way); any failure here is its to report, so it is not reported here."""

    def quietly() -> None:
        with contextlib.suppress(Exception):
            fit_competitors(ctx)

    threading.Thread(target=quietly, name=BESIDE, daemon=True).start()
