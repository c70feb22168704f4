"""One run lifecycle for every command that writes a run directory.

    config.yaml -> manifest.json (running) -> the command's work
      -> manifest: complete, or failed / interrupted with the error -> report.html, MLflow

`new_run` is that sequence for the commands that make a run in one go (backtest,
compare, predict, a global model); the stage runner (runner.py) resumes runs stage by
stage and ends them with the same `stop` and `complete`.

report.html and MLflow are views of a finished run, not stages: neither changes a
result, and both can be rebuilt with `forecast report RUN [--mlflow]`.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import platform
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from forecast.config import Config, dump_config
from forecast.errors import ForecastError
from forecast.reports import tracking
from forecast.reports.build import write_report
from forecast.rundir import RunDir, stopped, utc_now

log = logging.getLogger(__name__)


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """Versions that can change a result; read from package metadata, without importing."""
    return copy.deepcopy(_environment())


@functools.cache  # what this process runs on: read once (a git process and 8 metadata files, ~9 ms a run)
def _environment() -> dict[str, Any]:
    versions = {"python": platform.python_version()}
    for name in ("forecast", "tensorflow", "keras", "numpy", "pandas", "scikit-learn", "yfinance", "pyarrow"):
        versions[name] = package_version(name)
    try:
        sha = (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        sha = None
    return {"versions": versions, "git_sha": sha, "platform": platform.platform()}


@dataclass
class Started:
    """A run under way: its folder and the manifest the command may add facts to."""

    run: RunDir
    manifest: dict[str, Any]
    status: str = "complete"  # what the run becomes when the work returns ("partial": some members failed)
    extra: dict[str, Any] = field(default_factory=dict)  # facts written with the final status


def stop(run: RunDir, manifest: dict[str, Any], exc: BaseException) -> None:
    """Record how `exc` ended the run: failed, or interrupted by a signal. The error then
    says which run it marked failed; when even that cannot be written (a full disk), the
    error that stopped the run is still the one reported."""
    ended = stopped(exc)
    was = manifest.get("status")
    manifest.update(status=ended["status"], error=ended["error"], updated=ended["updated"])
    try:
        run.save_manifest(manifest)
    except ForecastError as failure:
        log.warning("run %s could not be marked %s: %s", run.path, ended["status"], failure.message)
        return
    newly_failed = ended["status"] == "failed" and was != "failed"
    if isinstance(exc, ForecastError) and newly_failed and "marked failed]" not in exc.message:
        exc.message = f"{exc.message} [run {run.path} marked failed]"


def complete(run: RunDir, manifest: dict[str, Any], status: str = "complete") -> None:
    """The manifest's final status, saved last of the run's files (finish() then writes the views
    of the finished run)."""
    manifest.pop("error", None)  # a resumed run that completes no longer carries its earlier failure
    manifest.update(status=status, updated=utc_now())
    run.save_manifest(manifest)


@contextlib.contextmanager
def new_run(
    root: Path, name: str, kind: str, config: Config | None, save_config: bool = True, **facts: Any
) -> Iterator[Started]:
    """A new run folder <root>/<name>-<UTC time> of this kind: config and manifest first,
    the final status last, report and tracking after that. `config` drives the report and
    MLflow; save_config=False for runs whose config lives elsewhere (a forecast's model run)."""
    run = RunDir.create(root, name, dump_config(config) if config is not None and save_config else None)
    manifest: dict[str, Any] = {
        "name": run.path.name,
        "kind": kind,
        "created": utc_now(),
        "status": "running",
        **facts,
        **environment(),
    }
    with _lived(run, manifest, config) as started:
        yield started


@contextlib.contextmanager
def reopened_run(run: RunDir, config: Config) -> Iterator[Started]:
    """A stopped run of a resumable command (forecast tune --run-dir) taken up again: running,
    then complete, or failed / interrupted once more."""
    manifest = run.manifest()
    manifest.update(status="running", updated=utc_now(), **environment())
    with _lived(run, manifest, config) as started:
        yield started


@contextlib.contextmanager
def _lived(run: RunDir, manifest: dict[str, Any], config: Config | None) -> Iterator[Started]:
    # Both saves inside the try: a signal landing in one is recorded by stop(), never leaving
    # the run "running".
    try:
        run.save_manifest(manifest)
        started = Started(run, manifest)
        yield started
        manifest.update(started.extra)
        complete(run, manifest, started.status)
    except BaseException as exc:
        stop(run, manifest, exc)
        raise
    if config is not None:
        finish(run, config)


def finish(run: RunDir, config: Config) -> None:
    """What follows a complete run: its report.html and, when asked, an MLflow run."""
    tracked = None
    if config.mlflow.enabled:
        try:
            tracked = tracking.start(run, config)
        except Exception as exc:  # a tracking server down must not turn a finished run into a failure
            log.warning(
                "MLflow: could not log %s to %s (%s: %s); the run itself is complete; retry with: "
                "forecast report %s --mlflow",
                run.path,
                tracking.tracking_uri(config, run),
                type(exc).__name__,
                exc,
                run.path,
            )
    if config.plot.report:
        write_report(run)
    if tracked is not None:
        tracking.finish_run(*tracked, run)
        log.info("MLflow: logged %s as run %s", run.path.name, tracked[1])
