"""scoring: baselines, metrics and the Diebold-Mariano test (evaluation.py), the tables an
evaluation writes (frames.py), and walk-forward backtest folds (backtest.py)."""
