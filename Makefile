# `make run` and `make test` are the whole set-up on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint pytest bench clean

$(STAMP): pyproject.toml
	@echo ">> creating $(VENV) and installing the project (first run only)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)  ## serve the API on embedded defaults (http://127.0.0.1:8000/healthz)
	$(BIN)/wellness serve

test: lint pytest  ## everything CI checks

lint: $(STAMP)
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/sql_ingest.py
	$(BIN)/python bench/documents.py

clean:
	rm -rf $(VENV) .wellness .pytest_cache .mypy_cache .ruff_cache
