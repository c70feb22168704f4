"""The cache: merge new bars, never shrink, atomic writes, tamper detection."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from forecast.config import DataConfig
from forecast.data.sources import Fetched
from forecast.data.store import Cache, sha256_file
from forecast.errors import DataError, MissingInputError, TryLaterError, UsageError, WriteError

from ..conftest import snapshot_tree

CONFIG = DataConfig(source="yahoo", symbol="MSFT")  # the whole history, up to now
SINCE_JAN_4 = DataConfig(source="yahoo", symbol="MSFT", start="2024-01-04")


def bars(start: str, days: int, close0: float = 100.0) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.bdate_range(start, periods=days), name="date")
    close = close0 + pd.Series(range(days), index=index, dtype="float64")
    return pd.DataFrame({"close": close, "adj_close": close * 0.9, "volume": 1e6}, index=index)


def fetched(frame: pd.DataFrame) -> Fetched:
    return Fetched(frame, ("adj_close",), "yfinance test")


def test_save_then_load_round_trips_with_provenance(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "data")
    saved = cache.save(CONFIG, fetched(bars("2024-01-01", 5)))
    assert saved.path == tmp_path / "data" / "yahoo" / "MSFT_1d.parquet"
    frame, meta = cache.load("yahoo", "MSFT", "1d")
    pd.testing.assert_frame_equal(frame, bars("2024-01-01", 5), check_freq=False)
    assert meta["rows"] == 5 and meta["first"].startswith("2024-01-01") and meta["last"].startswith("2024-01-05")
    assert meta["origin"] == "yfinance test" and meta["auto_adjust"] is False
    assert meta["adjusted_columns"] == ["adj_close"]
    assert meta["sha256"] == sha256_file(saved.path)
    assert "fetched_at" in meta


def test_refetch_merges_new_bars_and_new_values_win(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.save(CONFIG, fetched(bars("2024-01-01", 5)))
    newer = bars("2024-01-04", 5, close0=500.0)  # overlaps 2 days, adds 3
    saved = cache.save(SINCE_JAN_4, fetched(newer))
    frame, meta = cache.load("yahoo", "MSFT", "1d")
    assert (saved.added, saved.revised, meta["rows"]) == (3, 2, 8)
    assert frame.loc["2024-01-04", "close"] == 500.0 and frame.loc["2024-01-01", "close"] == 100.0


@pytest.mark.parametrize(
    ("config", "answer", "says"),
    [
        (CONFIG, bars("2024-01-08", 2), "ends 2024-01-09, before the cache's last bar 2024-01-12"),
        (CONFIG, bars("2023-06-01", 3), "ends 2023-06-05, before the cache's last bar 2024-01-12"),
        (CONFIG, bars("2024-01-01", 0), "holds no bars"),
        # The whole history was asked for: an answer that begins later is short.
        (CONFIG, bars("2024-01-03", 10), "holds 8 bars from 2024-01-01 to 2024-01-12, where the cache holds 10"),
        # A bar missing inside the span the answer covers.
        (SINCE_JAN_4, bars("2024-01-04", 10).drop(pd.Timestamp("2024-01-09")), "holds 6 bars from 2024-01-04 to "
         "2024-01-12, where the cache holds 7"),
    ],
)  # fmt: skip
def test_a_stale_short_or_empty_answer_is_refused_and_the_cache_stays_byte_identical(
    tmp_path: Path, config: DataConfig, answer: pd.DataFrame, says: str
) -> None:
    cache = Cache(tmp_path)
    cache.save(CONFIG, fetched(bars("2024-01-01", 10)))  # 2024-01-01 .. 2024-01-12
    before = snapshot_tree(tmp_path)
    with pytest.raises(TryLaterError, match="stale|truncated|failed") as caught:
        cache.save(config, fetched(answer))
    assert says in caught.value.message and "MSFT_1d.parquet is unchanged" in caught.value.message
    assert snapshot_tree(tmp_path) == before  # the sidecar's fetched-at too


def test_a_revised_history_is_accepted_only_when_asked_and_the_old_cache_kept(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.save(CONFIG, fetched(bars("2024-01-01", 10)))  # 2024-01-01 .. 2024-01-12
    revised = bars("2024-01-04", 10).drop(pd.Timestamp("2024-01-09"))  # the source removed a bogus bar
    with pytest.raises(TryLaterError, match="truncated") as refused:
        cache.save(SINCE_JAN_4, fetched(revised))
    assert "forecast fetch MSFT --accept-revision" in refused.value.hint
    before = (tmp_path / "yahoo" / "MSFT_1d.parquet").read_bytes()
    saved = cache.save(SINCE_JAN_4, fetched(revised), accept_revision=True)
    frame, meta = cache.load("yahoo", "MSFT", "1d")
    assert pd.Timestamp("2024-01-09") not in frame.index  # dropped, as the source now says
    assert frame.index[0] == pd.Timestamp("2024-01-01") and len(frame) == 12  # before its span: kept
    assert frame.loc["2024-01-04", "close"] == revised.loc["2024-01-04", "close"] and saved.added == 3
    kept = tmp_path / "yahoo" / "MSFT_1d.parquet.before-revision"
    assert kept.read_bytes() == before  # the cache as it was, kept aside


def test_fetch_accept_revision_from_the_command_line(invoke, tmp_path: Path, fake_yahoo) -> None:
    from ..conftest import yahoo_frame

    fake_yahoo.responses = [yahoo_frame(days=10)]
    assert invoke("fetch", "MSFT").exit_code == 0
    revised = yahoo_frame(days=10).drop(yahoo_frame(days=10).index[5])
    fake_yahoo.responses = [revised]
    refused = invoke("fetch", "MSFT")
    assert refused.exit_code == 75 and "--accept-revision" in refused.stderr
    fake_yahoo.responses = [revised]
    accepted = invoke("fetch", "MSFT", "--accept-revision")
    assert accepted.exit_code == 0, accepted.output
    assert "1 cached bar(s) the source no longer has were dropped" in accepted.stderr
    assert " 9 bars" in accepted.stdout


def test_failed_write_leaves_the_cache_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Cache(tmp_path)
    cache.save(CONFIG, fetched(bars("2024-01-01", 5)))
    before = snapshot_tree(tmp_path)

    def half_written(self, path, **kwargs):
        Path(path).write_bytes(b"PAR1 partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_written)
    with pytest.raises(WriteError, match=r"cannot write .*yahoo/MSFT_1d.parquet: No space left on device"):
        cache.save(CONFIG, fetched(bars("2024-01-01", 10)))
    assert snapshot_tree(tmp_path) == before  # no temporary files left either


def test_tampered_parquet_is_refused(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    saved = cache.save(CONFIG, fetched(bars("2024-01-01", 5)))
    saved.path.write_bytes(saved.path.read_bytes()[:-10])
    with pytest.raises(DataError, match="does not match its sidecar"):
        cache.load("yahoo", "MSFT", "1d")


def test_adjustment_mismatch_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.save(CONFIG, fetched(bars("2024-01-01", 5)))
    before = snapshot_tree(tmp_path)
    adjusted = CONFIG.model_copy(update={"auto_adjust": True})
    with pytest.raises(UsageError, match="auto_adjust=false"):
        cache.save(adjusted, Fetched(bars("2024-01-08", 2).drop(columns="adj_close"), ("close",), "x"))
    assert snapshot_tree(tmp_path) == before


def test_missing_entry_says_how_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError) as info:
        Cache(tmp_path).load("yahoo", "IBM", "1d")
    assert "forecast fetch IBM" in info.value.hint


def test_entries_lists_sidecars_and_flags_broken_ones(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.save(CONFIG, fetched(bars("2024-01-01", 5)))
    (tmp_path / "yahoo" / "BAD_1d.json").write_text("{not json")
    entries = cache.entries()
    assert [e["symbol"] for e in entries] == ["BAD_1d", "MSFT"]
    assert "unreadable" in entries[0]["error"] and json.dumps(entries[1])


@pytest.mark.parametrize("symbol", ["../../etc/passwd", "..", "a/b"])
def test_paths_never_leave_the_root(tmp_path: Path, symbol: str) -> None:
    with pytest.raises(ValueError):
        Cache(tmp_path).paths("yahoo", symbol, "1d")


def test_refresh_fetches_only_recent_bars_and_merges_them(tmp_path: Path, fake_yahoo) -> None:
    from forecast.data.store import refresh

    from ..conftest import yahoo_frame

    cache = Cache(tmp_path / "data")
    cache.save(CONFIG, fetched(bars("2024-01-01", 5)))  # 2024-01-01 .. 2024-01-05
    fake_yahoo.responses = [yahoo_frame(days=6, start="2024-01-03")]  # overlaps, then 3 new bars
    saved = refresh(cache, CONFIG)
    (call,) = fake_yahoo.calls
    assert call["start"] == "2023-12-29" and call["end"] is None and call["period"] is None  # last bar - 7 days
    assert saved.meta["rows"] == 8 and saved.added == 3
    assert saved.meta["last"].startswith("2024-01-10")


def test_refresh_failure_leaves_the_cache_byte_identical(tmp_path: Path, fake_yahoo) -> None:
    from forecast.data.store import refresh
    from forecast.errors import SourceUnavailableError

    cache = Cache(tmp_path / "data")
    cache.save(CONFIG, fetched(bars("2024-01-01", 5)))
    before = snapshot_tree(tmp_path / "data")
    fake_yahoo.responses = [ConnectionError("network is unreachable")]
    with pytest.raises(SourceUnavailableError):
        refresh(cache, CONFIG)
    assert snapshot_tree(tmp_path / "data") == before


def weekly(start: str, weeks: int) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.date_range(start, periods=weeks, freq="W-SUN"), name="date")
    return pd.DataFrame({"value": range(weeks)}, index=index, dtype="float64")


def test_a_series_no_interval_was_asked_for_is_filed_by_the_rhythm_of_its_dates(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "data")
    request = DataConfig(source="csv", path="co2.csv", symbol="CO2")
    saved = cache.save(request, fetched(weekly("2020-01-05", 30)))
    assert saved.path == tmp_path / "data" / "csv" / "CO2_1wk.parquet"
    assert (saved.meta["interval"], saved.meta["frequency"]) == ("1wk", "weeks")
    # Found whatever interval the request carries (a CSV has none to ask for).
    frame, meta = cache.load("csv", "CO2", "1d")
    assert len(frame) == 30 and meta["interval"] == "1wk"


def test_a_series_from_python_with_another_rhythm_replaces_its_namesake(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "data")
    request = DataConfig(source="frame", symbol="SALES")
    cache.save(request, fetched(bars("2024-01-01", 10)), replace=True)
    cache.save(request, fetched(weekly("2020-01-05", 20)), replace=True)
    assert sorted(p.name for p in (tmp_path / "data" / "frame").iterdir()) == ["SALES_1wk.json", "SALES_1wk.parquet"]
    assert len(cache.load("frame", "SALES", "1d")[0]) == 20


def test_yahoo_files_are_named_by_the_interval_asked_for(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "data")
    saved = cache.save(DataConfig(source="yahoo", symbol="MSFT", interval="1wk"), fetched(bars("2024-01-01", 5)))
    # What was asked is the name; what came is recorded beside it.
    assert saved.path.name == "MSFT_1wk.parquet" and saved.meta["frequency"] == "trading days"
    assert cache.find("yahoo", "MSFT", "1d") is None
