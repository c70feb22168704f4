"""Forecasts of the real future: rollout (recursive and direct), calendar dates, conformal intervals."""
