"""compare's candidates: what each name on the command line means (a run directory, a config
file, a model kind applied to a base config, or configs/<name>.yaml), and the checks that
they can be compared: the same data, split and test targets, refused naming what differs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecast import rundir
from forecast.config import MODEL_KINDS, Config, load_config
from forecast.errors import DataError, MissingInputError, UsageError
from forecast.rundir import RunDir
from forecast.rundir.artifacts import read_metrics
from forecast.rundir.verify import require_complete, verified

log = logging.getLogger(__name__)
KINDS = tuple(MODEL_KINDS)


@dataclass
class Candidate:
    label: str
    config: Config | None  # to train; None for an existing run
    run: RunDir | None  # an existing run, or where the config was trained


def resolve(names: list[str], base: Path | None, overrides: list[str], runs_root: Path) -> list[Candidate]:
    candidates: list[Candidate] = []
    for name in names:
        candidates.append(_resolve_one(name, base, overrides, runs_root))
    seen: dict[str, int] = {}
    for c in candidates:  # labels name folders and table rows: keep them unique
        seen[c.label] = seen.get(c.label, 0) + 1
        if seen[c.label] > 1:
            c.label = f"{c.label}-{seen[c.label]}"
    return candidates


def _resolve_one(name: str, base: Path | None, overrides: list[str], runs_root: Path) -> Candidate:
    path = Path(name)
    for run_path in (path, runs_root / name):
        if (run_path / rundir.CONFIG).is_file():
            if overrides:
                log.warning("--set does not apply to the existing run %s", run_path)
            return Candidate(run_path.name, None, RunDir(run_path))
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return Candidate(path.stem, load_config(path, overrides), None)
    if name in KINDS and base is not None:
        return Candidate(name, load_config(base, [*overrides, f"model.kind={name}"]), None)
    shipped = Path("configs") / f"{name}.yaml"
    if shipped.is_file():
        return Candidate(name, load_config(shipped, overrides), None)
    if name in KINDS:
        raise UsageError(
            f"no {shipped} here to compare as {name!r}", hint=f"pass --config BASE to apply model kind {name} to it"
        )
    raise MissingInputError(
        f"compare candidate {name!r} is neither a run directory, a config file, a model kind nor {shipped}",
        hint="see: forecast runs list, or ls configs/",
    )


def precheck(candidates: list[Candidate]) -> None:
    """Refuse before any training when configs cannot share data, target and test targets."""
    configs = [(c.label, c.config) for c in candidates if c.config is not None]
    if not configs:
        return
    first_label, first = configs[0]
    for label, config in configs[1:]:
        for what, mine, theirs in (
            ("data", config.data.model_dump(mode="json"), first.data.model_dump(mode="json")),
            ("prep.test_fraction", config.prep.test_fraction, first.prep.test_fraction),
            ("prep.output_steps", config.prep.output_steps, first.prep.output_steps),
        ):
            if mine != theirs:
                differs = _first_difference(mine, theirs) if isinstance(mine, dict) else f"{mine} vs {theirs}"
                raise UsageError(
                    f"cannot compare {label} with {first_label}: {what} differs ({differs})",
                    hint="compare models on the same data, test_fraction and output_steps",
                )


def _first_difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    key = next(k for k in a if a[k] != b.get(k))
    return f"{key}: {a[key]} vs {b.get(key)}"


def signature(run: RunDir) -> dict[str, Any]:
    """What must be identical across compared runs."""
    metrics = read_metrics(run)
    return {
        "data fingerprint": run.manifest().get("data_fingerprint"),
        "target": f"{metrics.symbol} {metrics.target}",
        "test period": f"{metrics.test.first}..{metrics.test.last}",
        "test windows": metrics.test.windows,
        "horizon": metrics.test.horizon,
    }


def check_comparable(candidates: list[Candidate]) -> dict[str, Any]:
    reference = candidates[0]
    expected = signature(reference.run)
    for c in candidates:
        require_complete(c.run)
        verified(c.run, rundir.PREDICTIONS)  # read once the comparison is made: refused before anything is
    for c in candidates[1:]:
        found = signature(c.run)
        for key, value in expected.items():
            if found[key] != value:
                raise DataError(
                    f"cannot compare {c.label} with {reference.label}: {key} differs ({found[key]} vs {value})",
                    hint="compare runs trained on the same data snapshot and split",
                )
    return expected
