"""The report pages of compare, backtest and predict runs, and of any other kind (a list of its files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecast import rundir
from forecast.folds.report import fold_tallies
from forecast.reports import html as h
from forecast.reports.common import kind, read
from forecast.rollout.conformal import percent
from forecast.rundir import RunDir
from forecast.scoring.metrics import SCORE_COLUMNS
from forecast.scoring.verdict import Verdict, judge
from forecast.tables import MASE_SCALE, is_model, number, versus_naive


def compare_page(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    result = read(run, rundir.COMPARISON)
    if not result:
        return "Comparison", "", [("candidates", "Candidates", _candidates(run, manifest))]
    test, rows = result["test"], result["rows"]
    naive = next(r["rmse"] for r in rows if r["name"] == "naive")
    judged = {r["name"]: row_verdicts(r, naive) for r in rows if r["name"] != "naive"}
    top = "".join(h.verdict(f"{r['name']}: {v.words}.", v.good) for r in rows if is_model(r) for v in judged[r["name"]])
    leader = rows[0]
    if not is_model(leader):  # a ranking, not a verdict: the verdicts above say what is significant
        top += h.note(f"Ranked first by RMSE: {leader['name']} ({leader['kind']}, RMSE {number(leader['rmse'], 4)}).")
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
            r["rank"],
            r["name"],
            r["kind"],
            number(r["rmse"], 4),
            versus_naive(r.get("vs_naive")),
            number(r["mae"], 4),
            number(r.get("mase"), 3),
            number(r.get("skill"), 3),
            number(r.get("dm_p"), 4, "dm_p"),
            "-" if r["name"] == "naive" else judged[r["name"]][0].short,
            number(r.get("parameters")),
            number(r.get("train_seconds"), 1),
            number(r.get("epochs")),
        ]
        for r in rows
    ]
    ranking = (
        h.note(
            f"{test['target']}, test part {test['test period']}, {test['test windows']} windows, horizon "
            f"{test['horizon']}: every candidate was checked to have the same data fingerprint, split and test "
            "targets. Each verdict is the paired Diebold-Mariano test against naive on the same windows: "
            "the one test that answers whether a difference is more than noise."
        )
        + h.table(columns, body, highlight={i for i, r in enumerate(rows) if is_model(r)}, text_columns={1, 2, 9})
        + h.note(MASE_SCALE)
    )
    figures = h.figure(run.file(rundir.COMPARISON_PNG), "Forecasts over the test part, and each RMSE against naive's")
    sections = [("ranking", "Ranking", ranking)]
    if figures:
        sections.append(("figures", "Figures", figures))
    sections.append(("candidates", "Candidates", _candidates(run, manifest)))
    return f"Comparison: {test['target']}", top, sections


def row_verdicts(row: dict[str, Any], naive_rmse: float) -> list[Verdict]:
    """A comparison row's verdicts as its evaluation made them (against naive, then the best
    competitor); a comparison.json written before they were stored is judged from its numbers."""
    stored = [Verdict.model_validate(row[k]) for k in ("versus_naive", "versus_competitor") if row.get(k)]
    return stored or [judge(row["name"], row["rmse"], "naive", naive_rmse, row.get("dm_p"))]


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
    result = read(run, rundir.BACKTEST)
    if not result:
        return "Backtest", "", []
    folds = result["folds"]
    top = "".join(h.verdict(f"{result['model']} over the folds: {line}.", good) for line, good in fold_tallies(folds))
    skill = result["summary"]["model"]["skill"]
    top += h.note(f"Mean skill {number(skill['mean'], 3)} (sd {number(skill['std'], 3)}).")
    spec = result["backtest"]
    columns = ["forecaster", *[c[0] for c in SCORE_COLUMNS[:-1]]]
    summary = [
        [
            name,
            *[
                (f"{number(s[key]['mean'], d)} ± {number(s[key]['std'], d)}" if s[key]["mean"] is not None else "-")
                for _, key, d in SCORE_COLUMNS[:-1]
            ],
        ]
        for name, s in result["summary"].items()
    ]
    fold_rows = [
        [
            f["fold"],
            f"{f['train']['first']}..{f['train']['last']}",
            f"{f['test']['first']}..{f['test']['last']}",
            f"{f['windows']['train']}/{f['windows']['val']}/{f['windows']['test']}",
            f.get("epochs_run"),
            f["metrics"]["model"]["rmse"],
            f["metrics"]["naive"]["rmse"],
            number(f["metrics"]["model"]["skill"], 3),
            number(f.get("diebold_mariano", {}).get("model", {}).get("p_value"), 4, "dm_p"),
            (f.get("best_competitor") or {}).get("against", "-"),
            (f.get("best_competitor") or {}).get("rmse"),
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
    return f"{result['symbol']} {result['target']}: {result['model']} backtest", top, sections


# --- predict -----------------------------------------------------------------------


def predict_page(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    result = read(run, rundir.FORECAST_JSON)
    if not result:
        return "Forecast", "", []
    test = result.get("test", {})
    skill = test.get("skill")
    combination = result.get("combination")  # evaluate.combine: the run's combination made the forecast
    made_by = f"{result['model']} {'combination' if combination else 'model'}"
    verdict = Verdict.model_validate(test["verdict"]) if test.get("verdict") else None
    caveat = "" if verdict is None or verdict.advice() is None else f" On its test part {verdict.advice()}."
    top = h.verdict(
        f"{result['horizon']} steps of {result['symbol']} {result['target']} after {result['last_bar']} "
        f"(last value {result['last_value']:.4g}), by the {made_by} of {result['run']}"
        + (f"; its test skill {skill:+.3f}." if skill is not None else ".")
        + caveat,
        False if verdict is not None and verdict.worse else None,
    )
    if combination:
        top += h.note(combination["verdict"] + ". The members' forecasts are the table's last columns.")
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
        ),
        *[(f"{level}% test coverage", percent(value)) for level, value in coverage.items()],
    ]
    sections = [("forecast", "Forecast", table)]
    figure = h.figure(run.file(rundir.FORECAST_FUTURE_PNG), "History, the forecast and its intervals")
    if figure:
        sections.append(("figures", "Figures", figure))
    sections.append(("model", "Model and method", h.facts(pairs)))
    return f"Forecast: {result['symbol']} {result['target']}, {result['horizon']} steps", top, sections


def other_page(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    files = sorted(p.name for p in run.path.iterdir() if not p.name.startswith("."))
    return f"{kind(manifest)} run {run.path.name}", "", [("files", "Files", h.pre("\n".join(files)))]
