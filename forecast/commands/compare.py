"""`forecast compare`: several models on the identical data, split and test targets.

Each candidate (candidates.py: a run directory, a config file, a model kind applied to a
base config, or configs/<name>.yaml) is trained into the compare directory
(runs/compare-<timestamp>/<candidate>/) with the ordinary pipeline, or taken as it is. Before
anything is ranked, every candidate must share the data fingerprint, target, horizon and
test targets; otherwise the comparison is refused, naming what differs.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecast import atomic, rundir
from forecast.commands.candidates import Candidate, check_comparable, precheck, resolve
from forecast.config import build_config
from forecast.data import data_root
from forecast.errors import UsageError, with_exit_code
from forecast.figures.ranking import plot_comparison
from forecast.pipeline.context import Context
from forecast.pipeline.lifecycle import new_run
from forecast.pipeline.runner import run_pipeline
from forecast.prepare.rhythm import for_series, prepared_for
from forecast.reports import tracking
from forecast.rundir import RunDir, runs_root
from forecast.rundir.artifacts import read_config, read_metrics, read_predictions, save_comparison
from forecast.rundir.files import ComparisonFile, Ranked, Shared
from forecast.scoring.forecasters import COMBINATION, NETWORK, kind_of
from forecast.scoring.metrics_file import Metrics
from forecast.workers.failure import lost, reported
from forecast.workers.pool import Job, Lost, Pool
from forecast.workers.setup import default_workers

log = logging.getLogger(__name__)
# A candidate's own columns of predictions.csv, not shared forecasters: its bands (lower_80, ...),
# its combination and the combination's bands.
OWN = ("lower_", "upper_", COMBINATION)


def report(candidates: list[Candidate], shared: dict[str, Any]) -> ComparisonFile:
    """Models, the statistical competitors and the baselines (from the first candidate:
    identical targets) ranked by RMSE, each with its verdicts (scoring/verdict.py) as its run's
    evaluation made them: against naive, and for models against the best competitor."""
    rows: list[Ranked] = []
    for c in candidates:
        metrics = read_metrics(c.run)
        info = c.run.manifest().get("stages", {}).get("train", {}).get("info", {})
        trained = {
            "parameters": info.get("parameters"),
            "train_seconds": info.get("fit_seconds"),
            "epochs": info.get("epochs_run"),
        }
        rows.append(_ranked(metrics, NETWORK, c.label, metrics.model, str(c.run.path), **trained))
        if COMBINATION in metrics.scores:  # each candidate's own combination (evaluate.combine)
            rows.append(_ranked(metrics, COMBINATION, f"{c.label} {COMBINATION}", COMBINATION, str(c.run.path)))
    first = read_metrics(candidates[0].run)
    rows += [_ranked(first, name, name, kind_of(name)) for name in first.scores if kind_of(name) != "ours"]
    rows.sort(key=lambda r: r.rmse)
    ranked = [row.model_copy(update={"rank": rank}) for rank, row in enumerate(rows, start=1)]
    # naive in the series' own rhythm: (tomorrow = today), (next month = this month), ...
    return ComparisonFile(
        test=Shared.model_validate(shared), ranking=[r.name for r in ranked], rows=ranked, naive_words=first.naive_words
    )


def _ranked(metrics: Metrics, name: str, label: str, kind: str, run: str | None = None, **trained: Any) -> Ranked:
    """A forecaster's row, with its verdicts from its run's metrics.json and its RMSE against naive's."""
    verdicts = metrics.verdicts.get(name, {})
    naive = metrics.naive_rmse
    return Ranked(
        name=label,
        kind=kind,
        run=run,
        scores=metrics.scores[name],
        dm_p=(metrics.diebold_mariano.get(name) or {}).get("p_value"),
        vs_naive=metrics.scores[name]["rmse"] / naive if naive else None,
        versus_naive=verdicts.get("naive"),
        versus_competitor=verdicts.get("competitor"),
        **trained,
    )


def predictions(candidates: list[Candidate]) -> pd.DataFrame:
    """Step-1 actual, every competitor and baseline (from the first candidate: identical
    targets) and each model's forecast over the test part, one column per forecaster."""
    table = None
    for c in candidates:
        frame = read_predictions(c.run, step=1).set_index("date")
        if table is None:
            others = [c for c in frame.columns if c not in ("step", "predicted") and not c.startswith(OWN)]
            table = frame[others].copy()  # actual first
        table[c.label] = frame["predicted"]
        if COMBINATION in frame.columns:
            table[f"{c.label} {COMBINATION}"] = frame[COMBINATION]
    return table


