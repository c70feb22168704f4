"""`forecast config show`: the resolved config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecast.cli.options import ConfigPath, JsonFlag, Overrides, echo_json
from forecast.errors import UsageError


def config_show(
    config: Annotated[Path | None, typer.Argument(help="YAML config file (or --config, as in train).")] = None,
    config_option: ConfigPath = None,
    overrides: Overrides = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the resolved config: defaults filled in, --set applied, validated."""
    from forecast.config import dump_config, load_config

    if (config is None) == (config_option is None):  # the same --config as every other command, or positional
        raise UsageError(
            "config show takes one config: forecast config show CONFIG, or --config CONFIG",
            hint="e.g. forecast config show --config configs/lstm.yaml",
        )
    resolved = load_config(config or config_option, overrides)  # type: ignore[arg-type]
    if as_json:
        echo_json(resolved.model_dump(mode="json"))
    else:
        typer.echo(dump_config(resolved), nl=False)
