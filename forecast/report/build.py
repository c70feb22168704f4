"""report.html for a run directory: one page per kind of run (train, compare, backtest,
predict), built from the run's own files only, so `forecast report RUN` can rebuild it
any time, for a failed run too (it shows what there is, and where it stopped).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from forecast import atomic, rundir
from forecast.report import html as h
from forecast.rundir import RunDir
from forecast.tables import SCORE_COLUMNS, score_rows

SIGNIFICANT = 0.05


def kind(manifest: dict[str, Any]) -> str:
    return manifest.get("kind", "train")


def write_report(run: RunDir) -> Path:
    path = run.file(rundir.REPORT)
    atomic.write_text(path, render(run))
    return path


def render(run: RunDir) -> str:
    manifest = run.manifest()
    builder = {"train": _train, "compare": _compare, "backtest": _backtest, "predict": _predict}.get(
        kind(manifest), _other
    )
    title, top, sections = builder(run, manifest)
    sections = [*sections, ("provenance", "Provenance", _provenance(run, manifest))]
    if run.exists(rundir.CONFIG):
        sections.append(("config", "Config", h.note("The resolved config: every default filled in. "
                                                    "Rerun it with forecast train --config config.yaml.")
                         + h.pre(run.file(rundir.CONFIG).read_text(encoding="utf-8"))))  # fmt: skip
    subtitle = (f"{kind(manifest)} run {run.path.name} · status {manifest.get('status', 'unknown')} · "
                f"created {manifest.get('created', '?')}")  # fmt: skip
    version = manifest.get("versions", {}).get("forecast", "")
    footer = (f"forecast {h.esc(version)} · page written {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC · "
              f"rebuild with <code>forecast report {h.esc(run.path)}</code>")  # fmt: skip
    return h.page(title, subtitle, _stopped(manifest) + top, sections, footer)


def _read(run: RunDir, name: str) -> Any:
    """A JSON artifact, or None when the run has none (a failed run, an older run)."""
    try:
        return json.loads(run.file(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _stopped(manifest: dict[str, Any]) -> str:
    status = manifest.get("status")
    if status in ("complete", None):
        return ""
    stages = manifest.get("stages", {})
    where = next((f" at stage {name}" for name, r in stages.items() if r.get("status") == status), "")
    error = manifest.get("error") or next((r.get("error") for r in stages.values() if r.get("error")), "")
    return h.verdict(f"This run is {status}{where}{': ' + error if error else ''}. It shows what there is.", False)


def _p(value: float | None) -> str:
    if value is None:
        return "no Diebold-Mariano test"
    significant = "significant" if value < SIGNIFICANT else "not significant"
    return f"Diebold-Mariano p {value:.3g}: {significant} at {SIGNIFICANT:g}"


def skill_verdict(metrics: dict[str, Any]) -> str:
    model, naive = metrics["metrics"]["model"], metrics["metrics"]["naive"]
    p = metrics.get("diebold_mariano", {}).get("model", {}).get("p_value")
    word = "beats" if metrics["beats_naive"] else "is WORSE than"
    skill = "n/a" if metrics["skill"] is None else f"{metrics['skill']:+.3f}"
    return (f"{metrics['model']} {word} the naive forecast (tomorrow = today) on the test part: RMSE "
            f"{model['rmse']:.4g} vs {naive['rmse']:.4g}, skill {skill} ({_p(p)}).")  # fmt: skip


def _scores_table(metrics: dict[str, Any]) -> str:
    rows = score_rows(metrics)
    columns = ["forecaster", *[c[0] for c in SCORE_COLUMNS]]
    body = [[r["name"], *[r.get(key) for _, key, _ in SCORE_COLUMNS]] for r in rows]
    return h.table(columns, body, highlight={0})


# --- train -------------------------------------------------------------------------


def _train(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    metrics = _read(run, rundir.METRICS)
    stages = manifest.get("stages", {})
    config = _config(run)
    symbol = metrics["symbol"] if metrics else (config.get("data", {}).get("ticker") or "?")
    target = metrics["target"] if metrics else config.get("data", {}).get("target", "?")
    model = config.get("model", {}).get("kind", "model")
    title = f"{symbol} {target}: {model}"
    top = h.verdict(skill_verdict(metrics), metrics["beats_naive"]) if metrics else ""
    sections = []
    if metrics:
        parts = [
            h.note(
                f"Test part {metrics['test']['first']}..{metrics['test']['last']}, {metrics['test']['windows']} "
                f"windows, horizon {metrics['test']['horizon']}. Errors in {target} units (inverse-transformed), "
                "so they compare across models and with the baselines. skill = 1 - RMSE / naive RMSE; "
                "DM p: Diebold-Mariano test against naive."
            ),  # fmt: skip
            _scores_table(metrics),
        ]
        if metrics.get("per_step"):
            parts += ["<h3>Per step ahead</h3>", h.table(
                ["step", "RMSE", "naive RMSE", "skill"],
                [[r["step"], r["rmse"], r["naive_rmse"], r["skill"]] for r in metrics["per_step"]],
            )]  # fmt: skip
        parts.append(_intervals(metrics.get("intervals")))
        sections.append(("results", "Results on the test part", "".join(parts)))
    figures = [
        h.figure(run.file(rundir.FORECAST_PNG), "Forecast versus actual, with the split and the intervals"),
        h.figure(run.file(rundir.RESIDUALS_PNG), "Residuals over time, their distribution, and the RMSE ratio"),
        h.figure(run.file(rundir.LOSS_PNG), "Training and validation loss per epoch"),
    ]
    if any(figures):
        sections.append(("figures", "Figures", "".join(figures)))
    sections.append(("data", "Data and split", _data_facts(run, stages, config, metrics)))
    sections.append(("training", "Training", _training_facts(run, stages, config)))
    return title, top, sections


def _config(run: RunDir) -> dict[str, Any]:
    import yaml

    try:
        loaded = yaml.safe_load(run.file(rundir.CONFIG).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _intervals(intervals: dict[str, Any] | None) -> str:
    if not intervals:
        return ""
    calibration = intervals["calibration"]
    rows = [
        [f"{level}%", (intervals["half_width"][level] or [None])[0], coverage["test"]]
        for level, coverage in intervals.get("coverage", {}).items()
    ]
    return (
        "<h3>Prediction intervals</h3>"
        + h.note(
            f"{intervals['method']}; calibrated on the {calibration['part']} part ({calibration['windows']} "
            f"windows, {calibration['first']}..{calibration['last']}), coverage measured on the test part. "
            "A well-calibrated 80% interval holds about 80% of the actuals."
        )  # fmt: skip
        + h.table(
            ["level", "half-width, step 1" + (" (relative)" if intervals["relative"] else ""), "test coverage"], rows
        )  # fmt: skip
    )


def _data_facts(run: RunDir, stages: dict[str, Any], config: dict[str, Any], metrics: dict[str, Any] | None) -> str:
    data = config.get("data", {})
    snapshot = stages.get("snapshot", {}).get("info", {})
    windows = stages.get("window", {}).get("info", {})
    scaler = _read(run, rundir.SCALER) or {}
    fitted = scaler.get("fitted_on", {})
    pairs = [
        ("source", data.get("source")),
        ("symbol", data.get("ticker") or data.get("path")),
        ("target", data.get("target")),
        ("interval", data.get("interval")),
        ("rows", snapshot.get("rows")),
        ("period", f"{snapshot['first']}..{snapshot['last']}" if snapshot else None),
        ("training windows", windows.get("train")),
        ("validation windows", windows.get("val")),
        ("test windows", windows.get("test")),
        ("test period", f"{metrics['test']['first']}..{metrics['test']['last']}" if metrics else None),
        ("scaler fitted on", f"{fitted['rows']} rows, {fitted['first']}..{fitted['last']}" if fitted else None),
    ]
    leakage = h.note("The MinMax scaler is fitted on the rows before the test part only, so nothing of the test "
                     "period leaks into training; windows are cut after the split.") if fitted else ""  # fmt: skip
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
        ("fit seconds", info.get("fit_seconds")),
        ("pretrained (global model)", info.get("pretrained")),
        ("TensorBoard logs", f"tensorboard --logdir {logs}" if logs.is_dir() else None),
    ]
    return h.facts(pairs)


# --- compare -----------------------------------------------------------------------


def _compare(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    result = _read(run, rundir.COMPARISON)
    if not result:
        return "Comparison", "", [("candidates", "Candidates", _candidates(run, manifest))]
    test, rows = result["test"], result["rows"]
    leader = rows[0]
    best_model = next((r for r in rows if r["kind"] != "baseline"), None)
    if leader["kind"] == "baseline":
        top = h.verdict(f"No model beats the baselines: {leader['name']} ranks first (RMSE {leader['rmse']:.4g})"
                        + (f"; the best model, {best_model['name']}, has RMSE {best_model['rmse']:.4g} "
                           f"({_p(best_model.get('dm_p'))})." if best_model else "."), False)  # fmt: skip
    else:
        top = h.verdict(f"{leader['name']} ranks first: RMSE {leader['rmse']:.4g}, skill {leader['skill']:+.3f} "
                        f"against naive ({_p(leader.get('dm_p'))}).", True)  # fmt: skip
    columns = ["rank", "forecaster", "kind", "RMSE", "95% interval", "MAE", "MAPE%", "MASE", "dir.acc", "skill",
               "DM p", "parameters", "train s", "epochs"]  # fmt: skip
    body = [
        [r["rank"], r["name"], r["kind"], r["rmse"],
         f"{r['rmse_low']:.4f}..{r['rmse_high']:.4f}" if "rmse_low" in r else "-",
         r["mae"], r.get("mape"), r.get("mase"), r.get("directional_accuracy"), r.get("skill"), r.get("dm_p"),
         r.get("parameters"), r.get("train_seconds"), r.get("epochs")]
        for r in rows
    ]  # fmt: skip
    ranking = (
        h.note(
            f"{test['target']}, test part {test['test period']}, {test['test windows']} windows, horizon "
            f"{test['horizon']}: every candidate was checked to have the same data fingerprint, split and test "
            "targets. Intervals: 95% moving-block bootstrap of the step-1 RMSE; overlapping intervals mean "
            "the ranking between them may be noise."
        )  # fmt: skip
        + h.table(
            columns, body, highlight={i for i, r in enumerate(rows) if r["kind"] != "baseline"}, text_columns={1, 2}
        )
    )
    figures = h.figure(run.file(rundir.COMPARISON_PNG), "Forecasts over the test part, and RMSE with error bars")
    sections = [("ranking", "Ranking", ranking)]
    if figures:
        sections.append(("figures", "Figures", figures))
    sections.append(("candidates", "Candidates", _candidates(run, manifest)))
    return f"Comparison: {test['target']}", top, sections


def _candidates(run: RunDir, manifest: dict[str, Any]) -> str:
    rows = []
    for label, path in manifest.get("candidates", {}).items():
        if path is None:
            rows.append(f'<tr><td>{h.esc(label)}</td><td class="text">not trained</td></tr>')
            continue
        report = Path(path) / rundir.REPORT
        link = _relative(report, run.path)
        target = f'<a href="{h.esc(link)}">{h.esc(path)}</a>' if report.is_file() else h.esc(path)
        rows.append(f'<tr><td>{h.esc(label)}</td><td class="text">{target}</td></tr>')
    return ("<table><thead><tr><th>candidate</th><th class=\"text\">run (its own report)</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")  # fmt: skip


def _relative(path: Path, start: Path) -> str:
    import os

    try:
        return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_uri()


# --- backtest ----------------------------------------------------------------------


def _backtest(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    result = _read(run, rundir.BACKTEST)
    if not result:
        return "Backtest", "", []
    folds = result["folds"]
    better = sum(1 for f in folds if f["metrics"]["model"]["rmse"] < f["metrics"]["naive"]["rmse"])
    skill = result["summary"]["model"]["skill"]
    top = h.verdict(
        f"{result['model']} beats naive in {better} of {len(folds)} folds; mean skill {skill['mean']:+.3f} "
        f"(sd {skill['std']:.3f}).",
        better == len(folds) and skill["mean"] > 0,
    )
    spec = result["backtest"]
    columns = ["forecaster", *[c[0] for c in SCORE_COLUMNS[:-1]]]
    summary = [
        [name, *[(f"{s[key]['mean']:.{d}f} ± {s[key]['std']:.{d}f}" if s[key]["mean"] is not None else "-")
                 for _, key, d in SCORE_COLUMNS[:-1]]]
        for name, s in result["summary"].items()
    ]  # fmt: skip
    fold_rows = [
        [f["fold"], f"{f['train']['first']}..{f['train']['last']}", f"{f['test']['first']}..{f['test']['last']}",
         f"{f['scaler_fitted_on']['first']}..{f['scaler_fitted_on']['last']}",
         f"{f['windows']['train']}/{f['windows']['val']}/{f['windows']['test']}", f.get("epochs_run"),
         f["metrics"]["model"]["rmse"], f["metrics"]["naive"]["rmse"], f["metrics"]["model"]["skill"],
         f.get("diebold_mariano", {}).get("model", {}).get("p_value")]
        for f in folds
    ]  # fmt: skip
    sections = [
        ("summary", "Summary over folds", h.note(
            f"{len(folds)} walk-forward folds ({spec['mode']} training window, refit {spec['refit']}): each fold's "
            "scaler and model see only the rows before its test part. Mean ± standard deviation over folds.")
         + h.table(columns, summary, highlight={0})),
        ("folds", "Folds", h.table(
            ["fold", "training", "test", "scaler fitted on", "windows tr/val/test", "epochs", "RMSE", "naive RMSE",
             "skill", "DM p"], fold_rows)),
    ]  # fmt: skip
    figure = h.figure(run.file(rundir.BACKTEST_PNG), "Each fold's forecasts, and RMSE per fold against naive")
    if figure:
        sections.insert(1, ("figures", "Figures", figure))
    return f"{result['symbol']} {result['target']}: {result['model']} backtest", top, sections


# --- predict -----------------------------------------------------------------------


def _predict(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    result = _read(run, rundir.FORECAST_JSON)
    if not result:
        return "Forecast", "", []
    test = result.get("test", {})
    skill = test.get("skill")
    caveat = ("" if test.get("beats_naive") else
              " On its test part this model was WORSE than the naive forecast: weigh it accordingly.")  # fmt: skip
    top = h.verdict(
        f"{result['horizon']} steps of {result['symbol']} {result['target']} after {result['last_bar']} "
        f"(last value {result['last_value']:.4g}), by the {result['model']} of {result['run']}"
        + (f"; its test skill {skill:+.3f}." if skill is not None else ".")
        + caveat,
        None if test.get("beats_naive") else False,
    )
    forecast = result["forecast"]
    columns = [c for c in forecast[0] if c != "step"] if forecast else []
    table = h.table(["step", *columns], [[r["step"], *[r[c] for c in columns]] for r in forecast])
    intervals = result.get("intervals") or {}
    coverage = test.get("coverage", {})
    calibration = intervals.get("calibration", {})
    pairs = [
        ("model run", result["run"]),
        ("model sha256", result.get("model_sha256")),
        ("data", result.get("data")),
        ("as of", result.get("as_of")),
        ("strategy", result.get("strategy")),
        ("dates", f"{result['calendar']['name']} ({result['calendar']['reason']})"),
        ("intervals", intervals.get("method")),
        (
            "calibrated on",
            f"{calibration['part']}, {calibration['windows']} windows, {calibration['first']}..{calibration['last']}"
            if calibration
            else None,
        ),  # fmt: skip
        *[(f"{level}% test coverage", value) for level, value in coverage.items()],
    ]
    sections = [("forecast", "Forecast", table)]
    figure = h.figure(run.file(rundir.FORECAST_FUTURE_PNG), "History, the forecast and its intervals")
    if figure:
        sections.append(("figures", "Figures", figure))
    sections.append(("model", "Model and method", h.facts(pairs)))
    return f"Forecast: {result['symbol']} {result['target']}, {result['horizon']} steps", top, sections


def _other(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    files = sorted(p.name for p in run.path.iterdir() if not p.name.startswith("."))
    return f"{kind(manifest)} run {run.path.name}", "", [("files", "Files", h.pre("\n".join(files)))]


# --- provenance --------------------------------------------------------------------


def _provenance(run: RunDir, manifest: dict[str, Any]) -> str:
    pairs = [
        ("run directory", str(run.path)),
        ("status", manifest.get("status")),
        ("created", manifest.get("created")),
        ("updated", manifest.get("updated")),
        ("seed", manifest.get("seed")),
        ("data fingerprint (sha256 of series.parquet)", manifest.get("data_fingerprint")),
        ("git commit", manifest.get("git_sha")),
        ("platform", manifest.get("platform")),
        ("MLflow", (manifest.get("mlflow") or {}).get("run_id")),
    ]
    parts = [h.facts(pairs)]
    versions = manifest.get("versions", {})
    if versions:
        parts += ["<h3>Versions</h3>", h.table(["package", "version"], [[k, v or "-"] for k, v in versions.items()])]
    stages = manifest.get("stages", {})
    if stages:
        rows = [[name, r.get("status"), r.get("seconds"), r.get("started"), (r.get("outputs") or {}) and
                 ", ".join(r["outputs"])] for name, r in stages.items()]  # fmt: skip
        parts += ["<h3>Stages</h3>", h.table(["stage", "status", "seconds", "started", "outputs"], rows,
                                             text_columns={4})]  # fmt: skip
    return "".join(parts)
