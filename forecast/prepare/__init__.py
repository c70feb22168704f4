"""prepare: target transforms, MinMax scaling, windows, and the arrays the network sees (pure numpy)."""
