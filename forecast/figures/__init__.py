"""Figures, one module per kind of run: one style (style.py), PNGs only, never a window."""