def train_apart(fresh: list[Candidate], data_dir: Path, workers: int, listener) -> None:
    """Each candidate's stages in a worker process of its own (workers/pool.py), `workers` at a time,
    each with its share of the cores; the listener hears a candidate's stages when it is done."""
    jobs = [
        Job(
            "forecast.commands.compare:train_candidate",
            {"config": c.config.model_dump(mode="json"), "run": str(c.run.path), "data": str(data_dir.resolve())},
            c.label,
        )
        for c in fresh
    ]  # type: ignore[union-attr]

    def done(i: int, result: Any) -> None:
        if listener and isinstance(result, dict) and result["status"] == "done":
            for stage, record in fresh[i].run.manifest().get("stages", {}).items():  # type: ignore[union-attr]
                listener(fresh[i].label, stage, record.get("status", "done"), record)

    with Pool(workers) as pool:
        results = [lost({}, r.why) if isinstance(r, Lost) else r for r in pool.map(jobs, done)]
    failed = [(c, r) for c, r in zip(fresh, results, strict=True) if r["status"] != "done"]
    if failed:
        candidate, result = failed[0]
        raise with_exit_code(result["exit_code"], f"candidate {candidate.label}: {result['error']}")


def train_candidate(p: dict[str, Any]) -> dict[str, Any]:
    """In a worker: one candidate's stages into the folder compare made for it."""

    def work() -> dict[str, Any]:
        config = build_config(p["config"], "a compare candidate's config")
        run_pipeline(Context(config, RunDir(Path(p["run"])), Path(p["data"])))
        return {}

    return reported(work, {"run": p["run"]})


@dataclass(frozen=True)
class Comparison:
    run: Path  # runs/compare-<time>/, the candidates trained inside it
    result: ComparisonFile  # comparison.json: the test part shared, the ranking, a row per forecaster


def compare(
    names: list[str | os.PathLike[str]],
    base: Path | None = None,
    overrides: list[str] | None = None,
    *,
    runs_dir: Path | None = None,
    data_dir: Path | None = None,
    listener=None,
    track: bool = False,
    workers: int | None = None,
) -> Comparison:
    """Train (or take) every candidate, check they share data, split and test targets, rank them
    with every baseline. listener(label, stage, status, record) hears each candidate's stages.
    workers: candidates trained at once, each in its own process with its share of the cores
    (default one per core; 1: one after another in this process)."""
    if len(names) < 2:
        raise UsageError("compare needs at least two candidates, e.g. forecast compare rnn lstm")
    names = [os.fspath(n) for n in names]  # names, paths, or Run objects from the API
    workers = workers or default_workers()  # a bad FORECAST_WORKERS is refused before any folder exists
    root = runs_root(runs_dir)
    candidates = resolve(names, base, list(overrides or []), root)
    precheck(candidates)
    for c in candidates:
        if c.config is not None:
            tracking.require(c.config)
    if to_train := [c for c in candidates if c.config is not None]:  # one series (precheck): its rhythm's defaults
        _, frame = prepared_for(to_train[0].config, data_root(data_dir))
        for c in to_train:
            c.config = for_series(c.config, frame)
    existing = [c for c in candidates if c.config is None]
    if len(existing) > 1:
        check_comparable(existing)  # refuse mismatched runs before training anything
    labels = {c.label: str(c.run.path) if c.run else None for c in candidates}
    first = tracking.asked(candidates[0].config or read_config(candidates[0].run), track)
    with new_run(root, "compare", "compare", first, save_config=False, candidates=labels) as started:
        out = started.run
        fresh = [c for c in candidates if c.config is not None]
        for c in fresh:
            folder = out.path / re.sub(r"[^A-Za-z0-9_.-]+", "-", c.label)
            folder.mkdir()
            c.run = RunDir(folder)
            started.manifest["candidates"][c.label] = str(folder)
        workers = min(len(fresh), workers)
        if workers > 1:
            log.info("candidates 1-%d/%d starting, %d at once in their own processes", len(fresh), len(fresh), workers)
            train_apart(fresh, data_root(data_dir), workers, listener)
        else:
            for number, c in enumerate(fresh, start=1):
                log.info("candidate %d/%d: %s", number, len(fresh), c.label)  # before it starts training
                notify = (
                    (lambda stage, status, record, label=c.label: listener(label, stage, status, record))
                    if listener
                    else None
                )
                run_pipeline(Context(c.config, c.run, data_root(data_dir)), listener=notify)
        shared = check_comparable(candidates)
        table = predictions(candidates)
        result = report(candidates, shared)
        save_comparison(out, result)
        out.write_text(rundir.COMPARISON_CSV, pd.DataFrame(result.to_json()["rows"]).to_csv(index=False))
        # The step-1 forecasts side by side: the compare run's figures and report need nothing else.
        out.write_text(rundir.COMPARISON_PREDICTIONS, table.to_csv())
        with atomic.replacing(out.file(rundir.COMPARISON_PNG)) as tmp:
            plot_comparison(table, result, first.plot.dpi, tmp)
        started.extra["best"] = result.ranking[0]
    return Comparison(out.path, result)
