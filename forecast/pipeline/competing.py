"""The statistical competitors of a run: fitted on its series and split by the competitors stage,
or beside the network while it trains (the train stage), with the answers shared (fit_memo.py)."""

from __future__ import annotations

import contextlib
import threading

from forecast.data.frequency import season_of
from forecast.pipeline.context import Context
from forecast.rundir.artifacts import read_frequency, read_series, read_split
from forecast.scoring.competitors import BESIDE, Outcome, Task, for_part


def fit_competitors(ctx: Context) -> Outcome:
    """Fitted on the rows before the test part; with evaluate.combine, also forecasting the
    validation windows from the rows before them (the combination's weights are fitted there)."""
    run, config = ctx.run, ctx.config
    frame, w = read_series(run), read_split(run)
    season = season_of(config.evaluate.season, read_frequency(run))
    target = frame.iloc[:, 0].to_numpy(dtype="float64")  # levels: the competitors model the raw series
    task = Task(target, (0, w.test_start), w.test, w.output_steps, season)
    memo = ctx.data_dir / ".cache" / "competitors"  # shared with other processes: compare's candidates
    validation = (w.val, w.val_start) if config.evaluate.combine else None
    return for_part(config.evaluate.competitors, task, config.evaluate.competitor_timeout, memo, validation)


def fit_competitors_beside(ctx: Context) -> None:
    """Fit the competitors in their own process while this one trains the network: on two cores
    they cost little wall time then. The competitors stage finds their answers remembered (or
    waits for the fit under way); any failure here is its to report, so it is not reported here."""

    def quietly() -> None:
        with contextlib.suppress(Exception):
            fit_competitors(ctx)

    threading.Thread(target=quietly, name=BESIDE, daemon=True).start()
