"""evaluate: baselines, metrics and significance; walk-forward backtests; comparisons."""
