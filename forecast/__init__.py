"""forecast: honest time-series forecasts with recurrent neural networks.

The same runs as the command line, from Python:

    import forecast
    run = forecast.train("configs/lstm.yaml", overrides=["data.source=sample"])
    run.metrics.skill, run.predictions           # metrics.json (typed), predictions.csv as a DataFrame
    run.predict(10).table                        # the next 10 steps, dated, with bands
    forecast.train(config, data=my_series)       # a pandas Series or DataFrame of your own
    forecast.tune(config, trials=30).final        # search the options, score the best once

The layout is the pipeline: data/ (fetch) -> prepare/ (encode, window) -> network/ (train)
-> scoring/ (evaluate) -> rollout/ (forecast) -> plotting; pipeline/ runs them in a run
directory (rundir/), commands/ holds one module per verb, cli/ is the shell's front door.

Names are loaded on first use: `import forecast` imports neither TensorFlow nor pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"  # pyproject.toml says the same

# name -> the module that defines it (the commands layer, the config, the errors)
_API = {
    "load_config": "forecast.config",
    "Config": "forecast.config",
    "fetch": "forecast.commands.fetch",
    "train": "forecast.commands.train",
    "resume": "forecast.commands.train",
    "evaluate": "forecast.commands.evaluate",
    "backtest": "forecast.commands.backtest",
    "compare": "forecast.commands.compare",
    "tune": "forecast.commands.tune",
    "predict": "forecast.commands.predict",
    "retrain": "forecast.commands.retrain",
    "report": "forecast.commands.report",
    "open_run": "forecast.commands.runs",
    "Run": "forecast.commands.runs",
    "Forecast": "forecast.pipeline.future",
    "ForecastError": "forecast.errors",
    "ConfigError": "forecast.errors",
    "DataError": "forecast.errors",
    "MissingInputError": "forecast.errors",
    "UsageError": "forecast.errors",
}
__all__ = [
    "Config",
    "ConfigError",
    "DataError",
    "Forecast",
    "ForecastError",
    "MissingInputError",
    "Run",
    "UsageError",
    "__version__",
    "backtest",
    "compare",
    "evaluate",
    "fetch",
    "load_config",
    "open_run",
    "predict",
    "report",
    "resume",
    "retrain",
    "train",
    "tune",
]

if TYPE_CHECKING:
    from forecast.commands.backtest import backtest
    from forecast.commands.compare import compare
    from forecast.commands.evaluate import evaluate
    from forecast.commands.fetch import fetch
    from forecast.commands.future import Forecast
    from forecast.commands.predict import predict
    from forecast.commands.report import report
    from forecast.commands.retrain import retrain
    from forecast.commands.runs import Run, open_run
    from forecast.commands.train import resume, train
    from forecast.commands.tune import tune
    from forecast.config import Config, load_config
    from forecast.errors import ConfigError, DataError, ForecastError, MissingInputError, UsageError


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'forecast' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
