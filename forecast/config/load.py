"""Loading a config: YAML, --set overrides, validation errors as one line naming the field."""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from forecast.config import legacy
from forecast.config.data import DataConfig
from forecast.config.schema import Config
from forecast.config.tune import Range
from forecast.errors import ConfigError, MissingInputError, UsageError

# --- errors ------------------------------------------------------------------------


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the field at `loc` (for key suggestions)."""
    if loc[:2] == ("tune", "space") and len(loc) == 3:  # a searched key's {low, high, ...}
        return Range
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def describe_validation_error(
    error: ValidationError, model: type[BaseModel], prefix: str = "", names: dict[str, str] | None = None
) -> str:
    """One line naming the first bad field by its dotted path, with what is allowed.

    `names` switches to command-line wording: a field is named by its option
    (--interval) or by the argument it came from (SYMBOL).
    """
    errors = error.errors()
    # A misspelt key is what also makes its right spelling missing: name the misspelling.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    # A union's branch shows in loc as "function-after[_ordered(), Range]" or "list[any]": not a key.
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and "[" in p))
    if names is not None:
        field = str(loc[-1]) if loc else ""
        where = names.get(field, "--" + field.replace("_", "-")) if field else "options"
    else:
        where = ".".join(str(p) for p in (prefix, *loc) if p != "") or "config"
    kind, msg = first["type"], first["msg"]
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        known = sorted(owner.model_fields) if owner else []
        # A key of another section (lookback at the top, for prep.lookback) before a near spelling.
        close = _elsewhere(model, str(loc[-1])) or difflib.get_close_matches(str(loc[-1]), known, n=1)
        suggestion = f"; did you mean {close[0]!r}?" if close else ""
        return f"{where}: unknown key{suggestion} (allowed: {', '.join(known)})"
    if kind == "missing":
        return f"{where}: required but missing"
    msg = msg.removeprefix("Value error, ")
    if not loc and names is None:  # a check across sections names its own keys
        return msg
    msg = msg[:1].lower() + msg[1:]
    given = first.get("input")
    if loc and given is not None and not isinstance(given, dict) and repr(given) not in msg:
        msg = f"{msg} (got {given!r})"
    return f"{where}: {msg}"


def _elsewhere(model: type[BaseModel], name: str, prefix: str = "") -> list[str]:
    """Dotted paths of the fields called `name` in any section: for a key put at the wrong level."""
    found = []
    for field_name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            path = f"{prefix}{field_name}."
            found += [f"{path}{name}"] if name in annotation.model_fields else []
            found += _elsewhere(annotation, name, path)
    return found


def _blamed(error: ValidationError, overrides: list[str]) -> str | None:
    """The --set that put the first bad value there, if one did: the error is its, not the file's."""
    loc = [p for p in error.errors()[0]["loc"] if not (isinstance(p, str) and "[" in p)]
    for text in reversed(overrides):  # the last --set of a key is the one that holds
        path = _parse_override(text)[0]
        renamed = legacy.KEYS.get(tuple(path[:2]))  # --set data.ticker=... sets data.symbol
        for key in (path, [path[0], renamed, *path[2:]] if renamed else path):
            if loc[: len(key)] == key or key[: len(loc)] == loc:
                return f"--set {text}"
    return None


# --- loading -------------------------------------------------------------------------


