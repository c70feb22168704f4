"""`forecast fetch` and `forecast data` through typer's CliRunner: output, exit codes,
one-line errors without tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from yfinance.exceptions import YFRateLimitError
from yfinance.utils import empty_df

from forecast.errors import EXIT_CODES

from ..conftest import snapshot_tree, yahoo_frame


def assert_one_line_error(result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    # Exactly one error line, and it is the last; warnings (retries) may precede it.
    assert [line for line in lines if not line.startswith("warning: ")] == lines[-1:], result.stderr
    assert lines[-1].startswith("error: ")
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[-1]


def test_fetch_sample_prints_summary_and_caches(invoke, tmp_path: Path) -> None:
    result = invoke("fetch", "MSFT", "--source", "sample")
    assert result.exit_code == 0, result.output
    assert re.search(r"MSFT\s+sample\s+3270 bars\s+2000-03-01 \.\. 2013-03-01\s+\(\+3270 new\)", result.stdout)
    assert (tmp_path / "data" / "sample" / "MSFT_1d.parquet").exists()


def test_fetch_twice_adds_nothing(invoke) -> None:
    invoke("fetch", "IBM", "--source", "sample")
    assert "(+0 new)" in invoke("fetch", "IBM", "--source", "sample").stdout


def test_fetch_json(invoke, tmp_path: Path) -> None:
    result = invoke("fetch", "AAPL", "GOOG", "--source", "sample", "--data-dir", str(tmp_path / "elsewhere"), "--json")
    payload = json.loads(result.stdout)
    assert [p["symbol"] for p in payload] == ["AAPL", "GOOG"]
    assert all(Path(p["path"]).is_relative_to(tmp_path / "elsewhere") for p in payload)


def test_fetch_yahoo_through_the_fake(invoke, fake_yahoo) -> None:
    fake_yahoo.responses = [yahoo_frame(days=4)]
    result = invoke("fetch", "msft", "--period", "1y")
    assert result.exit_code == 0, result.output
    assert "MSFT     yahoo          4 bars  2024-01-02 .. 2024-01-05" in result.stdout
    assert fake_yahoo.calls[0]["period"] == "1y"


@pytest.mark.parametrize(
    ("args", "code", "needles"),
    [
        (["fetch", "TSLA", "--source", "sample"], 66, ["TSLA", "AAPL, FB, GOOG, IBM, MSFT"]),
        (["fetch", "../etc", "--source", "sample"], 64, ["SYMBOL", "letters, digits"]),
        (["fetch", "MSFT", "--interval", "2d"], 64, ["--interval", "'2d'"]),
        (["fetch", "MSFT", "--source", "nasdaq"], 64, ["--source", "'nasdaq'"]),
        (["fetch", "MSFT", "--period", "1y", "--start", "2020-01-01"], 64, ["period or start/end"]),
        (["fetch", "MSFT", "--frobnicate"], 64, ["--frobnicate", "forecast fetch --help"]),
        (["fetch", "missing.csv", "--source", "csv"], 66, ["missing.csv"]),
        (["fetch", "prices.csv"], 64, ["looks like a CSV", "--source csv"]),
        (["data", "show", "IBM"], 66, ["IBM", "forecast fetch IBM"]),
        (["nonsense"], 64, ["nonsense"]),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(invoke, args, code, needles) -> None:
    assert_one_line_error(invoke(*args), code, *needles)


def test_yahoo_failures_map_to_exit_codes(invoke, fake_yahoo, tmp_path: Path) -> None:
    invoke("fetch", "MSFT")  # a cache to protect
    before = snapshot_tree(tmp_path / "data")
    fake_yahoo.responses = [YFRateLimitError()]
    assert_one_line_error(invoke("fetch", "MSFT"), 75, "rate-limited", "wait a few minutes")
    fake_yahoo.responses = [empty_df()]
    # No bars for a symbol the cache holds: an outage, not an unknown symbol.
    assert_one_line_error(invoke("fetch", "MSFT"), 75, "no bars", "the cache holds MSFT", "outage or rate limit")
    assert_one_line_error(invoke("fetch", "NOPE"), 66, "no bars", "delisted")
    assert snapshot_tree(tmp_path / "data") == before


def test_several_symbols_go_on_after_a_failure(invoke, tmp_path: Path) -> None:
    result = invoke("fetch", "NOPE", "IBM", "--source", "sample")
    assert result.exit_code == 66
    assert "error: NOPE: sample data has no symbol" in result.stderr
    assert (tmp_path / "data" / "sample" / "IBM_1d.parquet").exists()


def test_verbose_shows_the_traceback(invoke) -> None:
    result = invoke("--verbose", "fetch", "TSLA", "--source", "sample")
    assert result.exit_code == 66 and "Traceback" in result.stderr


def test_data_list_and_show(invoke) -> None:
    assert "cache" in invoke("data", "list").stdout and "is empty" in invoke("data", "list").stdout
    invoke("fetch", "MSFT", "--source", "sample")
    listing = invoke("data", "list")
    assert "MSFT" in listing.stdout and "3270" in listing.stdout and "2013-03-01" in listing.stdout
    shown = invoke("data", "show", "msft", "--rows", "2")
    assert "bokeh-sampledata" in shown.stdout and "2013-03-01" in shown.stdout and "90.81" in shown.stdout
    meta = json.loads(invoke("data", "show", "MSFT", "--json").stdout)
    assert meta[0]["rows"] == 3270 and meta[0]["frequency"] == "trading days"


def test_a_weekly_csv_is_cached_and_listed_as_weekly(invoke, tmp_path: Path) -> None:
    weeks = "".join(f"{d:%Y-%m-%d},{i}\n" for i, d in enumerate(pd.date_range("2000-01-07", periods=60, freq="W-FRI")))
    (tmp_path / "weekly.csv").write_text("date,value\n" + weeks)
    assert invoke("fetch", str(tmp_path / "weekly.csv"), "--source", "csv").exit_code == 0
    assert (tmp_path / "data" / "csv" / "WEEKLY_1wk.parquet").exists()
    listing = invoke("data", "list").stdout
    assert re.search(r"WEEKLY\s+.*csv\s+.*1wk\s+.*weeks\s+.*60", listing), listing
    assert json.loads(invoke("data", "show", "WEEKLY", "--json").stdout)[0]["frequency"] == "weeks"


def test_readme_exit_code_table_is_generated_from_the_error_classes() -> None:
    from forecast.cli.docs import EXIT_END, EXIT_START, exit_code_table

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert f"{EXIT_START}\n{exit_code_table()}{EXIT_END}" in readme, "run: python -m forecast.cli.docs"
    for code, meaning in EXIT_CODES:
        assert f"| {code} | {meaning} |" in readme


CONFIG = str(Path(__file__).parents[2] / "configs" / "lstm.yaml")


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["fetch", "MSFT", "--source", "sample"],
        ["data", "list"],
        ["runs", "list"],
        ["config", "show", CONFIG],
        ["doctor", "--no-imports"],  # the imports are tried in a child process
        ["models", "list"],
        ["schedule", "--config", CONFIG],
    ],
)
def test_commands_that_do_not_train_never_import_tensorflow(args, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "forecast", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert "typer" in imported  # the check itself sees imports
    assert not imported & {"tensorflow", "keras"}


def test_fetch_csv_caches_under_the_file_name(invoke, tmp_path: Path) -> None:
    (tmp_path / "my prices.csv").write_text("Date,Close\n2024-01-02,1.5\n2024-01-03,2.5\n2024-01-04,3.0\n")
    result = invoke("fetch", str(tmp_path / "my prices.csv"), "--source", "csv")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "csv" / "MY-PRICES_1d.parquet").exists()
    assert "MY-PRICES" in invoke("data", "list").stdout
    # The name given at fetch is a name data show accepts.
    shown = invoke("data", "show", str(tmp_path / "my prices.csv"), "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)[0]["symbol"] == "MY-PRICES"


# A yahoo config, as the shipped ones are: --source (or FORECAST_SOURCE) runs it on the sample.
YAHOO_CONFIG = """\
name: offline
data: {source: yahoo, symbol: MSFT, start: 2012-01-01}
prep: {lookback: 5, target_transform: log_return}
model: {kind: gru, units: [3], dense: []}
train: {epochs: 1, patience: 0}
evaluate: {competitors: []}
plot: {enabled: false}
"""


def test_source_runs_a_yahoo_config_on_the_sample_offline(invoke, tmp_path: Path, fake_yahoo, monkeypatch) -> None:
    (tmp_path / "c.yaml").write_text(YAHOO_CONFIG)
    fake_yahoo.responses = [OSError(101, "Network is unreachable")]  # any call to Yahoo would fail
    result = invoke("train", "--config", "c.yaml", "--source", "sample")
    assert result.exit_code == 0, result.output
    assert fake_yahoo.calls == []
    (run,) = (tmp_path / "runs").glob("offline-*")
    assert "source: sample" in (run / "config.yaml").read_text()

    monkeypatch.setenv("FORECAST_SOURCE", "nowhere")  # the environment's, refused as --source's would be
    refused = invoke("train", "--config", "c.yaml")
    assert refused.exit_code == 64 and "--source 'nowhere' is not a source" in refused.stderr
    assert len(list((tmp_path / "runs").iterdir())) == 1  # refused before any folder
    monkeypatch.setenv("FORECAST_SOURCE", "sample")  # and --set data.source wins over it
    offline = invoke("train", "--config", "c.yaml", "--set", "data.source=yahoo")
    assert offline.exit_code == 69 and "Yahoo is unreachable" in offline.stderr
    assert "use --source sample" in offline.stderr
    fake_yahoo.responses = [yahoo_frame().iloc[:0]]  # online, and Yahoo knows no such symbol
    unknown = invoke("train", "--config", "c.yaml", "--set", "data.source=yahoo", "--set", "data.symbol=NOPE")
    assert unknown.exit_code == 66 and "Yahoo returned no bars for NOPE" in unknown.stderr
    assert len(list((tmp_path / "runs").iterdir())) == 1  # neither failure left a run folder
