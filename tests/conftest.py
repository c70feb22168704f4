"""Shared fixtures. Tests never touch the network: yfinance is replaced at its
boundary (yfinance.Ticker) by a fake that returns the shapes yfinance 1.x returns."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own folder with its own cache and runs roots."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FORECAST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FORECAST_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("NO_COLOR", "1")
    # One process unless a test asks for more (--workers): a worker's start-up (importing
    # TensorFlow) costs more than the tiny models it would train beside another.
    monkeypatch.setenv("FORECAST_WORKERS", "1")


@pytest.fixture(scope="session")
def _trained_once() -> dict[str, Path]:
    return {}  # config text -> the run trained from it, once per test process


@pytest.fixture
def trained_copy(
    _trained_once: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Callable[[str], Path]:
    """trained_copy(config text) -> a finished run of that config, copied under this test's runs root.

    For tests that need a trained run to work on, not training itself: each config is trained
    once per test process (training a model, tracing it included, is most of a small test's
    time), and every test gets its own copy to change."""

    def copy(config: str) -> Path:
        if config not in _trained_once:
            from forecast.config import load_config
            from forecast.pipeline.runner import run_pipeline
            from forecast.pipeline.stages import Context
            from forecast.rundir import RunDir

            root = tmp_path_factory.mktemp("trained")
            (root / "config.yaml").write_text(config)
            loaded = load_config(root / "config.yaml")
            run = RunDir.create(root / "runs", loaded.name)
            run_pipeline(Context(loaded, run, root / "data"))
            _trained_once[config] = run.path
        made = _trained_once[config]
        return Path(shutil.copytree(made, tmp_path / "runs" / made.name))

    return copy


class Runner(CliRunner):
    """typer's CliRunner, on the click command typer builds from forecast's app once per test
    process: typer.testing builds it again for every invoke (about 35 ms of typer reading the
    commands' signatures), where `forecast` builds it once per process. The same command."""

    _commands: dict[Any, Any] = {}  # a typer app -> its click command

    def invoke(self, app: Any, *args: Any, **kwargs: Any) -> Any:
        import typer.main
        import typer.testing

        if app not in self._commands:
            self._commands[app] = typer.main.get_command(app)
        command = self._commands[app]
        built, typer.testing._get_command = typer.testing._get_command, lambda _: command
        try:
            return super().invoke(app, *args, **kwargs)
        finally:
            typer.testing._get_command = built


def cli(env: dict[str, str], *args: str) -> Any:
    """The CLI in this process with these roots: for fixtures wider than one test (a module's
    trained run), which `invoke` and the test's own roots cannot serve, and for another folder."""
    from forecast.cli import app

    return Runner().invoke(app, list(args), env=env)


def as_process(invoke: Callable[..., Any], *args: str) -> subprocess.CompletedProcess:
    """invoke(*args) as a finished child process would report it: for checks written against a
    child's exit code and stderr, where a child would only add seconds of importing TensorFlow."""
    result = invoke(*args)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def runner() -> CliRunner:
    return Runner()


@pytest.fixture
def invoke(runner: CliRunner) -> Callable[..., Any]:
    from forecast.cli import app

    def _invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), prog_name="forecast")

    return _invoke


def yahoo_frame(
    days: int = 5,
    start: str = "2024-01-02",
    tz: str = "America/New_York",
    auto_adjust: bool = False,
    multiindex: bool = False,
    ticker: str = "MSFT",
    intraday: bool = False,
) -> pd.DataFrame:
    """A frame shaped like yfinance 1.x's history(): exchange-time tz-aware index named
    'Date' ('Datetime' intraday), title-case columns, 'Adj Close' unless auto_adjust."""
    if intraday:
        index = pd.date_range(f"{start} 09:30", periods=days, freq="5min", tz=tz, name="Datetime")
    else:
        index = pd.DatetimeIndex(pd.bdate_range(start, periods=days), name="Date").tz_localize(tz)
    close = 100.0 + np.arange(days, dtype=float)
    data = {"Open": close - 0.5, "High": close + 1, "Low": close - 1, "Close": close}
    if not auto_adjust:
        data["Adj Close"] = close * 0.9
    data["Volume"] = np.full(days, 1_000_000, dtype="int64")
    frame = pd.DataFrame(data, index=index)
    if multiindex:  # the shape yf.download() returns
        frame.columns = pd.MultiIndex.from_product([frame.columns, [ticker]], names=["Price", "Ticker"])
    return frame


class FakeTicker:
    """Stands in for yfinance.Ticker. `responses` is consumed one per history() call:
    a DataFrame is returned, an exception instance is raised."""

    responses: list[Any] = []
    calls: list[dict[str, Any]] = []

    def __init__(self, ticker: str, session: Any = None) -> None:
        self.ticker = ticker

    def history(self, **kwargs: Any) -> pd.DataFrame:
        FakeTicker.calls.append({"ticker": self.ticker, **kwargs})
        response = FakeTicker.responses.pop(0) if len(FakeTicker.responses) > 1 else FakeTicker.responses[0]
        if isinstance(response, BaseException):
            raise response
        return response.copy()


@pytest.fixture
def fake_yahoo(monkeypatch: pytest.MonkeyPatch) -> type[FakeTicker]:
    import yfinance

    from forecast.data.sources import yahoo

    FakeTicker.responses = [yahoo_frame()]
    FakeTicker.calls = []
    monkeypatch.setattr(yfinance, "Ticker", FakeTicker)
    sleeps: list[float] = []
    monkeypatch.setattr(yahoo, "sleep", sleeps.append)
    FakeTicker.sleeps = sleeps  # type: ignore[attr-defined]
    return FakeTicker


def snapshot_tree(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes: for 'nothing was changed' assertions."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def persistent_edge(n: int = 1000, rho: float = 0.9, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(errors of a forecaster, errors of naive = 1) whose squared difference, 0.3 x, follows an
    AR(1) x with coefficient rho: an edge over naive that wanders slowly, as the errors of
    readings every few minutes do."""
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = rho * x[t - 1] + rng.normal()
    return np.sqrt(np.abs(1 + 0.3 * x)), np.ones(n)


def interrupt_save(monkeypatch: pytest.MonkeyPatch, save: int) -> list[str]:
    """Ctrl-C while the `save`-th manifest save (0-based) is written: that file stays as it was.
    Returns the statuses every save was asked to write, as they are asked."""
    from forecast.rundir import RunDir

    saves: list[str] = []
    real = RunDir.save_manifest

    def interrupted(self: RunDir, manifest: dict) -> None:
        saves.append(manifest["status"])
        if len(saves) == save + 1:
            raise KeyboardInterrupt
        real(self, manifest)

    monkeypatch.setattr(RunDir, "save_manifest", interrupted)
    return saves
