"""What follows a complete run: its report.html and, when asked, an MLflow run.

Neither changes a result, so neither is a stage: both are views of the finished run,
rebuilt at will with `forecast report RUN [--mlflow]`.
"""

from __future__ import annotations

import logging

from forecast.config import Config
from forecast.runs.rundir import RunDir

log = logging.getLogger(__name__)


def finish(run: RunDir, config: Config) -> None:
    from forecast import tracking
    from forecast.report.build import write_report

    tracked = None
    if config.mlflow.enabled:
        try:
            tracked = tracking.start(run, config)
        except Exception as exc:  # a tracking server down must not turn a finished run into a failure
            log.warning(
                "MLflow: could not log %s to %s (%s: %s); the run itself is complete; retry with: "
                "forecast report %s --mlflow", run.path, tracking.tracking_uri(config, run), type(exc).__name__, exc,
                run.path,
            )  # fmt: skip
    if config.plot.report:
        write_report(run)
    if tracked is not None:
        tracking.finish_run(*tracked, run)
        log.info("MLflow: logged %s as run %s", run.path.name, tracked[1])
