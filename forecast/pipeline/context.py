"""What every stage is given: the config, the run directory, the data cache's root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast.config import Config
from forecast.rundir import RunDir


@dataclass(frozen=True)
class Context:
    config: Config
    run: RunDir
    data_dir: Path  # the cache root, for the snapshot stage
    pretrained: Path | None = None  # a global model's run: its model is this run's (commands/universe/global_model.py)
    # The series, when the command loaded it before the run folder existed (commands/train.py): the
    # snapshot stage saves it instead of loading it a second time.
    series: pd.DataFrame | None = field(default=None, compare=False, repr=False)
