"""forecast: honest time-series forecasts with recurrent neural networks.

The pipeline is visible in the layout: data/ (fetch), prepare/, train/, evaluate/,
plotting.py; runs/ ties the stages to a run directory; cli/ is the front door.
"""

__version__ = "0.1.0"
