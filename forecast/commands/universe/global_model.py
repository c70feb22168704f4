"""A global model: one network trained on windows pooled from every symbol of a universe.

Each member is an ordinary run (<name>-global-<symbol>): its own snapshot, its scaler
fitted on its own training part, its own windows and split. The global model is
trained once, in the universe's run (<name>-global), on every member's training
windows (validated on every member's validation windows), then copied into each
member run, which evaluates it on its own test part like any model. The summary puts
each member beside the newest per-symbol model (model.scope: symbol) on the same
test windows, when one exists.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from forecast import rundir
from forecast.commands.universe.jobs import scores
from forecast.config import Config, dump_config
from forecast.config.universe import member_name
from forecast.errors import DataError, ForecastError
from forecast.network.inputs import training_inputs
from forecast.network.training import train_model
from forecast.pipeline.context import Context
from forecast.pipeline.lifecycle import new_run
from forecast.pipeline.runner import run_pipeline
from forecast.rundir import RunDir
from forecast.rundir.artifacts import read_encoding, read_metrics, read_split, save_trained, save_universe
from forecast.rundir.files import UniverseFile

log = logging.getLogger(__name__)


def train_global(
    config: Config, members: list[Config], runs_root: Path, data_dir: Path, on_done=None
) -> tuple[RunDir, list[dict[str, Any]]]:
    """members: member_configs(config), computed once by the caller (a symbols file is read once)."""
    symbols = [m.data.symbol for m in members]
    with new_run(runs_root, f"{config.name}-global", "global", config, symbols=symbols) as started:
        index, manifest = started.run, started.manifest
        results: dict[str, dict[str, Any]] = {}
        prepared: list[tuple[Config, RunDir]] = []

        def finished(entry: dict[str, Any], exc: ForecastError | None = None) -> None:
            if exc is not None:
                entry.update(status="failed", error=str(exc), exit_code=exc.exit_code)
            if on_done:
                on_done(entry, sum("status" in r for r in results.values()), len(members))

        for member in members:  # snapshot, scale, window: cheap, one after another
            run = RunDir.create(runs_root, member.name, dump_config(member))
            results[member.data.symbol] = {"symbol": member.data.symbol, "run": str(run.path)}
            try:
                run_pipeline(Context(member, run, data_dir, pretrained=index.path), until="split")
                prepared.append((member, run))
            except ForecastError as exc:
                finished(results[member.data.symbol], exc)
        if not prepared:
            raise DataError(
                f"no symbol of {config.name} could be prepared for the global model",
                hint="see the errors above, one per symbol",
            )
        pooled = [(read_split(run), read_encoding(run)) for _, run in prepared]
        x_train, y_train, x_val, y_val = training_inputs(pooled, config)
        log.info("global %s on %d windows pooled from %d symbols", config.model.kind, len(x_train), len(prepared))
        logs = index.file(rundir.TENSORBOARD) if config.train.tensorboard else None
        model, result = train_model(config.model, config.train, x_train, y_train, x_val, y_val, logs)
        manifest["train"] = {**save_trained(index, model, result), "windows": len(x_train), "symbols": len(prepared)}
        del x_train, y_train, x_val, y_val, pooled
        index.save_manifest(manifest)
        for member, run in prepared:  # each member evaluates the global model on its own test part
            entry = results[member.data.symbol]
            try:
                run_pipeline(Context(member, run, data_dir, pretrained=index.path))
                entry.update(status="done", **scores(read_metrics(run)))
                entry.update(per_symbol(config, member, runs_root, entry))
            except ForecastError as exc:
                finished(entry, exc)
                continue
            finished(entry)
        rows = [results[m.data.symbol] for m in members]
        save_universe(index, UniverseFile.model_validate({"scope": "global", "rows": rows}))
        if any(r["status"] == "failed" for r in rows):
            started.status = "partial"
    return index, rows


def per_symbol(config: Config, member: Config, runs_root: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """The newest per-symbol run of this universe, if it was tested on exactly these windows."""
    own = RunDir.newest(member_name(config.name, member.data.symbol), runs_root)
    if own is None or not own.exists(rundir.METRICS):
        return {"per_symbol": None}
    theirs = scores(read_metrics(own))
    if theirs["test"] != entry["test"]:
        log.warning(
            "%s: the per-symbol run %s was tested on other windows; not compared", member.data.symbol, own.path.name
        )
        return {"per_symbol": None}
    return {"per_symbol": {"run": str(own.path), "rmse": theirs["rmse"], "skill": theirs["skill"]}}
