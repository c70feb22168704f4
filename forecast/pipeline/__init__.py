"""pipeline: the stage adapters (stages.py), the runner that skips and resumes (runner.py), the
one run lifecycle (lifecycle.py), and a forecast of the real future from a run (future.py)."""
