"""The pipeline as data, and the runner that resumes and skips.

Each stage declares the run-directory files it reads and writes and the config
sections it depends on. A stage is skipped ("unchanged") when the manifest records it
done with the same config sections, the same input hashes, and outputs that are
still there unchanged, and no stage before it ran in this invocation. Otherwise it
runs, and so does everything after it. The manifest is updated after every stage,
so a failure or an interruption is recorded and the next run resumes there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from forecast import rundir
from forecast.config import Config, dump_config, legacy, require_one_series
from forecast.errors import MissingInputError, raise_if_stopped
from forecast.lock import exclusive
from forecast.pipeline import stages
from forecast.pipeline.lifecycle import complete, environment, finish, stop
from forecast.pipeline.stages import Context
from forecast.prepare.transforms import SEASONAL
from forecast.reports import tracking
from forecast.rundir import RunDir, stopped, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Context], dict[str, Any]]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    sections: tuple[str, ...]


R = rundir
# evaluate.season: the season a seasonal difference (prep.target_transform) is taken at.
_ENCODE_CONFIG = ("data", "prep", "evaluate.season")
_EVALUATE_INPUTS = (R.SERIES, R.ENCODING, R.SPLIT, R.MODEL, R.COMPETITORS)
_COMPETITORS_CONFIG = (
    "data",
    "prep",
    "evaluate.season",
    "evaluate.competitors",
    "evaluate.competitor_timeout",
    "evaluate.combine",
)
_PLOT_INPUTS = (R.SERIES, R.SPLIT, R.PREDICTIONS, R.HISTORY, R.METRICS)
_PLOT_OUTPUTS = (R.FORECAST_PNG, R.RESIDUALS_PNG, R.LOSS_PNG)
_EVALUATE_CONFIG = (
    "data",
    "evaluate.season",
    "evaluate.intervals",
    "evaluate.competitors",
    "evaluate.combine",
    "predict.horizon",
)
STAGES: tuple[Stage, ...] = (
    Stage("snapshot", stages.snapshot, (), (R.SERIES,), ("data", "prep.calendar_features", "prep.fourier_terms")),
    Stage("encode", stages.encode, (R.SERIES,), (R.ENCODING,), _ENCODE_CONFIG),
    Stage("split", stages.split, (R.SERIES,), (R.SPLIT,), _ENCODE_CONFIG),
    Stage("train", stages.train, stages.TRAIN_INPUTS, (R.MODEL, R.HISTORY), ("model", "train")),
    # After train, so a run made before competitors existed gains them without retraining.
    Stage("competitors", stages.competitors, (R.SERIES, R.SPLIT), (R.COMPETITORS,), _COMPETITORS_CONFIG),
    Stage("evaluate", stages.evaluate, _EVALUATE_INPUTS, (R.PREDICTIONS, R.METRICS, R.VALIDATION), _EVALUATE_CONFIG),
    Stage("plot", stages.plot, _PLOT_INPUTS, _PLOT_OUTPUTS, ("plot.enabled", "plot.dpi")),
)

# Event callback: (stage name, "skipped" | "running" | "done" | "failed", manifest record)
Listener = Callable[[str, str, dict[str, Any]], None]


def _section(config: Config, dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        node = getattr(node, part)
    return node.model_dump(mode="json") if hasattr(node, "model_dump") else node


def section_hash(config: Config, sections: tuple[str, ...]) -> str:
    """Hash of the config a stage depends on: whole sections, or single fields ('evaluate.season')."""
    return _digest(_payload(config, sections))


def _payload(config: Config, sections: tuple[str, ...]) -> dict[str, Any]:
    seasonal = config.prep.target_transform in SEASONAL or config.prep.deseasonalize != "none"
    if sections == _ENCODE_CONFIG and not seasonal:
        sections = sections[:-1]  # evaluate.season changes only a seasonal difference's or profile's encoding
    return legacy.without_added({name: _section(config, name) for name in sections})


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _same_config(recorded: Any, config: Config, sections: tuple[str, ...]) -> bool:
    """The recorded hash is this config's, spelt with today's names or (a run written
    before 0.2) with the old ones: renaming a field changes no stage's inputs."""
    payload = _payload(config, sections)
    if recorded == _digest(payload):
        return True
    unnamed = not config.data.spec.named  # csv, synthetic: an old config may have left the symbol unset
    payloads = [payload]
    if payload.get("evaluate.combine") is False:  # a run written before 0.3 had no evaluate.combine
        payloads.append({name: value for name, value in payload.items() if name != "evaluate.combine"})
    return any(
        recorded == _digest(spelt) for each in payloads for spelt in (each, *legacy.legacy_payloads(each, unnamed))
    )


def _hashes(run: RunDir, names: tuple[str, ...]) -> dict[str, str | None]:
    return {name: run.sha256(name) for name in names}


def is_current(stage: Stage, record: dict[str, Any] | None, ctx: Context) -> bool:
    if not record or record.get("status") != "done":
        return False
    if not _same_config(record.get("config"), ctx.config, stage.sections):
        return False
    if record.get("inputs") != _hashes(ctx.run, stage.inputs):
        return False
    return record.get("outputs") == _hashes(ctx.run, stage.outputs) or bool(record.get("info", {}).get("disabled"))


