"""The report page of a train (or evaluate, retrain) run: verdict, scores, figures, data, training."""

from __future__ import annotations

import contextlib
from typing import Any

from forecast import rundir
from forecast.config import legacy
from forecast.errors import MissingInputError
from forecast.network.budget import cut_short
from forecast.reports import html as h
from forecast.reports.common import competitors_part, scores_of, scores_table
from forecast.reports.live_part import live_section
from forecast.rollout.conformal import empty_bands, percent, short_bands
from forecast.rundir import RunDir
from forecast.rundir.artifacts import read_encoding
from forecast.rundir.verify import verified
from forecast.scoring.metrics_file import Metrics
from forecast.tables import number


def train_page(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    metrics = scores_of(run)
    stages = manifest.get("stages", {})
    config = _config(run)
    symbol = metrics.symbol if metrics else (config.get("data", {}).get("symbol") or "?")
    target = metrics.target if metrics else config.get("data", {}).get("target", "?")
    model = config.get("model", {}).get("kind", "model")
    title = f"{symbol} {target}: {model}"
    top = "".join(h.verdict(line, good) for line, good in (metrics.verdict_lines() if metrics else []))
    sections = []
    if metrics:
        parts = [
            h.note(
                f"Test part {metrics.test.first}..{metrics.test.last}, {metrics.test.windows} "
                f"windows, horizon {metrics.test.horizon}. Errors in {target} units (inverse-transformed), "
                "so they compare across models, competitors and baselines. skill = 1 - RMSE / naive RMSE; "
                "DM p: Diebold-Mariano test against naive."
            ),
            scores_table(metrics),
        ]
        if metrics.per_step:
            parts += [
                "<h3>Per step ahead</h3>",
                h.table(
                    ["step", "RMSE", "naive RMSE", "skill"],
                    [[r["step"], r["rmse"], r["naive_rmse"], r["skill"]] for r in metrics.per_step],
                ),
            ]
        parts.append(competitors_part(metrics))
        parts.append(_intervals(metrics.intervals, metrics.test.windows * metrics.test.horizon))
        parts.append(_combination(metrics))
        sections.append(("results", "Results on the test part", "".join(parts)))
    figures = [
        h.figure(verified(run, rundir.FORECAST_PNG), "Forecast versus actual, with the split and the intervals"),
        h.figure(verified(run, rundir.RESIDUALS_PNG), "Residuals over time, their distribution, and the RMSE ratio"),
        h.figure(verified(run, rundir.LOSS_PNG), "Training and validation loss per epoch"),
    ]
    if any(figures):
        sections.append(("figures", "Figures", "".join(figures)))
    if (live := live_section(run, config.get("name", ""))) is not None:
        sections.append(live)
    sections.append(("data", "Data and split", _data_facts(run, stages, config, metrics)))
    sections.append(("training", "Training", _training_facts(run, stages, config)))
    return title, top, sections


def _config(run: RunDir) -> dict[str, Any]:
    import yaml

    try:
        loaded = yaml.safe_load(run.file(rundir.CONFIG).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    # A run written before 0.2 says data.ticker: read with today's names (config/legacy.py).
    return legacy.upgrade(loaded, str(run.path), warn=False) if isinstance(loaded, dict) else {}


def _intervals(intervals: dict[str, Any] | None, actuals: int) -> str:
    if not intervals:
        return ""
    said = [*empty_bands(intervals), *short_bands(intervals, actuals)]
    short = "".join(h.note(f"Warning: {line}.") for line in said)
    calibration = intervals["calibration"]
    rows = [
        [f"{level}%", (intervals["half_width"][level] or [None])[0], percent(coverage["test"])]
        for level, coverage in intervals.get("coverage", {}).items()
    ]
    return (
        "<h3>Prediction intervals</h3>"
        + h.note(
            f"{intervals['method']}; calibrated on the {calibration['part']} part ({calibration['windows']} "
            f"windows, {calibration['first']}..{calibration['last']}), coverage measured on the test part. "
            "A well-calibrated 80% interval holds about 80% of the actuals."
        )
        + h.table(
            ["level", "half-width, step 1" + (" (relative)" if intervals["relative"] else ""), "test coverage"], rows
        )
        + short
    )


def _combination(metrics: Metrics) -> str:
    """The weights, each member's validation RMSE, and the combination's own bands."""
    if not metrics.combination:
        return ""
    combination = metrics.combination
    member = {"model": metrics.model}
    rows = [
        [member.get(name, name), weight, combination["validation_rmse"][name]]
        for name, weight in combination["weights"].items()
    ]
    rows.append(["combination", 1.0, combination["validation_rmse"]["combination"]])
    note = h.note(
        f"evaluate.combine: convex weights (each at least 0, summing to 1) fitted on {combination['windows']} "
        "validation windows to minimise the squared error; each member forecast windows it was not fitted on "
        "(the network was early-stopped on them). Its test scores are the combination row above."
    )
    bands = _intervals(combination.get("intervals"), metrics.test.windows * metrics.test.horizon)
    bands = bands.replace("<h3>Prediction intervals</h3>", "<h4>The combination's prediction intervals</h4>", 1)
    return "<h3>Combination</h3>" + note + h.table(["member", "weight", "validation RMSE"], rows) + bands


def _data_facts(run: RunDir, stages: dict[str, Any], config: dict[str, Any], metrics: Metrics | None) -> str:
    data = config.get("data", {})
    snapshot = stages.get("snapshot", {}).get("info", {})
    windows = stages.get("split", {}).get("info", {})
    fitted = {}
    with contextlib.suppress(MissingInputError):  # a run that failed before it: the page shows what there is
        fitted = read_encoding(run).fitted_on or {}
    pairs = [
        ("source", data.get("source")),
        ("symbol", data.get("symbol") or data.get("path")),
        ("target", data.get("target")),
        ("interval", data.get("interval")),
        ("frequency", snapshot.get("frequency") or (metrics.frequency if metrics else None)),
        ("rows", snapshot.get("rows")),
        ("period", f"{snapshot['first']}..{snapshot['last']}" if snapshot else None),
        ("training windows", windows.get("train")),
        ("validation windows", windows.get("val")),
        ("test windows", windows.get("test")),
        ("test period", f"{metrics.test.first}..{metrics.test.last}" if metrics else None),
        ("scaler fitted on", f"{fitted['rows']} rows, {fitted['first']}..{fitted['last']}" if fitted else None),
    ]
    leakage = (
        h.note(
            "The MinMax scaler is fitted on the rows before the test part only, so nothing of the test "
            "period leaks into training; windows are cut after the split."
        )
        if fitted
        else ""
    )
    return h.facts(pairs) + leakage


def _training_facts(run: RunDir, stages: dict[str, Any], config: dict[str, Any]) -> str:
    info = stages.get("train", {}).get("info", {})
    model, train = config.get("model", {}), config.get("train", {})
    logs = run.file(rundir.TENSORBOARD)
    pairs = [
        ("model", model.get("kind")),
        ("units per recurrent layer", ", ".join(map(str, model.get("units") or [])) or None),
        ("dense layers", ", ".join(map(str, model.get("dense") or [])) or None),
        ("parameters", info.get("parameters")),
        ("epochs run", info.get("epochs_run")),
        ("best epoch (weights kept)", info.get("best_epoch")),
        ("batch size", train.get("batch_size")),
        ("learning rate", train.get("learning_rate")),
        ("fit seconds", number(info.get("fit_seconds"), 1) if info.get("fit_seconds") is not None else None),
        ("pretrained (global model)", info.get("pretrained")),
        ("TensorBoard logs", f"tensorboard --logdir {logs}" if logs.is_dir() else None),
    ]
    short = cut_short(info, train.get("epochs"))
    return h.facts(pairs) + (h.note(f"Warning: {short}.") if short else "")


# --- compare -----------------------------------------------------------------------
