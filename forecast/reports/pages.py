"""The report pages of compare, backtest and predict runs, and of any other kind (a list of its files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecast import rundir
from forecast.reports import html as h
from forecast.reports.common import kind
from forecast.rollout.conformal import percent
from forecast.rundir import RunDir
from forecast.rundir.artifacts import read_backtest, read_comparison, read_forecast
from forecast.scoring.metrics import SCORE_COLUMNS
from forecast.tables import MASE_SCALE, number, versus_naive


def compare_page(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    if not run.exists(rundir.COMPARISON):
        return "Comparison", "", [("candidates", "Candidates", _candidates(run, manifest))]
    result = read_comparison(run)
    test, rows = result.test, result.rows
    naive = result.row("naive").rmse
    judged = {r.name: r.verdicts(naive) for r in rows if r.name != "naive"}
    top = "".join(h.verdict(f"{r.name}: {v.words}.", v.good) for r in result.models for v in judged[r.name])
    leader = rows[0]
    if not leader.is_model:  # a ranking, not a verdict: the verdicts above say what is significant
        top += h.note(f"Ranked first by RMSE: {leader.name} ({leader.kind}, RMSE {number(leader.rmse, 4)}).")
    # Narrow enough for 1,280 px; MAPE, sMAPE and directional accuracy are in comparison.csv.
    columns = [
        "rank",
        "forecaster",
        "kind",
        "RMSE",
        "vs naive",
        "MAE",
        "MASE",
        "skill",
        "DM p",
        "paired test",
        "parameters",
        "train s",
        "epochs",
    ]
    body = [
        [
            r.rank,
            r.name,
            r.kind,
            number(r.rmse, 4),
            versus_naive(r.vs_naive),
            number(r.scores.get("mae"), 4),
            number(r.scores.get("mase"), 3),
            number(r.scores.get("skill"), 3),
            number(r.dm_p, 4, "dm_p"),
            "-" if r.name == "naive" else judged[r.name][0].short,
            number(r.parameters),
            number(r.train_seconds, 1),
            number(r.epochs),
        ]
        for r in rows
    ]
    ranking = (
        h.note(
            f"{test.target}, test part {test.test_period}, {test.test_windows} windows, horizon "
            f"{test.horizon}: every candidate was checked to have the same data fingerprint, split and test "
            "targets. Each verdict is the paired Diebold-Mariano test against naive on the same windows: "
            "the one test that answers whether a difference is more than noise."
        )
        + h.table(columns, body, highlight={i for i, r in enumerate(rows) if r.is_model}, text_columns={1, 2, 9})
        + h.note(MASE_SCALE)
    )
    figures = h.figure(run.file(rundir.COMPARISON_PNG), "Forecasts over the test part, and each RMSE against naive's")
    sections = [("ranking", "Ranking", ranking)]
    if figures:
        sections.append(("figures", "Figures", figures))
    sections.append(("candidates", "Candidates", _candidates(run, manifest)))
    return f"Comparison: {test.target}", top, sections


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
    return (
        '<table><thead><tr><th>candidate</th><th class="text">run (its own report)</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _relative(path: Path, start: Path) -> str:
    import os

    try:
        return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_uri()


# --- backtest ----------------------------------------------------------------------


def backtest_page(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    if not run.exists(rundir.BACKTEST):
        return "Backtest", "", []
    result = read_backtest(run)
    folds = result.folds
    top = "".join(h.verdict(f"{result.model} over the folds: {line}.", good) for line, good in result.tallies())
    skill = result.summary["model"]["skill"]
    top += h.note(f"Mean skill {number(skill['mean'], 3)} (sd {number(skill['std'], 3)}).")
    spec = result.backtest
    columns = ["forecaster", *[c[0] for c in SCORE_COLUMNS[:-1]]]
    summary = [
        [
            name,
            *[
                (f"{number(s[key]['mean'], d)} ± {number(s[key]['std'], d)}" if s[key]["mean"] is not None else "-")
                for _, key, d in SCORE_COLUMNS[:-1]
            ],
        ]
        for name, s in result.summary.items()
    ]
    fold_rows = [
        [
            f.fold,
            f"{f.train.first}..{f.train.last}",
            f"{f.test.first}..{f.test.last}",
            f"{f.windows['train']}/{f.windows['val']}/{f.windows['test']}",
            f.epochs_run,
            f.metrics["model"]["rmse"],
            f.metrics["naive"]["rmse"],
            number(f.metrics["model"]["skill"], 3),
            number((f.diebold_mariano.get("model") or {}).get("p_value"), 4, "dm_p"),
            (f.best_competitor or {}).get("against", "-"),
            (f.best_competitor or {}).get("rmse"),
        ]
        for f in folds
    ]
    sections = [
        (
            "summary",
            "Summary over folds",
            h.note(
                f"{len(folds)} walk-forward folds ({spec['mode']} training window, "
                f"refit {str(spec['refit']).lower()}): "
                "each fold's scaler, model and competitors see only the rows before its test part (backtest.json: "
                "scaler_fitted_on). Mean ± standard deviation over folds; windows: training/validation/test."
            )
            + h.table(columns, summary, highlight={0})
            + h.note(MASE_SCALE),
        ),
        (
            "folds",
            "Folds",
            h.table(
                [
                    "fold",
                    "training",
                    "test",
                    "windows",
                    "epochs",
                    "RMSE",
                    "naive RMSE",
                    "skill",
                    "DM p",
                    "best competitor",
                    "its RMSE",
                ],
                fold_rows,
                text_columns={9},
            ),
        ),
    ]
    figure = h.figure(run.file(rundir.BACKTEST_PNG), "Each fold's forecasts, and each RMSE against naive's")
    if figure:
        sections.insert(1, ("figures", "Figures", figure))
    return f"{result.symbol} {result.target}: {result.model} backtest", top, sections


# --- predict -----------------------------------------------------------------------


def predict_page(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    if not run.exists(rundir.FORECAST_JSON):
        return "Forecast", "", []
    result = read_forecast(run)
    test, combination = result.test, result.combination  # evaluate.combine: the run's combination made it
    verdict = test.verdict
    caveat = "" if verdict is None or verdict.advice() is None else f" On its test part {verdict.advice()}."
    top = h.verdict(
        f"{result.horizon} steps of {result.symbol} {result.target} after {result.last_bar} "
        f"(last value {result.last_value:.4g}), by the {result.made_by} of {result.run}"
        + (f"; its test skill {test.skill:+.3f}." if test.skill is not None else ".")
        + caveat,
        False if verdict is not None and verdict.worse else None,
    )
    if combination:
        top += h.note(combination["verdict"] + ". The members' forecasts are the table's last columns.")
    forecast = result.forecast
    columns = [c for c in forecast[0] if c != "step"] if forecast else []
    table = h.table(["step", *columns], [[r["step"], *[r[c] for c in columns]] for r in forecast])
    intervals = result.intervals or {}
    calibration = intervals.get("calibration", {})
    pairs = [
        ("model run", result.run),
        ("model sha256", result.model_sha256),
        ("data", result.data),
        ("as of", result.as_of),
        ("strategy", result.strategy),
        ("dates", f"{result.calendar['name']} ({result.calendar['reason']})"),
        ("intervals", intervals.get("method")),
        (
            "calibrated on",
            f"{calibration['part']}, {calibration['windows']} windows, {calibration['first']}..{calibration['last']}"
            if calibration
            else None,
        ),
        *[(f"{level}% test coverage", percent(value)) for level, value in test.coverage.items()],
    ]
    sections = [("forecast", "Forecast", table)]
    figure = h.figure(run.file(rundir.FORECAST_FUTURE_PNG), "History, the forecast and its intervals")
    if figure:
        sections.append(("figures", "Figures", figure))
    sections.append(("model", "Model and method", h.facts(pairs)))
    return f"Forecast: {result.symbol} {result.target}, {result.horizon} steps", top, sections


def other_page(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    files = sorted(p.name for p in run.path.iterdir() if not p.name.startswith("."))
    return f"{kind(manifest)} run {run.path.name}", "", [("files", "Files", h.pre("\n".join(files)))]
