"""fetch: where series come from (sources/) and the local cache (store.py)."""
