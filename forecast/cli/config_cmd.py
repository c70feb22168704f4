"""`forecast config show`: the resolved config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecast.cli.options import ConfigPath, JsonFlag, Overrides, echo_json, progress
from forecast.errors import UsageError


def config_show(
    config: Annotated[Path | None, typer.Argument(help="YAML config file (or --config, as in train).")] = None,
    config_option: ConfigPath = None,
    overrides: Overrides = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the resolved config: defaults filled in, --set applied, validated."""
    from forecast.config import dump_config, load_config
    from forecast.prepare.rhythm import left_to_rhythm

    if (config is None) == (config_option is None):  # the same --config as every other command, or positional
        raise UsageError(
            "config show takes one config: forecast config show CONFIG, or --config CONFIG",
            hint="e.g. forecast config show --config configs/lstm.yaml",
        )
    resolved = load_config(config or config_option, overrides)  # type: ignore[arg-type]
    if left := left_to_rhythm(resolved):  # shown at the schema's value; a daily, weekly, ... series changes them
        progress(
            f"note: {', '.join(left)} are left unset: a series of calendar days, weeks, months, quarters or years "
            "takes its rhythm's values for them when it is trained, and the run's config.yaml records them "
            "(README: Defaults by rhythm)"
        )
    if as_json:
        echo_json(resolved.model_dump(mode="json"))
    else:
        typer.echo(dump_config(resolved), nl=False)
