"""forecast tune: the search space, one trial, and the search (Optuna)."""
