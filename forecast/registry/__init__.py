"""The model registry and cron-grade retraining: models/<name>/champion.json and history.jsonl."""
