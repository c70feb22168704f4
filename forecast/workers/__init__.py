"""Work in other processes: one set-up, one pool, one rule for a lost worker (pool.py)."""
