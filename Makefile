# Two entry points, both self-contained on a fresh machine:
#   make demo   set up .venv, then fetch, train and predict on bundled sample prices (offline)
#   make test   set up .venv, then run the whole test suite (offline)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The stamp re-runs the install whenever pyproject.toml changes.
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@# Byte-compile once: where PYTHONDONTWRITEBYTECODE is set (CI sandboxes), every process would
	@# otherwise compile TensorFlow from source on import (22 s instead of 8 s here). A package file
	@# that does not compile (test fixtures in old syntax) is not an error: hence the leading -.
	-$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/forecast fetch MSFT --source sample
	$(BIN)/forecast train --config configs/lstm.yaml --source sample
	$(BIN)/forecast predict lstm --as-of 2012-12-20 --horizon 10

# One test process per core (pytest-xdist): the suite is mostly real processes and TensorFlow's
# start-up, which overlap well; worksteal keeps a long test from leaving a core idle at the end.
test: $(STAMP)
	$(BIN)/ruff check forecast tests benchmarks
	$(BIN)/python -m pytest -q -n auto --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check forecast tests benchmarks

clean-venv:
	rm -rf $(VENV)
