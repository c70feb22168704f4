"""The `forecast` command line.

Thin commands: parse options, build typed config, call one function, print a summary.
`ForecastGroup.main` is the one error boundary: it turns a ForecastError (or a usage
error) into one line on stderr and a documented exit code; tracebacks only with
--verbose. Nothing heavy is imported at module level: `forecast --help` and
`forecast fetch` never import TensorFlow.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from forecast.errors import ForecastError, UsageError

log = logging.getLogger("forecast")
_verbose = False


class ForecastGroup(TyperGroup):
    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            # standalone_mode=False: errors come here instead of being printed by typer.
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except ForecastError as exc:
            code = _fail(exc.message, exc.hint, exc.exit_code, exc)
        except typer.TyperException as exc:  # typer's (vendored click's) usage errors
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message(), err=True)
                code = UsageError.exit_code
            else:
                command = ctx.command_path if ctx is not None else "forecast"
                code = _fail(exc.format_message(), f"see '{command} --help'", UsageError.exit_code, exc)
        except typer.Abort as exc:
            code = _fail("aborted", None, 130, exc)
        except Exception as exc:  # a bug in forecast: say so, briefly, and how to report it
            code = _fail(
                f"internal error: {type(exc).__name__}: {exc}",
                "run again with --verbose and report the traceback",
                1,
                exc,
            )
        if standalone_mode:
            sys.exit(code)
        return code


def _fail(message: str, hint: str | None, code: int, exc: BaseException) -> int:
    if _verbose:
        traceback.print_exception(exc)
    line = (f"{message}; {hint}" if hint else message).replace("\n", " ")
    typer.echo(f"error: {line}", err=True)
    return code


app = typer.Typer(
    cls=ForecastGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Honest time-series forecasts with recurrent neural networks.",
)
data_app = typer.Typer(cls=TyperGroup, no_args_is_help=True, help="Inspect the local data cache.")
app.add_typer(data_app, name="data")


def _version(value: bool) -> None:
    if value:
        from forecast import __version__

        typer.echo(f"forecast {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs, and tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    global _verbose
    _verbose = verbose
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormat(verbose))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)
    if not verbose:
        # Third-party chatter (yfinance, TensorFlow, matplotlib) stays out of normal output.
        for name in ("yfinance", "matplotlib", "tensorflow", "absl", "h5py", "PIL"):
            logging.getLogger(name).setLevel(logging.ERROR)


class _LogFormat(logging.Formatter):
    """'warning: ...' and 'error: ...' like the error boundary; info lines bare."""

    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if self.verbose:
            return f"{record.levelname.lower()} {record.name}: {message}"
        return message if record.levelno < logging.WARNING else f"{record.levelname.lower()}: {message}"


DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="FORECAST_DATA_DIR", help="Cache root (default: ./data).", show_default=False),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def _echo_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


# --- fetch ------------------------------------------------------------------------


@app.command()
def fetch(
    tickers: Annotated[
        list[str], typer.Argument(help="Symbols such as MSFT or ^GSPC; with --source csv, CSV file paths.")
    ],
    source: Annotated[str, typer.Option(help="yahoo, sample (bundled real prices), csv or synthetic.")] = "yahoo",
    period: Annotated[str | None, typer.Option(help="1d 5d 1mo 3mo 6mo 1y 2y 5y 10y ytd max (default max).")] = None,
    start: Annotated[str | None, typer.Option(help="First date, inclusive (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date, exclusive (YYYY-MM-DD).")] = None,
    interval: Annotated[str, typer.Option(help="Bar size: 1d, 1wk, 1mo, 1h, 5m, ...")] = "1d",
    auto_adjust: Annotated[
        bool, typer.Option("--auto-adjust/--no-auto-adjust", help="Adjust OHLC for splits and dividends.")
    ] = False,
    date_column: Annotated[str, typer.Option(help="CSV: name of the date column.")] = "date",
    repair: Annotated[bool, typer.Option(help="CSV: drop bad rows, sort, de-duplicate (else fail).")] = False,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Fetch prices into the local cache (merging new bars; never shrinking it)."""
    from forecast.config import data_config_from_options
    from forecast.sources import fetch as fetch_source
    from forecast.store import Cache, data_root

    cache = Cache(data_root(data_dir))
    results: list[dict[str, Any]] = []
    first_error: ForecastError | None = None
    for name in tickers:
        csv_path = source == "csv"
        try:
            config = data_config_from_options(
                source=source,
                ticker=None if csv_path else name,
                path=name if csv_path else None,
                period=period,
                start=start,
                end=end,
                interval=interval,
                auto_adjust=auto_adjust,
                date_column=date_column,
                repair=repair,
            )
            saved = cache.save(config, fetch_source(config))
        except ForecastError as exc:
            if len(tickers) == 1:
                raise
            # Several tickers: report this one, go on with the rest, fail at the end.
            typer.echo(f"error: {name}: {exc.message}" + (f"; {exc.hint}" if exc.hint else ""), err=True)
            results.append({"ticker": name, "error": exc.message, "exit_code": exc.exit_code})
            first_error = first_error or exc
            continue
        meta = saved.meta
        results.append({**meta, "path": str(saved.path), "added": saved.added, "revised": saved.revised})
        if not as_json:
            typer.echo(
                f"{meta['symbol']:<8} {meta['source']:<9} {meta['rows']:>6} bars  "
                f"{meta['first'][:10]} .. {meta['last'][:10]}  (+{saved.added} new)  {saved.path}"
            )
    if as_json:
        _echo_json(results)
    if first_error is not None:
        raise typer.Exit(first_error.exit_code)


