"""One module per verb (train, evaluate, backtest, compare, predict, retrain, ...): typed
functions that the CLI calls and that are the Python API (re-exported from forecast/__init__.py).

A command takes a resolved config (or a run) and returns a typed result; it prints
nothing (progress goes through logging) and raises the ForecastError family.
"""
