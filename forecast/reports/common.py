"""Pieces every report page uses: the run's kind, its JSON files, the verdicts, the scores table."""

from __future__ import annotations

from typing import Any

from forecast import rundir
from forecast.errors import DataError
from forecast.reports import html as h
from forecast.rundir import RunDir
from forecast.rundir.artifacts import read_metrics
from forecast.rundir.verify import Tampered
from forecast.scoring.metrics import SCORE_COLUMNS
from forecast.scoring.metrics_file import Metrics
from forecast.scoring.verdict import SIGNIFICANT
from forecast.tables import MASE_SCALE, number


def kind(manifest: dict[str, Any]) -> str:
    return manifest.get("kind", "train")


def stopped(manifest: dict[str, Any]) -> str:
    status = manifest.get("status")
    if status in ("complete", None):
        return ""
    stages = manifest.get("stages", {})
    where = next((f" at stage {name}" for name, r in stages.items() if r.get("status") == status), "")
    error = manifest.get("error") or next((r.get("error") for r in stages.values() if r.get("error")), "")
    return h.verdict(f"This run is {status}{where}{': ' + error if error else ''}. It shows what there is.", False)


def p_value(value: float | None) -> str:
    if value is None:
        return "no Diebold-Mariano test"
    significant = "significant" if value < SIGNIFICANT else "not significant"
    return f"Diebold-Mariano p {number(value, 4, 'dm_p')}: {significant} at {SIGNIFICANT:g}"


def scores_of(run: RunDir) -> Metrics | None:
    """metrics.json typed, or None when the run has none or one of another shape (failed, older)."""
    if not run.exists(rundir.METRICS):
        return None
    try:
        return read_metrics(run)
    except Tampered:
        raise  # not the file its stage wrote: the page is refused, not drawn without it
    except DataError:
        return None


def competitors_part(metrics: Metrics) -> str:
    """What each competitor's automatic search chose, and which were skipped and why."""
    info = metrics.competitors
    if not info:
        return ""
    rows = [[name, model] for name, model in info["fitted"].items()]
    rows += [[name, f"skipped: {why}"] for name, why in info["skipped"].items()]
    return (
        "<h3>Statistical competitors</h3>"
        + h.note(
            "statsforecast's automatic models, fitted once on the rows before the test part, then forecasting "
            "every test window from the history up to its origin with those parameters, as the network does. "
            "The DM p in the scores table is each one's test against naive; the verdict above tests the "
            "model against the best of them."
        )
        + h.table(["competitor", "model chosen"], rows, text_columns={0, 1})
    )


def scores_table(metrics: Metrics) -> str:
    rows = metrics.rows()
    columns = ["forecaster", *[c[0] for c in SCORE_COLUMNS]]
    body = [[r["name"], *[number(r.get(key), digits, key) for _, key, digits in SCORE_COLUMNS]] for r in rows]
    return h.table(columns, body, highlight={0}) + h.note(MASE_SCALE)


# --- train -------------------------------------------------------------------------
