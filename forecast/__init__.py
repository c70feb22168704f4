"""forecast: honest time-series forecasts with recurrent neural networks.

The pipeline is visible in the layout: sources/ and store.py (fetch), scaling.py and
windows.py (prepare), models.py and training.py (train), evaluation.py, plotting.py;
rundir.py and pipeline.py tie the stages to a run directory; cli.py is the front door.
"""

__version__ = "0.1.0"
