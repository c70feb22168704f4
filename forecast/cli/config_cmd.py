"""`forecast config show`: the resolved config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecast.cli.options import JsonFlag, Overrides, echo_json


def config_show(
    config: Annotated[Path, typer.Argument(help="YAML config file.")],
    overrides: Overrides = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the resolved config: defaults filled in, --set applied, validated."""
    from forecast.config import dump_config, load_config

    resolved = load_config(config, overrides)
    if as_json:
        echo_json(resolved.model_dump(mode="json"))
    else:
        typer.echo(dump_config(resolved), nl=False)
