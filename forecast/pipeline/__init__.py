"""runs: the run directory (rundir.py), the stage adapters (stages.py) and the runner (pipeline.py)."""
