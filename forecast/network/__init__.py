"""network: the recurrent network. Its builders (models.py: the table of model kinds), the seeded,
early-stopped fit (training.py, with loop.py after each epoch), and what it trains on (inputs.py,
epochs.py, batches.py)."""
