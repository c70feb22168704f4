"""Walk-forward folds: a run in memory per fold (plan.py, run.py), and their report (report.py).
backtest, tune's trials and the quality benchmarks are built on them."""
