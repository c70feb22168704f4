"""A universe config -> one ordinary config per symbol."""

from __future__ import annotations

import re
from pathlib import Path

from forecast.config import Config, build_config
from forecast.data.symbols import normalise_symbol
from forecast.errors import ConfigError, MissingInputError


def read_symbols(path: Path) -> list[str]:
    """Symbols from a file: one or more per line (commas or spaces between), # starts a comment."""
    if not path.is_file():
        raise MissingInputError(f"symbols file {path} not found", hint="point data.symbols_file at a file of symbols")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"symbols file {path} is not UTF-8 text") from exc
    symbols: list[str] = []
    for number, line in enumerate(lines, start=1):
        for raw in re.split(r"[\s,]+", line.split("#", 1)[0].strip()):
            if not raw:
                continue
            try:
                symbol = normalise_symbol(raw)
            except ValueError as exc:
                raise ConfigError(f"symbols file {path} line {number}: {exc}", hint="fix or remove that line") from exc
            if symbol in symbols:
                raise ConfigError(f"symbols file {path} line {number}: {symbol} is listed twice")
            symbols.append(symbol)
    if not symbols:
        raise ConfigError(f"symbols file {path} lists no symbols", hint="one symbol per line, e.g. MSFT")
    return symbols


def symbols(config: Config) -> list[str]:
    data = config.data
    if data.symbols is not None:
        return list(data.symbols)
    if data.symbols_file is not None:
        return read_symbols(data.symbols_file)
    return [data.symbol]


def member_name(name: str, symbol: str) -> str:
    """<name>-<symbol>, with the characters run names do not allow (^ =) made '_'."""
    return f"{name}-{re.sub(r'[^A-Za-z0-9_.-]', '_', symbol)}"[:64]


def run_name(config: Config) -> str:
    """A training run's folder name before its timestamp: the config's name and its series'
    (lstm-MSFT), so runs of one config on different series tell apart; just the name when it
    says the series already (a universe member lstm-MSFT, a config called unemployment)."""
    series = member_name("", config.data.symbol)[1:] if config.data.symbol else ""
    if not series or config.name.lower() == series.lower() or config.name.lower().endswith(f"-{series.lower()}"):
        return config.name
    return member_name(config.name, config.data.symbol)


def member_configs(config: Config) -> list[Config]:
    """One config per symbol; each is valid on its own (it is written to its run's config.yaml)."""
    members = []
    prefix = f"{config.name}-global" if config.model.scope == "global" else config.name
    for i, symbol in enumerate(symbols(config)):
        update = {"symbol": symbol, "symbols": None, "symbols_file": None}
        if config.data.source == "synthetic":  # distinct series, reproducible from the universe's seed
            update["seed"] = config.data.seed + i
        raw = config.model_dump(mode="json")
        raw["name"], raw["data"] = member_name(prefix, symbol), {**raw["data"], **update}
        members.append(build_config(raw, f"config {config.name} for {symbol}"))
    names = [m.name for m in members]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ConfigError(f"symbols of {config.name} give the same run name {clashes[0]}", hint="rename one symbol")
    return members
