"""network: the recurrent network. Its builders (models.py: the table of model kinds), the seeded,
early-stopped fit (training.py), and what it trains on (inputs.py, batches.py)."""
