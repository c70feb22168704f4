"""Live accuracy: the forecasts predict published (log.py), scored as their actuals arrive (score.py)."""
