"""Every help text renders what its source says: rich markup must not eat [brackets]."""

from __future__ import annotations

import re

import click
import typer

from forecast.cli import app


def commands(group: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, group)]
    for name, sub in getattr(group, "commands", {}).items():
        found += commands(sub, (*path, name))
    return found


def flat(text: str) -> str:
    """Rendered help without the box drawing and the wrapping."""
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", text))


def test_every_bracketed_phrase_in_a_help_text_is_shown(invoke) -> None:
    checked = 0
    for path, command in commands(typer.main.get_command(app)):
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        wanted = {m.replace("\\[", "[") for t in texts for m in re.findall(r"\S*\\?\[[^\]\s]+\]\S*", t)}
        if not wanted:
            continue
        shown = flat(invoke(*path, "--help").stdout)
        for phrase in wanted:
            assert flat(phrase) in shown, (path, phrase)
            checked += 1
    assert checked >= 2  # --mlflow and --executor name their extras, forecast[mlflow] and forecast[ray]


def test_the_extras_are_named_in_full(invoke) -> None:
    shown = flat(invoke("train", "--help").stdout)
    assert "pip install 'forecast[ray]'" in shown and "needs 'forecast[mlflow]'" in shown
    assert "'forecast')" not in shown
