"""A run directory: its artifact names, atomic save/load, and manifest.json.

    runs/<name>-<UTC timestamp>/   (a training run's name: lstm-MSFT; config/universe.py's run_name)
      config.yaml      the resolved config (defaults filled in)
      manifest.json    per stage: status, times, input/output sha256; versions; seed
      series.parquet   snapshot of the series used        (snapshot)
      encoding.json    target transform, window normalisation, MinMax fitted on the training part (encode)
      split.npz        model values and the train/validation/test window positions (split)
      model.keras      the trained model, Keras' own format (train)
      train_checkpoint.npz  while train runs: its state after each epoch, to resume from
      history.csv      loss per epoch                       (train)
      predictions.csv  date, step, actual, predicted, naive (evaluate)
      metrics.json     RMSE, MAE, MAPE of model and naive   (evaluate)
      forecast.png, residuals.png, loss.png                 (plot)
      report.html      everything above on one page, figures embedded (forecast report)
      tensorboard/     event files, with train.tensorboard: true (train)

Everything a later command needs is here: the encoding's parameters are JSON, never pickle.
Typed load and save per file: artifacts.py; checks before a model is loaded: verify.py.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from forecast import atomic
from forecast.errors import DataError, ForecastError, MissingInputError, held_signals, was_interrupted

ENV_VAR = "FORECAST_RUNS_DIR"
log = logging.getLogger(__name__)
# <name>-<UTC timestamp>[-<n>], as RunDir.create names folders.
STAMPED = re.compile(r"^(?P<name>.+)-(?P<stamp>\d{8}T\d{6}Z(?:-\d+)?)$")

CONFIG = "config.yaml"
MANIFEST = "manifest.json"
LOCK = ".lock"  # held while a command writes the run (forecast/lock.py)
SERIES = "series.parquet"
ENCODING = "encoding.json"
SPLIT = "split.npz"
COMPETITORS = "competitors.npz"  # the statistical competitors' test forecasts
MODEL = "model.keras"
# The train stage's state after each epoch, while it runs: a stopped run resumes from it
# (network/checkpoint.py). Not a stage output: deleted once model.keras is written.
CHECKPOINT = "train_checkpoint.npz"
HISTORY = "history.csv"
PREDICTIONS = "predictions.csv"
# The network's forecasts of predict.horizon steps from each validation row: predict's bands
# come from these instead of recomputing them (most of its time, issue 19).
VALIDATION = "validation.npz"
METRICS = "metrics.json"
FORECAST_PNG = "forecast.png"
LOSS_PNG = "loss.png"
RESIDUALS_PNG = "residuals.png"
# Views of a run, rewritten at will: not stage outputs, so not in the manifest's hashes.
REPORT = "report.html"
TENSORBOARD = "tensorboard"
# forecast backtest
BACKTEST = "backtest.json"
BACKTEST_PREDICTIONS = "backtest_predictions.csv"
BACKTEST_PNG = "backtest.png"
# forecast compare
COMPARISON = "comparison.json"
COMPARISON_CSV = "comparison.csv"
COMPARISON_PNG = "comparison.png"
COMPARISON_PREDICTIONS = "comparison_predictions.csv"
# forecast tune
STUDY_DB = "study.db"  # the Optuna study: every trial, so a stopped tune resumes
TRIALS_CSV = "trials.csv"  # the leaderboard
TUNE = "tune.json"
BEST_CONFIG = "best.yaml"  # the best trial's config, ready for train and retrain
TUNE_HISTORY_PNG = "tune_history.png"
TUNE_IMPORTANCE_PNG = "tune_importance.png"
# a global model's own run (commands/universe/global_model.py)
UNIVERSE = "universe.json"
# forecast retrain: everything logged while the challenger trained and was judged
RETRAIN_LOG = "retrain.log"
# forecast predict
FORECAST_CSV = "forecast.csv"
FORECAST_JSON = "forecast.json"
FORECAST_FUTURE_PNG = "forecast_future.png"

# Renamed in 0.2, read for one release: a run written before keeps its files and its
# manifest as they are; reads fall back to the old file names (RunDir.existing), and the
# manifest is read with the new stage and file names (RunDir.manifest).
LEGACY_FILES = {ENCODING: "scaler.json", SPLIT: "windows.npz"}
LEGACY_STAGES = {"scale": "encode", "window": "split"}


def runs_root(explicit: Path | None = None) -> Path:
    return Path(explicit or os.environ.get(ENV_VAR) or "runs")


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class UtcFormatter(logging.Formatter):
    """Log lines stamped in UTC with an explicit zone (2026-11-29T03:05:01.123+00:00),
    whatever TZ the environment sets: a cron job's logs compare with the manifests'."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds")


