"""prepare: the model's columns and split (series.py), target transforms, windows, and the Encoding
that turns them into what the network sees and its output back into levels (encoding.py)."""
