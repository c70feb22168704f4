"""Optional MLflow tracking: each finished run becomes an MLflow run with the resolved
config as params, the run's scores as metrics and its files as artifacts.

MLflow is an extra (pip install 'forecast[mlflow]'), imported only when a config asks
for it. By default runs go to a local file store beside the runs (<runs root>/mlruns):
no server, no database, nothing on the network.
"""

from __future__ import annotations

import logging
import math
import os
import time
from pathlib import Path
from typing import Any

from forecast import rundir
from forecast.config import Config
from forecast.errors import ConfigError
from forecast.rundir import RunDir
from forecast.rundir.artifacts import read_backtest, read_comparison, read_forecast, read_history, read_metrics

log = logging.getLogger(__name__)
# Stage inputs a user can rebuild from the cache; the rest of the run is logged.
SKIPPED = frozenset({rundir.SPLIT, rundir.LEGACY_FILES[rundir.SPLIT], rundir.SERIES, rundir.LOCK, rundir.REPORT})
BATCH = 100  # MLflow's limit of params per log_batch call


def require(config: Config) -> None:
    """Refuse before any training when tracking is asked for and MLflow is not installed."""
    if not config.mlflow.enabled:
        return
    try:
        import mlflow  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"config {config.name} asks for MLflow tracking (mlflow.enabled or --mlflow) and MLflow is not installed",
            hint="pip install 'forecast[mlflow]', or drop --mlflow / set mlflow.enabled: false",
        ) from exc


def asked(config: Config, flag: bool) -> Config:
    """The config with tracking switched on when --mlflow was given."""
    return switched(config, True) if flag else config


def switched(config: Config, on: bool) -> Config:
    return config.model_copy(update={"mlflow": config.mlflow.model_copy(update={"enabled": on})})


def store_root(run: RunDir) -> Path:
    """The runs root a run belongs to: its folder's parent, or, for a compare's candidate
    (runs/compare-<time>/<candidate>), the compare's parent."""
    parent = run.path.parent
    if (parent / rundir.MANIFEST).is_file() and RunDir(parent).manifest().get("kind") == "compare":
        return parent.parent
    return parent


def tracking_uri(config: Config, run: RunDir) -> str:
    if config.mlflow.tracking_uri:
        return config.mlflow.tracking_uri
    return (store_root(run) / "mlruns").resolve().as_uri()


def start(run: RunDir, config: Config) -> tuple[Any, str]:
    """Create the MLflow run and log params, metrics and the run's files (all but the
    report, which is written after this and logged by finish_run). Returns (client, run id)."""
    uri = tracking_uri(config, run)
    if uri.startswith("file:"):
        # MLflow 3 keeps the file store only on request; it needs no server or database.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    name = config.mlflow.experiment or config.name
    experiment_id = _experiment(client, name)
    manifest = run.manifest()
    kind = manifest.get("kind", "train")
    tags = {
        "forecast.kind": kind,
        "forecast.run_dir": str(run.path.resolve()),
        "forecast.status": str(manifest.get("status")),
        "forecast.data_fingerprint": str(manifest.get("data_fingerprint")),
        "forecast.version": str(manifest.get("versions", {}).get("forecast")),
        "mlflow.source.git.commit": str(manifest.get("git_sha")),
    }
    created = client.create_run(experiment_id, run_name=run.path.name, tags=tags)
    run_id = created.info.run_id
    now = int(time.time() * 1000)
    params = [Param(k, v[:6000]) for k, v in flatten(config.model_dump(mode="json")).items()]
    metrics = [Metric(k, v, now, step) for k, v, step in scores(run, kind)]
    for i in range(0, max(len(params), len(metrics)), BATCH):
        client.log_batch(run_id, metrics=metrics[i : i + BATCH], params=params[i : i + BATCH])
    for path in sorted(run.path.iterdir()):
        if path.name in SKIPPED or path.name.startswith(".") or (path / rundir.MANIFEST).is_file():
            continue  # a compare's candidates are runs of their own, logged as such
        if path.is_dir():
            client.log_artifacts(run_id, str(path), artifact_path=path.name)
        else:
            client.log_artifact(run_id, str(path))
    manifest["mlflow"] = {"run_id": run_id, "experiment": name, "tracking_uri": uri}
    run.save_manifest(manifest)
    return client, run_id


def _experiment(client: Any, name: str) -> str:
    """The experiment's id, created on first use. A universe's workers log in parallel, so
    another process may create it between the look-up and the creation: then look again."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except MlflowException:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def finish_run(client: Any, run_id: str, run: RunDir) -> None:
    if run.exists(rundir.REPORT):
        client.log_artifact(run_id, str(run.file(rundir.REPORT)))
    client.set_terminated(run_id, "FINISHED")


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{'prep': {'lookback': 60}} -> {'prep.lookback': '60'}: the same dotted names as --set."""
    out: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def scores(run: RunDir, kind: str) -> list[tuple[str, float, int]]:
    """(name, value, step) for the run's kind; only finite numbers (MLflow's metrics are floats)."""
    out: list[tuple[str, Any, int]] = []
    if kind == "train" and run.exists(rundir.METRICS):
        metrics = read_metrics(run)
        for name, values in metrics.scores.items():
            out += [(f"{name}_{key}", value, 0) for key, value in values.items()]
        out.append(("dm_p", metrics.dm_p, 0))
        for level, coverage in ((metrics.intervals or {}).get("coverage") or {}).items():
            if coverage["test"] is not None:  # n/a: an empty band (too few validation windows)
                out.append((f"coverage_{level}", coverage["test"], 0))
        if run.exists(rundir.HISTORY):
            history = read_history(run)
            out += [(column, value, int(epoch)) for column in history for epoch, value in history[column].items()]
    elif kind == "compare" and run.exists(rundir.COMPARISON):
        for row in read_comparison(run).rows:
            out += [(f"{row.name}_{key}", row.scores.get(key), 0) for key in ("rmse", "mae", "mase", "skill")]
            out.append((f"{row.name}_rank", row.rank, 0))
    elif kind == "backtest" and run.exists(rundir.BACKTEST):
        for name, values in read_backtest(run).summary.items():
            out += [(f"{name}_{key}_mean", stats["mean"], 0) for key, stats in values.items()]
    elif kind == "predict" and run.exists(rundir.FORECAST_JSON):
        for row in read_forecast(run).forecast:
            out.append(("forecast", row["forecast"], int(row["step"])))
    return [(k, float(v), step) for k, v, step in out if isinstance(v, int | float) and math.isfinite(v)]