def stopped(exc: BaseException) -> dict[str, str]:
    """How a run or stage ended when `exc` stopped it: status and a one-line error."""
    status = "interrupted" if was_interrupted(exc) else "failed"
    message = exc.message if isinstance(exc, ForecastError) else f"{type(exc).__name__}: {exc}"
    return {"status": status, "error": message, "updated": utc_now()}


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, root: Path, name: str, config: str | None = None) -> RunDir:
        """A new folder <root>/<name>-<UTC time>; with `config` (the run's config.yaml text) written
        into it before it is returned, Ctrl-C and SIGTERM held meanwhile: a command stopped as it
        starts never leaves a run folder without the config a resume reads."""
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        root.mkdir(parents=True, exist_ok=True)
        with held_signals():
            for attempt in range(1, 100):
                path = root / (f"{name}-{stamp}" if attempt == 1 else f"{name}-{stamp}-{attempt}")
                try:
                    path.mkdir()  # exclusive: two runs started in the same second get different folders
                except FileExistsError:
                    continue
                run = cls(path)
                if config is not None:
                    run.write_text(CONFIG, config)
                return run
        raise DataError(f"could not create a run directory under {root}")

    @classmethod
    def open(cls, path: Path) -> RunDir:
        if not (path / CONFIG).is_file():
            raise MissingInputError(f"{path} is not a run directory (no {CONFIG})", hint="see: forecast runs list")
        return cls(path)

    @classmethod
    def given(cls, name: str, root: Path, marker: str = CONFIG) -> RunDir | None:
        """The run `name` names exactly: a path, or a folder name under the runs root. A run is
        a folder holding `marker`: config.yaml for runs that train, manifest.json for any run.
        What a bare config name means (lstm) is commands/resolve.py's."""
        for candidate in (Path(name), root / name):
            if (candidate / marker).is_file():
                return cls(candidate)
        return None

    @classmethod
    def newest(cls, name: str, root: Path, marker: str = CONFIG) -> RunDir | None:
        """The newest run folder under root named <name>-<timestamp> (lstm-MSFT) or made by the
        config called `name` (lstm: lstm-MSFT-<timestamp>, lstm-CO2-<timestamp>, ...)."""
        found = cls.all_named(name, root, marker)
        return found[0] if found else None

    @classmethod
    def all_named(cls, name: str, root: Path, marker: str = CONFIG) -> list[RunDir]:
        """Every run folder under root named <name>-<timestamp> or made by the config `name`, newest first."""
        if not STAMPED.match(f"{name}-20000101T000000Z") or "/" in name or name != Path(name).name:
            return []  # a path, not a run name
        found = [
            path
            for path in (root.glob(f"{glob.escape(name)}-*") if root.is_dir() else [])
            if named(path, name) and (path / marker).is_file()
        ]
        return [cls(path) for path in sorted(found, key=_stamp_order, reverse=True)]

    def file(self, name: str) -> Path:
        """Where `name` is written."""
        return self.path / name

    def existing(self, name: str) -> Path:
        """Where `name` is read: the file, or its old name in a run written before 0.2."""
        path = self.file(name)
        if not path.exists() and name in LEGACY_FILES and (old := self.path / LEGACY_FILES[name]).exists():
            return old
        return path

    def exists(self, name: str) -> bool:
        return self.existing(name).is_file()

    def sha256(self, name: str) -> str | None:
        path = self.existing(name)
        if not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def write_json(self, name: str, payload: Any) -> None:
        atomic.write_text(self.file(name), json.dumps(payload, indent=2, sort_keys=False) + "\n")

    def read_json(self, name: str) -> Any:
        path = self.existing(name)
        if not path.is_file():
            raise MissingInputError(
                f"{path} not found", hint=f"rerun the stage that writes it: forecast train --run-dir {self.path}"
            )
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DataError(
                f"{path} is not valid JSON ({exc})", hint=f"rerun: forecast train --run-dir {self.path} --force"
            ) from exc

    def write_text(self, name: str, text: str) -> None:
        atomic.write_text(self.file(name), text)

    def manifest(self) -> dict[str, Any]:
        if not self.exists(MANIFEST):
            return {}
        try:
            return _renamed(self.read_json(MANIFEST))
        except DataError:
            return {}  # an unreadable manifest trusts nothing: every stage reruns

    def save_manifest(self, manifest: dict[str, Any]) -> None:
        self.write_json(MANIFEST, manifest)

    def kind(self, manifest: dict[str, Any] | None = None) -> str:
        """What made the run: train, retrain (a challenger, whatever was decided), compare, backtest,
        tune, predict, global. A train run's manifest names no kind; a retrain writes retrain.log."""
        manifest = self.manifest() if manifest is None else manifest
        if "kind" in manifest:
            return str(manifest["kind"])
        return "retrain" if (self.path / RETRAIN_LOG).is_file() else "train"


def _renamed(manifest: Any) -> Any:
    """A manifest with the stage and file names of 0.2 (LEGACY_STAGES, LEGACY_FILES)."""
    stages = manifest.get("stages") if isinstance(manifest, dict) else None
    if not isinstance(stages, dict):
        return manifest
    old_files = {old: new for new, old in LEGACY_FILES.items()}
    renamed = {}
    for name, record in stages.items():
        if isinstance(record, dict):
            for key in ("inputs", "outputs"):
                if isinstance(record.get(key), dict):
                    record[key] = {old_files.get(file, file): sha for file, sha in record[key].items()}
        renamed[LEGACY_STAGES.get(name, name)] = record
    manifest["stages"] = renamed
    return manifest


def named(path: Path, name: str) -> bool:
    """Whether the run folder `path` is <name>-<timestamp>, or was made by the config called
    `name` (<name>-<series>-<timestamp>, as its config.yaml says)."""
    match = STAMPED.match(path.name)
    if not match or not (match["name"] == name or match["name"].startswith(f"{name}-")):
        return False
    return match["name"] == name or _config_name(path) == name


def _config_name(path: Path) -> str | None:
    import yaml  # only here: the name a run's config gave it

    try:
        config = yaml.safe_load((path / CONFIG).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return config.get("name") if isinstance(config, dict) else None


def _stamp_order(path: Path) -> tuple[str, int]:
    """Creation order of stamped folders: the timestamp, then the -2, -3 ... suffix."""
    stamp = STAMPED.match(path.name)["stamp"]  # type: ignore[index]
    base, _, n = stamp.partition("-")
    return base, int(n or 1)
