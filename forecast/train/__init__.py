"""train: Keras model builders and the seeded, early-stopped fit."""