def _parse_override(text: str) -> tuple[list[str], Any]:
    import yaml

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {text!r} is not of the form section.key=value", hint="e.g. --set prep.lookback=60")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw  # a plain string such as a path with a colon
    return key.strip().split("."), value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `a.b=c` overrides onto a raw mapping (values parsed as YAML scalars/lists)."""
    for text in overrides:
        path, value = _parse_override(text)
        path = legacy.upgrade_key(path, f"--set {text}")
        node = raw
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {text!r}: {part!r} is not a section")
            node = child
        node[path[-1]] = value
    return raw


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise MissingInputError(
            f"config file {path} not found", hint="pass an existing YAML file, e.g. configs/lstm.yaml"
        )
    try:
        # safe_load: YAML tags that would construct Python objects are refused.
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"config {path}{where}: {problem}", hint="fix the YAML syntax") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config {path} is not UTF-8 text") from exc
    if raw is None:
        raise ConfigError(f"config {path} is empty", hint="start from configs/lstm.yaml")
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path} must be a mapping of sections, got {type(raw).__name__}")
    return raw


def build_config(raw: dict[str, Any], source_name: str = "config", overrides: list[str] | None = None) -> Config:
    """overrides: the --set texts applied to raw, so that a bad value one of them gave is blamed on it."""
    try:
        return Config.model_validate(legacy.upgrade(raw, source_name))
    except ValidationError as exc:
        source = _blamed(exc, overrides or []) or source_name
        raise ConfigError(f"{source}: {describe_validation_error(exc, Config)}") from exc


def load_config(path: Path, overrides: list[str] | None = None, warn_renamed: bool = True) -> Config:
    """warn_renamed=False for a config the tool wrote (a run's config.yaml): its old names
    are read without a deprecation line (config/legacy.py)."""
    overrides = overrides or []
    return build_config(apply_overrides(read_config_file(path, warn_renamed), overrides), str(path), overrides)


def read_config_file(path: Path, warn_renamed: bool = True) -> dict[str, Any]:
    """A config file's mapping, unvalidated, with old names renamed (config/legacy.py): the
    name defaults to the file's stem, and paths in it are made relative to the file."""
    raw = legacy.upgrade(read_yaml_mapping(path), f"config {path}", warn_renamed)
    raw.setdefault("name", path.stem)
    data = raw.get("data")
    if isinstance(data, dict) and isinstance(data.get("path"), str) and not Path(data["path"]).is_absolute():
        # A path written in a config file is relative to that file, so a config works
        # from any working directory (cron). A path given with --set is relative to cwd.
        data["path"] = str((path.parent / data["path"]).resolve())
    symbols_file = data.get("symbols_file") if isinstance(data, dict) else None
    if isinstance(symbols_file, str) and not Path(symbols_file).is_absolute():
        data["symbols_file"] = str((path.parent / data["symbols_file"]).resolve())
    return raw


ConfigLike = Config | str | Path | dict[str, Any]


def raw_config(config: ConfigLike, overrides: list[str] | None = None) -> dict[str, Any]:
    """The unvalidated mapping of what a Python caller has at hand: a Config, a YAML path or a mapping."""
    if isinstance(config, Config):
        raw = config.model_dump(mode="json")
    elif isinstance(config, dict):
        raw = legacy.upgrade(copy.deepcopy(config), "config")
    else:
        raw = read_config_file(Path(config))
    return apply_overrides(raw, overrides or [])


def as_config(config: ConfigLike, overrides: list[str] | None = None) -> Config:
    """A Config from a Config, a YAML path or a mapping, with `section.key=value` overrides."""
    if isinstance(config, Config) and not overrides:
        return config
    where = str(config) if isinstance(config, (str, Path)) else "config"
    return build_config(raw_config(config, overrides), where, overrides)


def data_config_from_options(**options: Any) -> DataConfig:
    """Build the data section from CLI options; errors name the option (--interval ...)."""
    try:
        return DataConfig.model_validate({k: v for k, v in options.items() if v is not None})
    except ValidationError as exc:
        names = {"symbol": "SYMBOL", "path": "SYMBOL"}
        raise UsageError(describe_validation_error(exc, DataConfig, names=names)) from exc


def require_one_series(config: Config, what: str) -> None:
    """Stages, backtests and forecasts work on one series; a universe is fanned out first."""
    if config.data.universe:
        raise ConfigError(
            f"{what} works on one series, and config {config.name} names a universe (data.symbols)",
            hint="train or retrain the universe (one run per symbol), or set data.symbol for one symbol",
        )


def dump_config(config: Config) -> str:
    import yaml

    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
