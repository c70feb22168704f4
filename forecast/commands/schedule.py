"""`forecast schedule`: the crontab line for a retrain, with absolute paths, installed once.

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
MARK = "# forecast-retrain:"  # identifies our line, so --install never adds it twice


def check_cron(expression: str) -> str:
    fields = expression.split()
    if len(fields) != 5 or not all(FIELD.match(f) for f in fields):
        raise UsageError(
            f"--cron {expression!r} is not five cron fields (minute hour day-of-month month day-of-week)",
            hint='e.g. --cron "30 22 * * 1-5" for 22:30 on weekdays',
        )
    return " ".join(fields)


def crontab_line(
    cron: str, name: str, config: Path, log_file: Path, runs_root: Path, data_root: Path, models_root: Path
) -> str:
    log_file = log_file.resolve()
    env = " ".join(
        f"{key}={shlex.quote(str(path.resolve()))}"
        for key, path in (("FORECAST_DATA_DIR", data_root), ("FORECAST_RUNS_DIR", runs_root),
                          ("FORECAST_MODELS_DIR", models_root))
    )  # fmt: skip
    command = f"{shlex.quote(sys.executable)} -m forecast retrain --config {shlex.quote(str(config.resolve()))}"
    line = f"{env} {command} >> {shlex.quote(str(log_file))} 2>&1"
    # cron turns an unescaped % into a newline.
    return f"{check_cron(cron)} {line.replace('%', chr(92) + '%')} {MARK}{name}"


def install_line(line: str, name: str) -> bool:
    """Add `line` to the user's crontab, replacing an older line for the same model.
    Returns False when it is already there."""
    crontab = shutil.which("crontab")
    if crontab is None:
        raise MissingInputError(
            "crontab not found", hint="install cron (Debian: apt install cron), or add the line by hand"
        )
    listed = subprocess.run([crontab, "-l"], capture_output=True, text=True, timeout=30)
    current = listed.stdout.splitlines() if listed.returncode == 0 else []  # 1: no crontab yet
    if line in current:
        return False
    kept = [entry for entry in current if not entry.endswith(f"{MARK}{name}")]
    written = subprocess.run([crontab, "-"], input="\n".join([*kept, line]) + "\n", capture_output=True, text=True,
                             timeout=30)  # fmt: skip
    if written.returncode != 0:
        raise SourceUnavailableError(f"crontab refused the new table: {written.stderr.strip()}")
    return True
