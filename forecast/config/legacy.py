"""Names renamed in 0.2, still read for one release (until 0.3).

One word per concept across YAML, code, output and files: a series is named by its
`symbol`; the steps a network outputs at once are `prep.output_steps` (`predict.horizon`
is how far a forecast reaches); `prep.calendar_features` are inputs (`predict.calendar`
dates the future); a model per symbol is `model.scope: symbol`, one model over all of
them `global`; one MinMax scaler over the series is `prep.normalize: series`.

A config written with the old names (by a user, or by an older version in a run's
config.yaml) is read with the new ones, and a user's own file gets one deprecation line
per old name. Runs written before the rename recorded config hashes over the old names;
`legacy_payloads` gives the runner those old spellings, so a rename alone never makes a
finished run out of date (forecast/pipeline/runner.py).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from forecast.errors import ConfigError

log = logging.getLogger(__name__)
UNTIL = "0.3"  # the first release that no longer reads the old names

# (section, old key) -> new key
KEYS: dict[tuple[str, str], str] = {
    ("data", "ticker"): "symbol",
    ("data", "tickers"): "symbols",
    ("data", "tickers_file"): "symbols_file",
    ("prep", "horizon"): "output_steps",
    ("prep", "calendar"): "calendar_features",
}
# (section, key) -> {old value: new value}
VALUES: dict[tuple[str, str], dict[str, str]] = {
    ("model", "scope"): {"ticker": "symbol"},
    ("prep", "normalize"): {"global": "series"},
}


def upgrade(raw: dict[str, Any], where: str, warn: bool = True) -> dict[str, Any]:
    """Rename old keys and values of a raw config mapping in place (and return it).

    Setting a key under both its old and its new name is an error: which one wins would
    be a guess. warn=False for files the tool wrote itself (a run's config.yaml).
    """
    for (section, old), new in KEYS.items():
        node = raw.get(section)
        if not isinstance(node, dict) or old not in node:
            continue
        if new in node:
            raise ConfigError(
                f"{where}: {section}.{old} and {section}.{new} are both set; {old} is the old name of {new}",
                hint=f"keep {section}.{new} only",
            )
        node[new] = node.pop(old)
        _note(warn, f"{where}: {section}.{old} is now called {section}.{new}")
    for (section, key), renames in VALUES.items():
        node = raw.get(section)
        value = node.get(key) if isinstance(node, dict) else None
        if isinstance(value, str) and value in renames:
            node[key] = renames[value]  # type: ignore[index]
            _note(warn, f"{where}: {section}.{key}: {value} is now called {renames[value]}")
    return raw


def upgrade_key(path: list[str], where: str) -> list[str]:
    """A dotted --set path with an old key renamed (--set data.ticker=MSFT sets data.symbol)."""
    if len(path) >= 2 and (path[0], path[1]) in KEYS:
        new = KEYS[(path[0], path[1])]
        _note(True, f"{where}: {path[0]}.{path[1]} is now called {path[0]}.{new}")
        return [path[0], new, *path[2:]]
    return path


def _note(warn: bool, message: str) -> None:
    if warn:
        log.warning("%s (the old name is read until version %s)", message, UNTIL)


# --- the config hashes of runs written before the rename ------------------------------

_OLD_KEYS = {(section, new): old for (section, old), new in KEYS.items()}
_OLD_VALUES = {where: {new: old for old, new in renames.items()} for where, renames in VALUES.items()}


def legacy_payloads(payload: dict[str, Any], unnamed_symbol: bool) -> list[dict[str, Any]]:
    """The stage-hash payload ({"data": {...}, "prep.calendar_features": [...]}) as runs
    written before the rename spelled it. unnamed_symbol: the data source names its series
    itself (csv, synthetic), so an old config may have left the symbol unset (None), and
    both spellings are returned."""
    old: dict[str, Any] = {}
    for dotted, value in payload.items():
        section, _, field = dotted.partition(".")
        if field:
            old[f"{section}.{_OLD_KEYS.get((section, field), field)}"] = _old_value(section, field, value)
        elif isinstance(value, dict):
            old[section] = {
                _OLD_KEYS.get((section, key), key): _old_value(section, key, item) for key, item in value.items()
            }
        else:
            old[section] = value
    variants = [old]
    if unnamed_symbol and isinstance(old.get("data"), dict):
        unset = copy.deepcopy(old)
        unset["data"]["ticker"] = None
        variants.append(unset)
    return variants


def _old_value(section: str, key: str, value: Any) -> Any:
    return _OLD_VALUES.get((section, key), {}).get(value, value) if isinstance(value, str) else value


# Fields added after runs were written, at the value that leaves what a stage computes as it
# was: a stage's config hash leaves them out then, so an older run stays current.
ADDED_OFF: dict[str, Any] = {"prep.fourier_terms": 0, "prep.deseasonalize": "none", "train.ensemble": 1}


def without_added(payload: dict[str, Any]) -> dict[str, Any]:
    """The stage-hash payload without the added fields that are off (ADDED_OFF)."""
    out: dict[str, Any] = {}
    for name, value in payload.items():
        if name in ADDED_OFF and value == ADDED_OFF[name]:
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if ADDED_OFF.get(f"{name}.{k}", object()) != v}
        out[name] = value
    return out