# --- data -------------------------------------------------------------------------


@data_app.command("list")
def data_list(data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """List what is in the cache."""
    from forecast.store import Cache, data_root

    root = data_root(data_dir)
    entries = Cache(root).entries()
    if as_json:
        _echo_json(entries)
        return
    if not entries:
        typer.echo(f"cache {root} is empty; fill it with: forecast fetch MSFT --source sample")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("symbol", "source", "interval", "rows", "first", "last", "adjusted", "fetched at (UTC)")
    for e in entries:
        if "error" in e:
            table.add_row(e["symbol"], e["source"], "", "", "", "", "", f"[red]{e['error']}[/red]")
            continue
        table.add_row(
            e["symbol"], e["source"], e["interval"], str(e["rows"]), e["first"][:10], e["last"][:10],
            ",".join(e["adjusted_columns"]) or "-", e["fetched_at"][:19],
        )  # fmt: skip
    # Off a terminal (pipes, cron logs) rich assumes 80 columns and would truncate.
    Console(width=None if sys.stdout.isatty() else 160).print(table)


@data_app.command("show")
def data_show(
    ticker: Annotated[str, typer.Argument(help="Symbol as cached, e.g. MSFT.")],
    source: Annotated[str | None, typer.Option(help="Only this source (default: every source).")] = None,
    interval: Annotated[str, typer.Option(help="Bar size.")] = "1d",
    rows: Annotated[int, typer.Option(min=0, help="Rows to show from each end.")] = 5,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Show one cached series: provenance and its first and last rows."""
    import pandas as pd

    from forecast.errors import MissingInputError
    from forecast.sources import SOURCES
    from forecast.store import Cache, data_root
    from forecast.symbols import normalise_ticker

    try:
        symbol = normalise_ticker(ticker)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if source is not None and source not in SOURCES:
        raise UsageError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    cache = Cache(data_root(data_dir))
    found = [(s, hit) for s in ([source] if source else SOURCES) if (hit := cache.find(s, symbol, interval))]
    if not found:
        raise MissingInputError(
            f"{symbol} ({interval}) is not in the cache {cache.root}",
            hint=f"run: forecast fetch {symbol}  (or see: forecast data list)",
        )
    if as_json:
        _echo_json([meta for _, (_, meta) in found])
        return
    for _, (frame, meta) in found:
        for key, value in meta.items():
            typer.echo(f"{key:>16}: {value}")
        if rows:
            ends = frame if len(frame) <= 2 * rows else pd.concat([frame.head(rows), frame.tail(rows)])
            typer.echo(ends.to_string())
        typer.echo("")


# --- train ------------------------------------------------------------------------

ConfigPath = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config, e.g. configs/lstm.yaml.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field: section.key=value (repeatable).", show_default=False),
]
RunsDir = Annotated[
    Path | None,
    typer.Option("--runs-dir", envvar="FORECAST_RUNS_DIR", help="Runs root (default: ./runs).", show_default=False),
]


@app.command()
def train(
    config: ConfigPath = None,
    overrides: Overrides = None,
    run_dir: Annotated[
        Path | None,
        typer.Option("--run-dir", help="Resume this run: rerun only stages whose inputs or config changed."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="With --run-dir: rerun every stage.")] = False,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Train a model: snapshot -> scale -> window -> train -> evaluate -> plot, in a run directory."""
    from forecast.config import load_config
    from forecast.pipeline import run_pipeline
    from forecast.rundir import CONFIG, RunDir, runs_root
    from forecast.stages import Context
    from forecast.store import data_root

    if run_dir is not None:
        run = RunDir.open(run_dir)
        resolved = load_config(config or run.file(CONFIG), overrides)
    elif config is not None:
        resolved = load_config(config, overrides)
        run = RunDir.create(runs_root(runs_dir), resolved.name)
    else:
        raise UsageError("train needs --config CONFIG (e.g. configs/lstm.yaml) or --run-dir RUN to resume")

    def listener(stage: str, status: str, record: dict[str, Any]) -> None:
        if status == "skipped":
            typer.echo(f"{stage:<9} unchanged, skipped", err=True)
        elif status == "running":
            typer.echo(f"{stage:<9} ...", err=True)
        elif status == "done":
            typer.echo(f"{stage:<9} done in {record['seconds']:.1f} s", err=True)

    typer.echo(f"run       {run.path}", err=True)
    try:
        manifest = run_pipeline(Context(resolved, run, data_root(data_dir)), force=force, listener=listener)
    except ForecastError as exc:
        exc.message = f"{exc.message} [run {run.path} marked failed]"
        raise
    except KeyboardInterrupt:
        typer.echo(f"interrupted; resume with: forecast train --run-dir {run.path}", err=True)
        raise typer.Exit(130) from None
    metrics = json.loads(run.file("metrics.json").read_text())
    if as_json:
        _echo_json({"run": str(run.path), "status": manifest["status"], **metrics})
    else:
        _print_summary(run.path, metrics)
    if not metrics["beats_naive"]:
        log.warning(
            "the %s model is worse than the naive forecast (tomorrow = today) on the test part: "
            "do not trust its forecasts over naive",
            metrics["model"],
        )


def _num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _print_summary(path: Path, metrics: dict[str, Any]) -> None:
    model, naive, test = metrics["metrics"]["model"], metrics["metrics"]["naive"], metrics["test"]

    def row(m: dict[str, Any]) -> str:
        mape = "n/a" if m["mape"] is None else f"{m['mape']:.2f}%"
        return f"RMSE {_num(m['rmse'])}  MAE {_num(m['mae'])}  MAPE {mape}"

    verdict = "beats" if metrics["beats_naive"] else "is WORSE than"
    typer.echo(f"run       {path}")
    what = f"{metrics['symbol']} {metrics['target']}"
    typer.echo(f"test      {test['first']} .. {test['last']}, {test['windows']} windows of {what}")
    typer.echo(f"{metrics['model']:<9} {row(model)}")
    typer.echo(f"naive     {row(naive)}")
    typer.echo(f"skill     {_num(metrics['skill'], 3)}: the model {verdict} the naive forecast (tomorrow = today)")


# --- runs -------------------------------------------------------------------------

runs_app = typer.Typer(cls=TyperGroup, no_args_is_help=True, help="Inspect run directories.")
app.add_typer(runs_app, name="runs")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _run_row(path: Path) -> dict[str, Any]:
    manifest, metrics = _read_json(path / "manifest.json"), _read_json(path / "metrics.json")
    scores = metrics.get("metrics", {})
    return {
        "run": path.name,
        "path": str(path),
        "created": manifest.get("created"),
        "model": metrics.get("model"),
        "rmse": scores.get("model", {}).get("rmse"),
        "naive_rmse": scores.get("naive", {}).get("rmse"),
        "skill": metrics.get("skill"),
        "status": manifest.get("status", "unknown"),
    }


@runs_app.command("list")
def runs_list(runs_dir: RunsDir = None, as_json: JsonFlag = False) -> None:
    """List runs: name, created, model, RMSE, naive RMSE, skill, status."""
    from forecast.rundir import runs_root

    root = runs_root(runs_dir)
    rows = [_run_row(p.parent) for p in sorted(root.glob("*/config.yaml"))] if root.is_dir() else []
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        typer.echo(f"no runs under {root}; start one with: forecast train --config configs/lstm.yaml")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("run", "created", "model", "RMSE", "naive RMSE", "skill", "status")
    for r in rows:
        table.add_row(
            r["run"], (r["created"] or "")[:19], r["model"] or "-", _num(r["rmse"]), _num(r["naive_rmse"]),
            _num(r["skill"], 3), r["status"],
        )  # fmt: skip
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def resolve_run(run: str, runs_dir: Path | None) -> Path:
    from forecast.errors import MissingInputError
    from forecast.rundir import runs_root

    for candidate in (Path(run), runs_root(runs_dir) / run):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise MissingInputError(
        f"run {run!r} not found (as a path or under {runs_root(runs_dir)})", hint="see: forecast runs list"
    )


@runs_app.command("show")
def runs_show(
    run: Annotated[str, typer.Argument(help="Run directory, or its name under the runs root.")],
    runs_dir: RunsDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Show one run: status, stages, versions and metrics."""
    path = resolve_run(run, runs_dir)
    manifest, metrics = _read_json(path / "manifest.json"), _read_json(path / "metrics.json")
    if as_json:
        _echo_json({"path": str(path), "manifest": manifest, "metrics": metrics})
        return
    typer.echo(f"run       {path}")
    status, created, seed = manifest.get("status", "unknown"), manifest.get("created"), manifest.get("seed")
    typer.echo(f"status    {status}   created {created}   seed {seed}")
    typer.echo(f"data      sha256 {manifest.get('data_fingerprint')}")
    versions = manifest.get("versions", {})
    typer.echo("versions  " + "  ".join(f"{k} {v}" for k, v in versions.items() if v))
    for name, record in manifest.get("stages", {}).items():
        extra = f"  {record['error']}" if record.get("error") else ""
        typer.echo(f"  {name:<9} {record.get('status', '?'):<11} {record.get('seconds', 0):>8.1f} s{extra}")
    if metrics:
        _print_summary(path, metrics)


# --- config -----------------------------------------------------------------------

config_app = typer.Typer(cls=TyperGroup, no_args_is_help=True, help="Inspect configuration.")
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    config: Annotated[Path, typer.Argument(help="YAML config file.")],
    overrides: Overrides = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the resolved config: defaults filled in, --set applied, validated."""
    from forecast.config import dump_config, load_config

    resolved = load_config(config, overrides)
    if as_json:
        _echo_json(resolved.model_dump(mode="json"))
    else:
        typer.echo(dump_config(resolved), nl=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
