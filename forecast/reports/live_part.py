"""The "Live accuracy" section of a model run's report: what `forecast score` last found for the
forecasts this run published (runs/forecasts/<name>/live.json and live.png), beside its test
period's figures. Nothing when the run's forecasts were never scored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forecast.live.log import LIVE_JSON, LIVE_PNG, log_root
from forecast.reports import html as h
from forecast.rundir import RunDir
from forecast.tables import number


def live_section(run: RunDir, name: str) -> tuple[str, str, str] | None:
    folder = log_root(run.path.parent) / name
    try:
        live = json.loads((folder / LIVE_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if Path(live.get("model_run", "")).resolve() != run.path.resolve() or not live.get("steps"):
        return None
    rows = [
        [
            s["step"],
            s["n"],
            number(s["rmse"], 4),
            number(s["naive_rmse"], 4),
            number(s["skill"], 3),
            number(s["test"].get("skill"), 3),
            number(s.get("coverage_80"), 3),
            number(s["test"].get("coverage_80"), 3),
            number(s.get("coverage_95"), 3),
            number(s["test"].get("coverage_95"), 3),
        ]
        for s in live["steps"]
    ]
    table = h.table(
        ["step", "n", "RMSE", "naive RMSE", "skill", "test skill", "80% held", "test 80%", "95% held", "test 95%"], rows
    )
    note = h.note(
        f"{live['forecasts']} published forecast(s) of this run scored against the actuals "
        f"{live['first']} .. {live['last']} ({live['pending']} still waiting), naive from the same origins; "
        f"as of the last forecast score. {_drift(live.get('drift') or {})}"
    )
    figure = h.figure(folder / LIVE_PNG, "Rolling live RMSE against naive, and band coverage, over time")
    return "live", "Live accuracy", note + table + figure


def _drift(drift: dict[str, Any]) -> str:
    if drift.get("drifted"):
        return "DRIFT: the live forecasts are worse than the test period makes plausible (forecast score says why)."
    skill = drift.get("skill") or {}
    return "No drift." if skill.get("p") is not None else f"Drift not judged: {skill.get('why', 'no test period')}."
