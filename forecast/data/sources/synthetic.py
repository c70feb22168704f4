"""The classic SimpleRNN tutorial series: sin(0.02 t) + 2 U(0, 1) noise, seeded.

Dated daily from 2000-01-01 (minute bars above 90,000 points) so that every stage,
plot and forecast handles it like any other series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.data.sources import DataRequest, Fetched
from forecast.data.sources.shared import restrict


def sine_with_noise(points: int, seed: int) -> np.ndarray:
    t = np.arange(points, dtype="float64")
    rng = np.random.default_rng(seed)
    return np.sin(0.02 * t) + 2.0 * rng.random(points)


def fetch(config: DataRequest) -> Fetched:
    # Daily dates would pass pandas' last date (2262) beyond ~95,000 points: longer
    # series (for memory and speed benchmarks) are minute bars instead.
    freq = "D" if config.points <= 90_000 else "min"
    index = pd.date_range("2000-01-01", periods=config.points, freq=freq, name="date")
    frame = pd.DataFrame({"value": sine_with_noise(config.points, config.seed)}, index=index)
    return Fetched(restrict(frame, config), (), f"forecast synthetic sine (seed {config.seed})")
