"""reports: report.html, a run's results on one self-contained page (build.py), from parts (html.py)."""
