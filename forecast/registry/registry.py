"""models/<name>/: which run is the champion, and the record of every retrain.

    models/<name>/
      champion.json    the serving run: path, data end, holdout metrics, earlier champions
      history.jsonl    one JSON line per retrain outcome or manual change, appended
      .lock            held while a retrain of this model runs (lock.py)

champion.json is replaced atomically: a reader (forecast predict --model) sees the old
champion or the new one, never half a file. history.jsonl is append-only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from forecast import atomic, rundir
from forecast.errors import DataError, MissingInputError, UsageError

ENV_VAR = "FORECAST_MODELS_DIR"
CHAMPION = "champion.json"
HISTORY = "history.jsonl"
LOCK = ".lock"
PREVIOUS_KEPT = 10  # earlier champions remembered for rollback


def models_root(explicit: Path | None = None) -> Path:
    return Path(explicit or os.environ.get(ENV_VAR) or "models")


class Registry:
    """One model's entry under the models root."""

    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self.path = root / name

    @classmethod
    def open(cls, root: Path, name: str) -> Registry:
        registry = cls(root, name)
        if not registry.path.is_dir():
            known = ", ".join(sorted(p.name for p in root.iterdir() if p.is_dir())) if root.is_dir() else ""
            raise MissingInputError(
                f"no model {name!r} under {root}" + (f" (there are: {known})" if known else ""),
                hint=f"create it: forecast retrain --config configs/{name}.yaml",
            )
        return registry

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK

    def champion(self) -> dict[str, Any] | None:
        path = self.path / CHAMPION
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DataError(
                f"{path} is not valid JSON ({exc})", hint=f"restore it: forecast models rollback {self.name}"
            ) from exc
        if not isinstance(record, dict) or "run" not in record:
            raise DataError(f"{path} names no run", hint=f"set one: forecast models promote {self.name} RUN")
        return record

    def set_champion(self, record: dict[str, Any]) -> None:
        """Make `record` the champion; the one it replaces heads the rollback list."""
        old = self.champion()
        previous = [] if old is None else [{k: v for k, v in old.items() if k != "previous"}, *old.get("previous", [])]
        self.path.mkdir(parents=True, exist_ok=True)
        atomic.write_text(
            self.path / CHAMPION, json.dumps({**record, "previous": previous[:PREVIOUS_KEPT]}, indent=2) + "\n"
        )

    def rollback(self) -> dict[str, Any]:
        """Restore the previous champion; returns it."""
        current = self.champion()
        if current is None or not current.get("previous"):
            raise UsageError(f"model {self.name} has no earlier champion to roll back to")
        restored, *rest = current["previous"]
        if not (Path(restored["run"]) / rundir.CONFIG).is_file():
            raise MissingInputError(
                f"the earlier champion's run {restored['run']} no longer exists",
                hint=f"promote another run: forecast models promote {self.name} RUN",
            )
        self.path.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.path / CHAMPION, json.dumps({**restored, "previous": rest}, indent=2) + "\n")
        return restored

    def history(self) -> list[dict[str, Any]]:
        path = self.path / HISTORY
        if not path.is_file():
            return []
        records = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue  # a line cut short by a crash: the rest of the record still counts
        return records

    def record(self, outcome: dict[str, Any]) -> None:
        """Append one outcome as a single line, flushed to disk."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / HISTORY, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(outcome, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def entries(root: Path) -> list[Registry]:
    if not root.is_dir():
        return []
    return [Registry(root, p.name) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]
