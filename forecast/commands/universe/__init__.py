"""Universes: one config naming many symbols, fanned out to one run per symbol.

config/universe.py turns a universe config into one ordinary config per symbol;
executors.py runs a job per member in parallel processes or on Ray; jobs.py is what a
worker runs (train or retrain of one member); global_model.py trains one global model on
windows pooled from every member; fanout.py ties them into train and retrain. Each
member's run is an ordinary run: predict, compare, evaluate and the registry treat it
like any other.
"""

from forecast.commands.universe.fanout import Universe, retrain_universe, train_universe

__all__ = ["Universe", "retrain_universe", "train_universe"]