def plan(
    ctx: Context,
    stages: tuple[Stage, ...],
    first_forced: int,
    records: dict[str, Any],
    must_be_current: frozenset[str] = frozenset(),
) -> list[bool]:
    """Which stages are current, before anything is written: a stage is current only if nothing
    before it reruns. A stage in must_be_current that is not is refused, naming it."""
    current: list[bool] = []
    for position, stage in enumerate(stages):
        upstream_ran = not all(current)
        current.append(position < first_forced and not upstream_ran and is_current(stage, records.get(stage.name), ctx))
    blocked = [s for s, ok in zip(stages, current, strict=True) if not ok and s.name in must_be_current]
    if blocked:
        status = records.get(blocked[0].name, {}).get("status", "not run")
        raise MissingInputError(
            f"stage {blocked[0].name} of {ctx.run.path} is {'out of date' if status == 'done' else status}",
            hint=f"run: forecast train --run-dir {ctx.run.path}",
        )
    return current


def run_pipeline(
    ctx: Context,
    force: bool = False,
    listener: Listener | None = None,
    rerun_from: str | None = None,
    must_be_current: frozenset[str] = frozenset(),
    until: str | None = None,
    stages: tuple[Stage, ...] = STAGES,
) -> dict[str, Any]:
    """Run every stage that is not current; return the final manifest.

    force reruns every stage; rerun_from reruns that stage and all after it. A stage
    named in must_be_current is never run: if it is not current, the run stops with
    an error instead (so `forecast evaluate` can never silently retrain). until stops
    after that stage, leaving the run "prepared" (a global model's members wait there
    for the global model: forecast/commands/universe/global_model.py). `stages` is the
    pipeline's STAGES; tests give it fakes.
    """
    require_one_series(ctx.config, "a run")
    tracking.require(ctx.config)  # before any training, not after it
    # One command at a time per run directory: a second one exits 75 instead of interleaving writes.
    with exclusive(ctx.run.file(rundir.LOCK), f"a command on run {ctx.run.path}"):
        return _run_locked(ctx, stages, force, listener, rerun_from, must_be_current, until)


def _prepared(run: RunDir, manifest: dict[str, Any]) -> dict[str, Any]:
    manifest.update(status="prepared", updated=utc_now())
    run.save_manifest(manifest)
    return manifest


def _run_locked(
    ctx: Context,
    stages: tuple[Stage, ...],
    force: bool,
    listener: Listener | None,
    rerun_from: str | None,
    must_be_current: frozenset[str],
    until: str | None = None,
) -> dict[str, Any]:
    names = [stage.name for stage in stages]
    if rerun_from is not None and rerun_from not in names:
        raise ValueError(f"unknown stage {rerun_from!r}")
    if until is not None and until not in names:
        raise ValueError(f"unknown stage {until!r}")
    first_forced = 0 if force else (names.index(rerun_from) if rerun_from else len(names))
    run, config = ctx.run, ctx.config
    manifest = run.manifest()
    records: dict[str, Any] = manifest.setdefault("stages", {})

    current = plan(ctx, stages, first_forced, records, must_be_current)

    notify = listener or (lambda *_: None)
    run.write_text(rundir.CONFIG, dump_config(config))
    manifest.update(
        name=run.path.name,
        created=manifest.get("created", utc_now()),
        updated=utc_now(),
        status="running",
        seed=config.train.seed,
        **environment(),
    )
    # Every save of the manifest is inside the try, not only the stages: a signal landing in one
    # (its fsync can take a while) or between two stages is recorded by stop(), never leaving the
    # run or a stage "running" (seen: a compare candidate stopped between its first stages).
    record: dict[str, Any] | None = None
    try:
        run.save_manifest(manifest)
        for stage, is_fresh in zip(stages, current, strict=True):
            raise_if_stopped()  # a signal that library code swallowed in the last stage stops the run here
            if is_fresh:
                notify(stage.name, "skipped", records.get(stage.name))
                if stage.name == until:
                    return _prepared(run, manifest)
                continue
            inputs = _hashes(run, stage.inputs)
            clock = time.perf_counter()
            record = records[stage.name] = {"status": "running", "started": utc_now()}
            run.save_manifest(manifest)
            notify(stage.name, "running", record)
            info = stage.run(ctx)
            record.update(
                status="done",
                ended=utc_now(),
                seconds=round(time.perf_counter() - clock, 3),
                config=section_hash(config, stage.sections),
                inputs=inputs,
                outputs=_hashes(run, stage.outputs),
                info=info,
            )
            if stage.name == "snapshot":
                manifest["data_fingerprint"] = record["outputs"][rundir.SERIES]
            run.save_manifest(manifest)
            notify(stage.name, "done", record)
            if stage.name == until:
                return _prepared(run, manifest)
        complete(run, manifest)
    except BaseException as exc:
        stopping = record if record is not None and record["status"] == "running" else None
        if stopping is not None:  # the stage it stopped
            ended = stopped(exc)
            stopping.update(
                status=ended["status"],
                error=ended["error"],
                ended=ended["updated"],
                seconds=round(time.perf_counter() - clock, 3),
            )
        stop(run, manifest, exc)
        if stopping is not None:
            notify(stage.name, stopping["status"], stopping)
        raise
    finish(run, config)
    return run.manifest()
