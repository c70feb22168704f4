"""Before a run's model is loaded: every file it uses must be the one its manifest
recorded (sha256), and the model must be Keras' own .keras archive. A tampered, swapped
or foreign file is refused and nothing is loaded.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from forecast.errors import DataError, MissingInputError
from forecast.rundir import ENCODING, MODEL, SERIES, SPLIT, RunDir

# Which stage wrote each file predict reads: its sha256 is in that stage's record.
VERIFIED = {SERIES: "snapshot", ENCODING: "encode", SPLIT: "split", MODEL: "train"}
# What a Keras 3 .keras file is: a zip archive with these members.
KERAS_MEMBERS = {"metadata.json", "config.json"}


def require_complete(run: RunDir, manifest: dict[str, Any] | None = None, after: str = "") -> dict[str, Any]:
    """The manifest of a run that finished; for any other (interrupted, killed while
    running, failed, never started) one error with one exit code (66) in every command."""
    manifest = run.manifest() if manifest is None else manifest
    status = manifest.get("status", "not started")
    if status != "complete":
        raise MissingInputError(
            f"run {run.path} is {status}, not complete{after}", hint=f"finish it: forecast train --run-dir {run.path}"
        )
    return manifest


def verify_run(run: RunDir) -> dict[str, Any]:
    """The manifest of a complete run whose files are exactly those its stages recorded (sha256),
    every one of them: the model, its encoding and split, and the scores, bands and figures a
    forecast, a promotion or a holdout relies on. The model must be Keras' own .keras archive."""
    manifest = require_complete(run)
    stages = manifest.get("stages", {})
    for name, stage in VERIFIED.items():
        path = run.existing(name)
        if name == MODEL:
            check_keras_file(path)
        expected = stages.get(stage, {}).get("outputs", {}).get(name)
        actual = run.sha256(name)
        if actual is None:
            raise MissingInputError(f"{path} is missing", hint=f"retrain: forecast train --run-dir {run.path} --force")
        if expected != actual:
            raise _changed(path, f"retrain: forecast train --run-dir {run.path} --force")
    for record in stages.values():
        for name, expected in ((record or {}).get("outputs") or {}).items():
            if expected and name not in VERIFIED and run.exists(name) and run.sha256(name) != expected:
                raise _changed(run.existing(name), again(run, manifest, name))
    return manifest


def recorded(manifest: dict[str, Any], name: str) -> str | None:
    """The sha256 a stage recorded for the run file `name` when it wrote it; None when no stage did."""
    return next((digest for _, digest in _writers(manifest, name)), None)


def _writers(manifest: dict[str, Any], name: str) -> list[tuple[str, str]]:
    stages = manifest.get("stages", {})
    return [
        (stage, record["outputs"][name])
        for stage, record in stages.items()
        if isinstance(record, dict) and (record.get("outputs") or {}).get(name)
    ]


def again(run: RunDir, manifest: dict[str, Any], name: str) -> str:
    """How to make a changed run file again: its stage reruns, and what follows it (the runner
    sees the file is not the one it recorded); the scores alone need no retraining."""
    stage = next((stage for stage, _ in _writers(manifest, name)), None)
    if stage in ("competitors", "evaluate", "plot"):
        return f"score the run again: forecast evaluate {run.path}"
    return f"make it again: forecast train --run-dir {run.path}"


def verified(run: RunDir, name: str) -> Path:
    """Where the run file `name` is read, once it is checked to be the one its stage wrote: a
    tampered, corrupted or replaced file is refused (exit 65) naming it. A file no stage
    recorded (an older run's, a compare's or a tune's own) is read as it is."""
    path, manifest = run.existing(name), run.manifest()
    expected = recorded(manifest, name)
    if expected is not None and path.is_file() and run.sha256(name) != expected:
        raise _changed(path, again(run, manifest, name))
    return path


def verified_if_recorded(run: RunDir, manifest: dict[str, Any], name: str, stage: str) -> bool:
    """Whether a file that only newer runs have is there and is the one `stage` recorded:
    False when the stage never wrote it (an older run), DataError when it changed since."""
    expected = manifest.get("stages", {}).get(stage, {}).get("outputs", {}).get(name)
    if expected is None:
        return False
    if run.sha256(name) != expected:
        raise _changed(run.file(name), f"re-evaluate: forecast evaluate {run.path}")
    return True


class Tampered(DataError):
    """A run file that is not the one its stage wrote: never read, whatever else tolerates a file
    it cannot use (a report of an older run, a listing)."""


def _changed(path: Path, hint: str) -> DataError:
    return Tampered(
        f"{path} does not match the sha256 recorded when it was written (tampered, corrupted or replaced); "
        f"refusing to load it",
        hint=hint,
    )


def check_keras_file(path: Path) -> None:
    """Only Keras' own .keras format (a zip of config and weights) is ever loaded."""
    others = sorted(p.name for p in path.parent.glob("model*") if p.suffix in (".h5", ".hdf5", ".pkl", ".pb"))
    if not path.is_file():
        found = f" (found {', '.join(others)}: not accepted)" if others else ""
        raise MissingInputError(
            f"{path} not found{found}; only Keras' .keras format is loaded",
            hint=f"retrain: forecast train --run-dir {path.parent} --force",
        )
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        raise DataError(f"{path} is not a .keras file (not a zip archive); refusing to load it")
    with zipfile.ZipFile(path) as archive:
        missing = KERAS_MEMBERS - set(archive.namelist())
    if missing:
        raise DataError(f"{path} is not a Keras .keras file (no {', '.join(sorted(missing))}); refusing to load it")
