"""The `forecast` command line: the app, its one error boundary, and the commands.

Thin commands (one module per concern: data, train, runs, config_cmd): parse options,
build typed config, call one function, print a summary.
`ForecastGroup.main` is the one error boundary: it turns a ForecastError (or a usage
error) into one line on stderr and a documented exit code; tracebacks only with
--verbose. Nothing heavy is imported at module level: `forecast --help` and
`forecast fetch` never import TensorFlow.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from forecast.cli.options import colour_enabled
from forecast.errors import (
    INTERRUPTED,
    TERMINATED,
    Terminated,
    UsageError,
    exit_code,
    handle_signals,
    was_interrupted,
    was_terminated,
)
from forecast.workers import imports
from forecast.workers.failure import Failure, failure
from forecast.workers.setup import THIRD_PARTY

log = logging.getLogger("forecast")
_verbose = False
_said = False  # the command's error line is printed (one command a process): a second interruption adds none


class Stopped(Exception):
    """Ctrl-C or SIGTERM, carried past typer: it turns a KeyboardInterrupt into a silent exit 130,
    SIGTERM's included. The original is the cause."""


class ForecastGroup(TyperGroup):
    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt as exc:  # typer would return it as 130, SIGTERM's too, and say nothing
            raise Stopped() from exc

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise Stopped() from exc

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
        except typer.TyperException as exc:  # typer's (vendored click's) usage errors
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message(), err=True)
                code = UsageError.exit_code
            else:
                command = ctx.command_path if ctx is not None else "forecast"
                code = _fail(exc.format_message(), f"see '{command} --help'", UsageError.exit_code, exc)
        except Stopped as exc:  # Ctrl-C or SIGTERM: the documented code, the run said interrupted
            code = _stopped(exc.__cause__ or exc)
        except typer.Abort as exc:  # click turns EOFError (and an older click KeyboardInterrupt) into Abort
            cause = exc.__cause__ or exc.__context__
            if cause is not None and not was_interrupted(cause):  # an EOFError: a file cut short, not Ctrl-C
                said = failure(cause)
                code = _fail(said.message, said.hint, said.code, cause)
            elif was_terminated(cause or exc):
                code = _fail("terminated (SIGTERM)", None, TERMINATED, exc)
            else:
                code = _fail("aborted", None, INTERRUPTED, exc)
        except Exception as exc:  # what the error is decides its line and its code (workers/failure.py)
            said = failure(exc)
            code = _fail(said.message, said.hint, said.code, exc)
        if standalone_mode:
            sys.exit(code)
        return code


def _stopped(stop: BaseException) -> int:
    return _fail("terminated (SIGTERM)" if was_terminated(stop) else "aborted", None, exit_code(stop), stop)


def _fail(message: str, hint: str | None, code: int, exc: BaseException) -> int:
    global _said
    _said = True
    if _verbose:
        traceback.print_exception(exc)
    line = Failure(message, hint, code).line()
    prefix = typer.style("error:", fg=typer.colors.RED, bold=True) if colour_enabled(sys.stderr) else "error:"
    typer.echo(f"{prefix} {line}", err=True)
    return code


app = typer.Typer(
    cls=ForecastGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Honest time-series forecasts with recurrent neural networks.",
)
data_app = typer.Typer(cls=TyperGroup, no_args_is_help=True, help="Inspect the local data cache.")
runs_app = typer.Typer(cls=TyperGroup, no_args_is_help=True, help="Inspect run directories.")
config_app = typer.Typer(cls=TyperGroup, no_args_is_help=True, help="Inspect configuration.")
models_app = typer.Typer(
    cls=TyperGroup, no_args_is_help=True, help="The model registry: champions and retrain history."
)
app.add_typer(data_app, name="data")
app.add_typer(runs_app, name="runs")
app.add_typer(config_app, name="config")
app.add_typer(models_app, name="models")


def _version(value: bool) -> None:
    if value:
        from forecast import __version__

        typer.echo(f"forecast {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs, and tracebacks on errors.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only results (stdout), warnings and errors: no progress lines.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    global _verbose
    if verbose and quiet:
        raise UsageError("--verbose and --quiet contradict each other", hint="pass one of them")
    _verbose = verbose
    _contain_library_caches()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormat(verbose))
    level = logging.DEBUG if verbose else (logging.WARNING if quiet else logging.INFO)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.captureWarnings(True)  # numpy's, Keras' and others' warnings: logged, so --verbose alone shows them
    if not verbose:
        # Third-party chatter (yfinance, TensorFlow, matplotlib) stays out of normal output.
        for name in THIRD_PARTY:
            logging.getLogger(name).setLevel(logging.ERROR)


def _contain_library_caches() -> None:
    """Matplotlib, Keras and yfinance keep caches in $HOME by default; forecast writes
    only under its own roots, so theirs go to <data root>/.cache/ unless set by the user.
    Nothing is created here: each library makes its folder when it first writes."""
    import os

    from forecast.data import library_cache

    os.environ.setdefault("MPLCONFIGDIR", str(library_cache("matplotlib")))
    os.environ.setdefault("KERAS_HOME", str(library_cache("keras")))


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


# Commands live in one module per concern; they are registered here, explicitly.
from forecast.cli import backtest, compare, config_cmd, data, doctor, models, predict, report, runs, score, train, tune  # noqa: E402

app.command()(data.fetch)
app.command()(train.train)
app.command()(train.evaluate)
app.command()(backtest.backtest)
app.command()(compare.compare)
app.command()(tune.tune)
app.command()(predict.predict)
app.command()(report.report)
app.command()(score.score)
app.command()(models.retrain)
app.command()(models.schedule)
app.command()(doctor.doctor)
data_app.command("list")(data.data_list)
data_app.command("show")(data.data_show)
runs_app.command("list")(runs.runs_list)
runs_app.command("show")(runs.runs_show)
config_app.command("show")(config_cmd.config_show)
models_app.command("list")(models.models_list)
models_app.command("show")(models.models_show)
models_app.command("promote")(models.models_promote)
models_app.command("rollback")(models.models_rollback)


def main() -> None:
    """The `forecast` command: the process is forecast's own (imports.own_process)."""
    import signal

    imports.own_process()
    handle_signals()
    try:
        app()
    except KeyboardInterrupt as exc:
        # Stopped where ForecastGroup.main cannot see it: as typer builds the commands (in the
        # first few tenths of a second), or once more while the first interruption unwinds (a
        # library's clean-up running a check after the error line was printed; seen once under
        # a loaded test suite). Its line, once, and the documented code, not a death by SIGINT
        # (-2) that cron reports as a crash.
        _leave(exit_code(exc) if _said else _stopped(exc))
    except SystemExit as done:
        if Terminated.signal is not None:  # stopped by a signal: see _leave
            _leave(done.code if isinstance(done.code, int) else 1)
        # The command is finished and its exit code decided. Python's teardown (TensorFlow's
        # takes a moment) restores each signal's default action, so a SIGTERM landing in it
        # ended a finished retrain by the signal (-15: a crash, to cron). From here on, ignored.
        for stop in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):  # SIGALRM: errors.on_unraisable's
            signal.signal(stop, signal.SIG_IGN)
        raise


def _leave(code: int) -> None:
    """End a process a signal stopped with its documented code, without the interpreter's
    teardown: TensorFlow's threads may still be running, and tearing the interpreter down under
    them died in glibc ("free(): invalid next size") once in 23 signals (issue 33). Everything the
    run needed is written by now (atomic files, the manifest marked interrupted)."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
