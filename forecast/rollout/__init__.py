"""rollout: forecasts from a trained network. The one forecast path (rollout.py: direct and
recursive), forecasts of a run's windows and their conformal bands (intervals.py, conformal.py),
and the dates of future steps (calendar.py)."""
