"""Every verdict a command prints or a page shows was made by scoring/verdict.py.

The verdict module sends each sentence and short form through one function (`said`); here it
is listened to while train, evaluate, predict, compare, backtest, score and retrain run, and
every line of their output (and of their report pages) that says who beats whom must hold one
of the sentences it made."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from forecast.scoring import verdict as verdicts

VERDICT_WORDS = re.compile(r"\b(beats?|better|worse)\b", re.IGNORECASE)
CONFIG = """\
name: {name}
data: {{source: synthetic, points: 260, seed: 4, target: value}}
prep: {{lookback: 5, test_fraction: 0.25}}
model: {{kind: {kind}, units: [3], dense: []}}
train: {{epochs: 2, patience: 0}}
evaluate: {{competitors: [auto_ets], combine: true, backtest: {{folds: 2}}}}
plot: {{enabled: false}}  # the words are tested, not the figures (the pages are written all the same)
"""


def verdict_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if VERDICT_WORDS.search(line)]


def page_lines(path: Path) -> list[str]:
    text = html.unescape(re.sub(r"<[^>]+>", "\n", path.read_text(encoding="utf-8")))
    return verdict_lines(re.sub(r"<style.*?</style>", "", text, flags=re.S))


def test_every_verdict_said_was_made_by_the_verdict_module(invoke, tmp_path: Path, monkeypatch) -> None:
    made: set[str] = set()

    def listened(text: str) -> str:
        made.add(text)
        return text

    monkeypatch.setattr(verdicts, "said", listened)
    for kind in ("lstm", "gru"):
        (tmp_path / f"{kind}.yaml").write_text(CONFIG.format(name=kind, kind=kind))
    said: list[tuple[str, str]] = []  # (where, line)

    def run(*args: str) -> dict | None:
        result = invoke(*args)
        assert result.exit_code in (0, 3), result.output
        shown = result.stderr if "--json" in args else result.stdout + "\n" + result.stderr  # JSON: the words are data
        said.extend((" ".join(args[:2]), line) for line in verdict_lines(shown))
        return json.loads(result.stdout) if "--json" in args else None

    lstm = run("train", "--config", "lstm.yaml", "--json")["run"]
    gru = run("train", "--config", "gru.yaml", "--json")["run"]
    run("train", "--config", "lstm.yaml")
    run("evaluate", lstm, "--set", "evaluate.combine=false")
    predicted = run("predict", lstm, "--as-of", "2000-08-01", "-n", "3", "--json")["predict_run"]
    run("predict", lstm, "--as-of", "2000-08-01", "-n", "3")
    compared = run("compare", lstm, gru, "--json")["run"]
    run("compare", lstm, gru)
    backtested = run("backtest", "--config", "gru.yaml", "--json")["run"]
    run("backtest", "--config", "gru.yaml")
    run("score", "lstm", "--include-as-of")
    run("retrain", "--config", "lstm.yaml")
    for page in (lstm, predicted, compared, backtested):
        said.extend(("report", line) for line in page_lines(Path(page) / "report.html"))

    kinds = {words for words in made if len(words) > 3}
    assert any("the lstm" in w for w in kinds) and any("the combination" in w for w in kinds)  # it did listen
    assert len(said) > 15
    unmade = [(where, line) for where, line in said if not any(words in line for words in kinds)]
    assert unmade == [], "\n".join(f"{where}: {line}" for where, line in unmade)


@pytest.mark.parametrize("name", ["beats", "no better than", "WORSE than"])
def test_the_listener_would_catch_a_verdict_written_by_hand(name: str) -> None:
    made = {verdicts.judge("lstm", 1.0, "naive", 1.0, 0.5).words}
    line = f"the lstm {name} naive"
    assert VERDICT_WORDS.search(line) and not any(words in line for words in made)
