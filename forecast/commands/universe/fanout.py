"""train and retrain of a universe: one job per symbol, then one row per symbol.

A failed symbol never stops the others: its row says failed, why, and the exit code
the same failure would have had for a single config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecast.commands.universe.executors import Done, run_jobs
from forecast.commands.universe.global_model import train_global
from forecast.commands.universe.jobs import payload
from forecast.config import Config
from forecast.config.universe import member_configs
from forecast.errors import UsageError

log = logging.getLogger("forecast")


@dataclass(frozen=True)
class Universe:
    """What a universe's train or retrain did: one row per symbol, in the config's order."""

    name: str
    scope: str  # symbol (one model per symbol) or global (one model over every symbol)
    rows: list[dict[str, Any]]
    index: Path | None = None  # the global model's own run

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] == "failed"]


def train_universe(
    config: Config,
    roots: dict[str, Path],
    executor: str,
    workers: int | None,
    address: str | None,
    on_done: Done | None = None,
) -> Universe:
    members = member_configs(config)
    if config.model.scope == "global":
        log.info("universe  %s: %d symbols, one global %s", config.name, len(members), config.model.kind)
        if executor != "local" or workers not in (None, 1):
            log.info("a global model trains once, in this process: --executor/--workers do not apply")
        index, rows = train_global(config, members, roots["runs"], roots["data"], on_done=on_done)
        log.info("run       %s", index.path)
        return _warned(Universe(config.name, "global", rows, index.path))
    log.info("universe  %s: %d symbols, executor %s", config.name, len(members), executor)
    rows = run_jobs([payload("train", m, roots) for m in members], executor, workers, address, on_done)  # type: ignore[arg-type]
    return _warned(Universe(config.name, "symbol", rows))


def _warned(universe: Universe) -> Universe:
    """Said by the command, so a Python caller hears it as the CLI does: the members whose model did
    not beat naive on its test part, grouped by their verdict's short form (scoring/verdict.py)."""
    from forecast.scoring.verdict import Verdict, members_advice

    grouped: dict[str, tuple[Verdict, list[str]]] = {}
    for row in universe.rows:
        if row["status"] == "done" and row.get("verdict"):
            verdict = Verdict.model_validate(row["verdict"])
            grouped.setdefault(verdict.short, (verdict, []))[1].append(row["symbol"])
    for verdict, symbols in grouped.values():
        if (said := members_advice(verdict, symbols)) is not None:
            log.warning("%s", said)
    return universe


def retrain_universe(
    config: Config, roots: dict[str, Path], force: bool, executor: str, workers: int | None, address: str | None
) -> Universe:
    if config.model.scope == "global":
        raise UsageError(
            f"retrain of a global model ({config.name}) is not supported",
            hint="retrain per symbol with --set model.scope=symbol, or retrain with forecast train on a schedule",
        )
    members = member_configs(config)
    rows = run_jobs([payload("retrain", m, roots, force=force) for m in members], executor, workers, address)  # type: ignore[arg-type]
    return Universe(config.name, "symbol", rows)
