"""The README's "From Python" session, run as it is written (doctest)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def session() -> str:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- python-session:start -->\n```pycon\n(.*?)```\n<!-- python-session:end -->", text, re.S)
    assert block, "README.md has no python-session block"
    return block.group(1)


@pytest.mark.slow  # trains a real model on 828 months
def test_the_readme_python_session_runs_as_written(monkeypatch) -> None:
    # As a new user runs it: the default roots, ./runs and ./data, in a fresh folder (the test's own).
    monkeypatch.delenv("FORECAST_RUNS_DIR")
    monkeypatch.delenv("FORECAST_DATA_DIR")
    test = doctest.DocTestParser().get_doctest(session(), {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
