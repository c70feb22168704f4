"""report.html for a run directory: one page per kind of run (train, compare, backtest,
predict), built from the run's own files only, so `forecast report RUN` can rebuild it
any time, for a failed run too (it shows what there is, and where it stopped).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from forecast import atomic, rundir
from forecast.reports import html as h
from forecast.reports.common import kind, stopped
from forecast.reports.pages import backtest_page, compare_page, other_page, predict_page
from forecast.reports.train_page import train_page
from forecast.reports.tune_page import tune_page
from forecast.rundir import RunDir


def write_report(run: RunDir) -> Path:
    path = run.file(rundir.REPORT)
    atomic.write_text(path, render(run))
    return path


def render(run: RunDir) -> str:
    manifest = run.manifest()
    pages = {
        "train": train_page,
        "compare": compare_page,
        "backtest": backtest_page,
        "predict": predict_page,
        "tune": tune_page,
    }
    builder = pages.get(kind(manifest), other_page)
    title, top, sections = builder(run, manifest)
    sections = [*sections, ("provenance", "Provenance", _provenance(run, manifest))]
    if run.exists(rundir.CONFIG):
        sections.append(
            (
                "config",
                "Config",
                h.note(
                    "The resolved config: every default filled in. Rerun it with forecast train --config config.yaml."
                )
                + h.pre(run.file(rundir.CONFIG).read_text(encoding="utf-8")),
            )
        )
    subtitle = (
        f"{kind(manifest)} run {run.path.name} · status {manifest.get('status', 'unknown')} · "
        f"created {manifest.get('created', '?')}"
    )
    version = manifest.get("versions", {}).get("forecast", "")
    footer = (
        f"forecast {h.esc(version)} · page written {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC · "
        f"rebuild with <code>forecast report {h.esc(run.path)}</code>"
    )
    return h.page(title, subtitle, stopped(manifest) + top, sections, footer)


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
        rows = [
            [
                name,
                r.get("status"),
                r.get("seconds"),
                r.get("started"),
                (r.get("outputs") or {}) and ", ".join(r["outputs"]),
            ]
            for name, r in stages.items()
        ]
        parts += [
            "<h3>Stages</h3>",
            h.table(["stage", "status", "seconds", "started", "outputs"], rows, text_columns={4}),
        ]
    return "".join(parts)
