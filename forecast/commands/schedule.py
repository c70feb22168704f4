"""`forecast schedule`: the crontab lines of a model's routine, with absolute paths, installed once:

    evening   forecast retrain --config C; forecast predict --model NAME --no-plot   (the pair)
    weekly    forecast score NAME   (exit 3 on drift: cron mails the output of a failing job)


cron runs commands with a minimal environment (no virtualenv, PATH=/usr/bin:/bin, the
home directory as working directory), so the line names everything absolutely: the
environment's Python, the config, the data, runs and models roots and the log file.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from forecast.errors import MissingInputError, SourceUnavailableError, UsageError

FIELD = re.compile(r"^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$")
MARK = "# forecast-retrain:"  # identifies our lines, so --install never adds one twice
SCORE_MARK = "# forecast-score:"


def check_cron(expression: str) -> str:
    fields = expression.split()
    if len(fields) != 5 or not all(FIELD.match(f) for f in fields):
        raise UsageError(
            f"--cron {expression!r} is not five cron fields (minute hour day-of-month month day-of-week)",
            hint='e.g. --cron "30 22 * * 1-5" for 22:30 on weekdays',
        )
    return " ".join(fields)


def crontab_line(
    cron: str,
    name: str,
    config: Path,
    log_file: Path,
    runs_root: Path,
    data_root: Path,
    models_root: Path,
    predict: bool = True,
) -> str:
    """The evening: retrain, then (predict) publish the champion's forecast into the forecast log,
    whatever retrain decided (";": an evening with no new bar still forecasts from the champion)."""
    roots = (data_root, runs_root, models_root)
    commands = [_command(roots, "retrain", "--config", str(config.resolve()), log=log_file)]
    if predict:
        commands.append(_command(roots, "predict", "--model", name, "--no-plot", log=log_file))
    return _line(cron, "; ".join(commands), f"{MARK}{name}")


def score_line(cron: str, name: str, log_file: Path, runs_root: Path, data_root: Path, models_root: Path) -> str:
    """The weekly check of the published forecasts: exit 3 on drift."""
    command = _command((data_root, runs_root, models_root), "score", name, log=log_file)
    return _line(cron, command, f"{SCORE_MARK}{name}")


def _command(roots: tuple[Path, Path, Path], *args: str, log: Path) -> str:
    # Every command gets the roots: in cron, variables before a command are that command's own.
    keys = ("FORECAST_DATA_DIR", "FORECAST_RUNS_DIR", "FORECAST_MODELS_DIR")
    env = " ".join(f"{key}={shlex.quote(str(path.resolve()))}" for key, path in zip(keys, roots, strict=True))
    command = " ".join([shlex.quote(sys.executable), "-m", "forecast", *map(shlex.quote, args)])
    return f"{env} {command} >> {shlex.quote(str(log.resolve()))} 2>&1"


def _line(cron: str, commands: str, mark: str) -> str:
    # cron turns an unescaped % into a newline.
    return f"{check_cron(cron)} {commands.replace('%', chr(92) + '%')} {mark}"


def install_line(line: str, mark: str) -> bool:
    """Add `line` to the user's crontab, replacing an older line with the same mark (the same
    model's evening, or its weekly score). Returns False when it is already there."""
    crontab = shutil.which("crontab")
    if crontab is None:
        raise MissingInputError(
            "crontab not found", hint="install cron (Debian: apt install cron), or add the line by hand"
        )
    listed = subprocess.run([crontab, "-l"], capture_output=True, text=True, timeout=30)
    current = listed.stdout.splitlines() if listed.returncode == 0 else []  # 1: no crontab yet
    if line in current:
        return False
    kept = [entry for entry in current if not entry.endswith(mark)]
    written = subprocess.run(
        [crontab, "-"], input="\n".join([*kept, line]) + "\n", capture_output=True, text=True, timeout=30
    )
    if written.returncode != 0:
        raise SourceUnavailableError(f"crontab refused the new table: {written.stderr.strip()}")
    return True
