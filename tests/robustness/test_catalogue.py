"""The robustness catalogue: hostile input to every command, one case per row.

Every case asserts: the documented exit code; exactly one error line on stderr (after
any warnings) that names the bad input and says what to do; no traceback; and every
file under the data, runs and models roots byte-identical before and after (a new run
directory marked failed is allowed; the libraries' caches under data/.cache are not
data). The README's Troubleshooting section is drawn from these cases.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from forecast.config import DataConfig
from forecast.data.sources import Fetched
from forecast.data.store import Cache

from ..conftest import yahoo_frame

TINY = """\
name: tiny
data: {source: sample, symbol: MSFT, start: 2011-06-01}
prep: {lookback: 10, test_fraction: 0.2, val_fraction: 0.25, target_transform: log_return}
model: {kind: lstm, units: [4], dense: []}
train: {epochs: 1, batch_size: 64, patience: 0, seed: 3}
plot: {enabled: false}
"""
# 20 years of monthly values dated day-first: every day number is 01, so 01/02/2000 reads both ways.
MONTHLY_DMY = "date,close\n" + "".join(f"01/{m:02d}/{y},{y - 1990 + m / 12:.3f}\n" for y in range(2000, 2020)
                                        for m in range(1, 13))  # fmt: skip
GOOD_CSV = "date,close\n" + "".join(f"2024-01-{d:02d},{100 + d}.5\n" for d in range(1, 29))


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]  # "{tmp}" is replaced by the test's folder, "{run}" by a finished run
    code: int
    says: tuple[str, ...]  # fragments of the error line: the bad input, and what to do
    setup: Callable[[Path], None] | None = None
    yahoo: list = field(default_factory=list)  # fake Yahoo answers, in order


def write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)

    return setup


def both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        for one in setups:
            one(tmp)

    return setup


def config(text: str) -> Callable[[Path], None]:
    return write("bad.yaml", text)


def csv(text: str) -> Callable[[Path], None]:
    return write("prices.csv", text)


def tamper(name: str, how: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        how(next((tmp / "runs").glob("tiny-*")) / name)

    return setup


def cache_edit(tmp: Path) -> None:
    parquet = tmp / "data" / "yahoo" / "MSFT_1d.parquet"
    parquet.write_bytes(parquet.read_bytes()[:-10] + b"0123456789")


def champion_json(text: str) -> Callable[[Path], None]:
    return write("models/tiny/champion.json", text)


CSV_FETCH = ["fetch", "{tmp}/prices.csv", "--source", "csv"]
CASES = [
    # --- config files ---------------------------------------------------------------
    Case("config-missing", ["train", "--config", "{tmp}/nope.yaml"], 66, ("nope.yaml not found", "configs/lstm.yaml")),
    Case("config-empty", ["train", "--config", "{tmp}/bad.yaml"], 78, ("bad.yaml is empty",), config("")),
    Case("config-list", ["train", "--config", "{tmp}/bad.yaml"], 78, ("must be a mapping",), config("- a\n- b\n")),
    Case("config-unknown-key", ["train", "--config", "{tmp}/bad.yaml"], 78, ("prep.lookbak: unknown key", "'lookback'"),
         config("data: {source: sample, symbol: MSFT}\nprep: {lookbak: 5}\n")),
    Case("config-wrong-type", ["train", "--config", "{tmp}/bad.yaml"], 78, ("prep.lookback", "'abc'"),
         config("data: {source: sample, symbol: MSFT}\nprep: {lookback: abc}\n")),
    Case("config-out-of-range", ["train", "--config", "{tmp}/bad.yaml"], 78, ("train.epochs", "greater than or equal"),
         config("data: {source: sample, symbol: MSFT}\ntrain: {epochs: 0}\n")),
    Case("config-python-tag", ["train", "--config", "{tmp}/bad.yaml"], 78, ("bad.yaml", "fix the YAML"),
         config("data: !!python/object/apply:os.mkdir ['{tmp}/pwned']\n")),
    Case("config-yaml-syntax", ["train", "--config", "{tmp}/bad.yaml"], 78, ("line 2", "fix the YAML syntax"),
         config("data: {source: sample\nprep: [\n")),
    Case("config-not-utf8", ["train", "--config", "{tmp}/bad.yaml"], 78, ("is not UTF-8",), config(b"\xff\xfe\x00d")),
    Case("config-name-escapes", ["train", "--config", "{tmp}/bad.yaml"], 78, ("name:",),
         config("name: ../../etc/evil\ndata: {source: sample, symbol: MSFT}\n")),
    Case("config-set-no-equals", ["train", "--config", "{tmp}/bad.yaml", "--set", "prep.lookback"], 78,
         ("is not of the form", "--set prep.lookback=60"), config(TINY)),
    Case("config-set-unknown", ["train", "--config", "{tmp}/bad.yaml", "--set", "prep.windowz=3"], 78,
         ("prep.windowz: unknown key", "allowed:"), config(TINY)),
    Case("config-csv-outside", ["train", "--config", "{tmp}/bad.yaml"], 65, ("/etc/hostname",),
         config("data: {source: csv, path: /etc/hostname, target: close}\n")),
    Case("config-both-period-and-dates", ["train", "--config", "{tmp}/bad.yaml"], 78, ("either period or start/end",),
         config("data: {source: sample, symbol: MSFT, period: 1y, start: 2010-01-01}\n")),
    Case("config-space-range-typo", ["tune", "--config", "{tmp}/bad.yaml"], 78,
         ("tune.space.prep.lookback.hihg: unknown key", "did you mean 'high'?", "allowed: high, log, low, step"),
         config("data: {source: sample, symbol: MSFT}\ntune: {space: {prep.lookback: {low: 2, hihg: 9}}}\n")),
    Case("config-space-range-extra", ["tune", "--config", "{tmp}/bad.yaml"], 78,
         ("tune.space.prep.lookback.stepp: unknown key", "did you mean 'step'?"),
         config("data: {source: sample, symbol: MSFT}\ntune: {space: {prep.lookback: {low: 2, high: 9, stepp: 1}}}\n")),
    # --- universes ----------------------------------------------------------------------
    Case("universe-bad-symbol", ["train", "--config", "{tmp}/bad.yaml"], 78, ("data.symbols", "may hold only"),
         config("data: {source: sample, symbols: [MSFT, ../x]}\n")),
    Case("universe-file-missing", ["train", "--config", "{tmp}/bad.yaml"], 66, ("nope.txt not found", "symbols_file"),
         config("data: {source: sample, symbols_file: nope.txt}\n")),
    Case("universe-file-bad-line", ["train", "--config", "{tmp}/bad.yaml"], 78, ("symbols.txt line 2", "fix or remove"),
         both(config("data: {source: sample, symbols_file: symbols.txt}\n"), write("symbols.txt", "MSFT\n$$$\n"))),
    Case("universe-executor", ["train", "--config", "{tmp}/bad.yaml", "--executor", "spark"], 64, ("--executor",),
         config(TINY)),
    Case("universe-global-alone", ["train", "--config", "{tmp}/bad.yaml", "--set", "model.scope=global"], 64,
         ("needs a universe", "data.symbols"), config(TINY)),
    Case("universe-backtest", ["backtest", "--config", "{tmp}/bad.yaml"], 78, ("names a universe", "data.symbol"),
         config("data: {source: sample, symbols: [MSFT, IBM]}\n")),
    # --- symbols ----------------------------------------------------------------------
    Case("symbol-path", ["fetch", "../etc/passwd"], 64, ("SYMBOL",)),
    Case("symbol-shell", ["fetch", "MSFT;rm -rf ~"], 64, ("SYMBOL",)),
    Case("symbol-control", ["fetch", "MS\x07FT"], 64, ("SYMBOL",)),
    Case("symbol-absurd-length", ["fetch", "A" * 500], 64, ("SYMBOL",)),
    Case("symbol-unknown-sample", ["fetch", "ZZZZ", "--source", "sample"], 66, ("ZZZZ", "choose one of")),
    Case("symbol-csv-as-symbol", ["fetch", "prices.csv"], 64, ("looks like a CSV file", "--source csv")),
    Case("symbol-data-show-path", ["data", "show", "../../x"], 64, ("../../x",)),
    # --- CSV content ----------------------------------------------------------------------
    Case("csv-bad-dates", CSV_FETCH, 65, ("prices.csv", "date"), csv("date,close\nyesterday,1\n2024-01-02,2\n")),
    Case("csv-duplicates", CSV_FETCH, 65, ("duplicate", "--repair"),
         csv("date,close\n2024-01-02,1\n2024-01-02,2\n2024-01-03,3\n")),
    Case("csv-unsorted", CSV_FETCH, 65, ("prices.csv", "--repair"),
         csv("date,close\n2024-01-03,1\n2024-01-02,2\n2024-01-04,3\n")),
    Case("csv-currency", CSV_FETCH, 65, ("prices.csv", "'close'", "'$1.5'", "currency signs"),
         csv("date,close\n2024-01-02,$1.5\n2024-01-03,$2\n")),
    Case("csv-thousands", CSV_FETCH, 65, ("prices.csv", "'1,234.5'", "thousands separators"),
         csv('date,close\n2024-01-02,"1,234.5"\n2024-01-03,"1,240.0"\n')),
    Case("csv-blank-values", CSV_FETCH, 65, ("prices.csv", "--repair"), csv("date,close\n2024-01-02,\n2024-01-03,2\n")),
    Case("csv-no-date-column", CSV_FETCH, 65, ("prices.csv", "date"), csv("when,close\n2024-01-02,1\n")),
    Case("csv-empty", CSV_FETCH, 65, ("prices.csv",), csv("")),
    Case("csv-missing-file", ["fetch", "{tmp}/absent.csv", "--source", "csv"], 66, ("absent.csv",)),
    Case("csv-too-few-rows", ["train", "--config", "{tmp}/bad.yaml"], 65, ("rows", "lookback"),
         lambda tmp: (csv("date,close\n2024-01-02,1\n2024-01-03,2\n2024-01-04,3\n")(tmp),
                      config("data: {source: csv, path: prices.csv, target: close}\nprep: {lookback: 5}\n")(tmp))),
    Case("csv-missing-target", ["train", "--config", "{tmp}/bad.yaml"], 65, ("adj_close", "data.target"),
         lambda tmp: (csv(GOOD_CSV)(tmp), config("data: {source: csv, path: prices.csv}\nprep: {lookback: 3}\n")(tmp))),
    Case("csv-constant", ["train", "--config", "{tmp}/bad.yaml"], 65, ("constant",),
         lambda tmp: (csv("date,close\n" + "".join(f"2024-02-{d:02d},7\n" for d in range(1, 29)))(tmp),
                      config("data: {source: csv, path: prices.csv, target: close}\nprep: {lookback: 3}\n")(tmp))),
    # --- CSV dates: never guessed ---------------------------------------------------------
    Case("dates-ambiguous-fetch", CSV_FETCH, 65,
         ("prices.csv", "column 'date'", "'01/02/2000' is 1 February 2000 or 2 January 2000", "data.date_format"),
         csv(MONTHLY_DMY)),
    Case("dates-ambiguous-train", ["train", "--config", "{tmp}/bad.yaml"], 65,
         ("prices.csv", "read both day-first and month-first", "'%d/%m/%Y'"),
         both(csv(MONTHLY_DMY), config("data: {source: csv, path: prices.csv, target: close}\n"))),
    Case("dates-ambiguous-two-digit-year", CSV_FETCH, 65, ("'01/02/00' is 1 February 2000 or 2 January 2000",),
         csv(MONTHLY_DMY.replace("/20", "/"))),
    Case("dates-both-orders", CSV_FETCH, 65, ("day-first at line 2 ('13/01/2000')", "month-first at line 3"),
         csv("date,close\n13/01/2000,1\n01/14/2000,2\n")),
    Case("dates-format-mismatch", [*CSV_FETCH, "--date-format", "%Y-%m-%d"], 65,
         ("unreadable dates", "'01/01/2000', not '%Y-%m-%d' (data.date_format)"), csv(MONTHLY_DMY)),
    Case("dates-format-wrong-order", ["train", "--config", "{tmp}/bad.yaml"], 65,
         ("1 day(s) apart as a rule", "gaps are over 10 days", "misread dates"),
         both(csv(MONTHLY_DMY), config("data: {source: csv, path: prices.csv, target: close, "
                                       "date_format: '%m/%d/%Y'}\n"))),
    Case("dates-mixed-frequencies", CSV_FETCH, 65, ("30 day(s) apart as a rule", "gaps are under 15 days"),
         csv("date,close\n" + "".join(f"2000-{m:02d}-01,{m}\n" for m in range(1, 13))
             + "".join(f"2001-01-{d:02d},{d}\n" for d in range(2, 12)))),
    # --- the data source ------------------------------------------------------------------
    Case("yahoo-empty", ["fetch", "NOPE"], 66, ("no bars", "check the symbol"), yahoo=["empty"]),
    # --- a download that would shrink or age the cache: refused, nothing written ------------
    Case("yahoo-empty-cached", ["fetch", "MSFT"], 75, ("no bars", "the cache holds MSFT (2000-03-01..2013-03-01",
         "outage or rate limit", "try again later"), yahoo=["empty"]),
    Case("yahoo-stale", ["fetch", "MSFT"], 75, ("ends 2011-08-30", "before the cache's last bar 2013-03-01",
         "cached 2000-03-01..2013-03-01, 3270 rows", "received 2000-03-01..", "stale answer", "is unchanged"),
         yahoo=["stale"]),
    Case("yahoo-truncated", ["fetch", "MSFT"], 75, ("holds 262 bars from 2000-03-01 to 2013-03-01", "the cache "
         "holds 3270", "received 2012-03-01..2013-07-24, 365 rows", "truncated answer", "is unchanged"),
         yahoo=["truncated"]),
    Case("yahoo-stale-refresh", ["predict", "{run}", "--refresh"], 75, ("stale answer",), yahoo=["stale"],
         setup=lambda tmp: _yahoo_run(tmp)),
    Case("yahoo-rate-limited", ["fetch", "MSFT"], 75, ("rate-limited", "wait"), yahoo=["ratelimit"]),
    Case("yahoo-hangs", ["fetch", "MSFT"], 69, ("could not reach Yahoo", "data.timeout"), yahoo=["timeout"]),
    Case("yahoo-shape", ["fetch", "MSFT"], 65, ("lacks columns",), yahoo=["noclose"]),
    Case("yahoo-refresh-fails", ["predict", "{run}", "--refresh"], 69, ("could not reach Yahoo",), yahoo=["timeout"],
         setup=lambda tmp: _yahoo_run(tmp)),
    # --- runs and models ---------------------------------------------------------------------
    Case("run-missing", ["predict", "{tmp}/runs/nothing-here"], 66, ("not found", "forecast runs list")),
    Case("run-incomplete", ["predict", "{run}"], 66, ("not complete", "forecast train --run-dir"),
         tamper("manifest.json", lambda p: p.write_text(p.read_text().replace('"complete"', '"running"')))),
    Case("run-model-tampered", ["predict", "{run}"], 65, ("model.keras does not match", "--force"),
         tamper("model.keras", lambda p: p.write_bytes(p.read_bytes() + b"x"))),
    Case("run-model-zero-bytes", ["predict", "{run}"], 65, ("model.keras",),
         tamper("model.keras", lambda p: p.write_bytes(b""))),
    Case("run-encoding-truncated", ["predict", "{run}"], 65, ("encoding.json does not match",),
         tamper("encoding.json", lambda p: p.write_text(p.read_text()[:40]))),
    Case("run-foreign-model", ["predict", "{run}"], 66, ("model.keras not found", "model.h5"),
         tamper("model.keras", lambda p: p.rename(p.with_suffix(".h5")))),
    Case("run-manifest-garbage", ["predict", "{run}"], 66, ("not complete",),
         tamper("manifest.json", lambda p: p.write_text("{not json"))),
    Case("run-evaluate-untrained", ["evaluate", "{run}"], 66, ("stage train", "forecast train --run-dir"),
         tamper("model.keras", lambda p: p.unlink())),
    Case("run-as-of-lookahead", ["predict", "{run}", "--as-of", "2011-07-01"], 64, ("would have seen the future",)),
    Case("run-horizon-zero", ["predict", "{run}", "--horizon", "0"], 64, ("--horizon",)),
    Case("models-no-such-model", ["predict", "--model", "nope"], 66, ("no model 'nope'", "forecast retrain")),
    Case("models-rollback-nothing", ["models", "rollback", "tiny"], 64, ("no earlier champion",),
         champion_json('{"run": "/nowhere", "previous": []}')),
    Case("models-champion-garbage", ["predict", "--model", "tiny"], 65, ("champion.json is not valid JSON",),
         champion_json("{oops")),
    Case("models-champion-missing-run", ["predict", "--model", "tiny"], 66, ("/nowhere",),
         champion_json('{"run": "/nowhere"}')),
    Case("models-promote-missing-run", ["models", "promote", "tiny", "{tmp}/runs/gone"], 66, ("not found",)),
    Case("cache-tampered", ["doctor", "--no-imports"], 65, ("does not match its sidecar's sha256",), cache_edit),
    Case("retrain-no-config", ["retrain"], 64, ("--config",)),
    Case("schedule-bad-cron", ["schedule", "--config", "{tmp}/bad.yaml", "--cron", "* * *"], 64,
         ("five cron fields",), config(TINY)),
    Case("compare-one-candidate", ["compare", "lstm"], 64, ("at least two candidates",)),
    # --- reports and output ------------------------------------------------------------
    Case("report-missing-run", ["report", "{tmp}/runs/nothing-here"], 66, ("not found", "forecast runs list")),
    Case("report-mlflow-bad-config", ["report", "{run}", "--mlflow"], 78, ("config.yaml", "YAML"),
         tamper("config.yaml", lambda p: p.write_text("name: [unclosed\n"))),
    Case("output-quiet-and-verbose", ["--quiet", "--verbose", "runs", "list"], 64, ("--verbose and --quiet",)),
]  # fmt: skip


def _yahoo_run(tmp: Path) -> None:
    """Make the finished run a yahoo run over the cached bars, so --refresh goes to Yahoo."""
    run = next((tmp / "runs").glob("tiny-*"))
    text = (run / "config.yaml").read_text().replace("source: sample", "source: yahoo")
    (run / "config.yaml").write_text(text)


def yahoo_answer(kind: str):
    from yfinance.exceptions import YFRateLimitError

    if kind == "empty":
        return yahoo_frame(days=0)
    if kind == "ratelimit":
        return YFRateLimitError()
    if kind == "timeout":
        return TimeoutError("Operation timed out after 30000 milliseconds")
    if kind == "stale":  # the cache holds 2000-03-01..2013-03-01; this answer stops in 2011
        return yahoo_frame(days=3000, start="2000-03-01")
    if kind == "truncated":  # reaches past the cache's end, but begins in 2012
        return yahoo_frame(days=365, start="2012-03-01")
    if kind == "noclose":
        return yahoo_frame().drop(columns=["Close"])
    raise ValueError(kind)


def state(tmp: Path) -> dict[str, bytes]:
    """Every file under the three roots, except the libraries' caches."""
    files = {}
    for root in ("data", "runs", "models"):
        for path in sorted((tmp / root).rglob("*")) if (tmp / root).exists() else []:
            if path.is_file() and ".cache" not in path.parts and path.name != ".lock":
                files[str(path.relative_to(tmp))] = path.read_bytes()
    return files


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_catalogue(case: Case, invoke, trained_copy, tmp_path: Path, fake_yahoo) -> None:
    run = trained_copy(TINY)
    from forecast.data.sources import fetch

    sample = fetch(DataConfig(source="sample", symbol="MSFT")).frame
    Cache(tmp_path / "data").save(DataConfig(source="yahoo", symbol="MSFT"), Fetched(sample, ("adj_close",), "test"))
    (tmp_path / "models" / "tiny").mkdir(parents=True)
    if case.setup:
        case.setup(tmp_path)
    fake_yahoo.responses = [yahoo_answer(kind) for kind in case.yahoo] or fake_yahoo.responses
    before = state(tmp_path)
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{run}", str(run)) for a in case.argv]
    result = invoke(*argv)

    assert result.exit_code == case.code, result.output
    lines = result.stderr.strip().splitlines()  # progress and warnings may come first
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == [lines[-1]], result.stderr
    for fragment in case.says:
        assert fragment in errors[0], errors[0]
    assert "Traceback" not in result.output
    after = state(tmp_path)
    new = {name for name in after.keys() - before.keys() if name.startswith("runs/")}
    for name in new:  # a new run directory is allowed only as a record of the failure
        manifest = tmp_path / Path(name).parts[0] / Path(name).parts[1] / "manifest.json"
        assert json.loads(manifest.read_text())["status"] == "failed", name
    assert {k: v for k, v in after.items() if k not in new} == before
    assert not (tmp_path / "pwned").exists()  # no YAML tag ever ran code


def test_the_catalogue_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id.split("-")[0] for c in CASES}) >= 7  # config, symbol, csv, yahoo, run, models, cache ...
