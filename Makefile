# `make run` and `make test` are the whole set-up on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint pytest bench differential clean

$(STAMP): pyproject.toml
	@echo ">> creating $(VENV) and installing the project (first run only)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)  ## serve the API on embedded defaults; the first start loads the demo data and accounts
	$(BIN)/wellness serve --demo

test: lint pytest  ## everything CI checks

lint: $(STAMP)
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

# The long differential run for nightly use: the embedded store against the Firestore emulator on
# many generated documents and queries, with a new seed each run (printed; set it to reproduce).
DIFFERENTIAL_EXAMPLES ?= 5000
differential: $(STAMP)
	@seed=$${WELLNESS_DIFFERENTIAL_SEED:-$$(date +%s)}; echo ">> differential: $(DIFFERENTIAL_EXAMPLES) examples, WELLNESS_DIFFERENTIAL_SEED=$$seed"; \
	WELLNESS_DIFFERENTIAL_EXAMPLES=$(DIFFERENTIAL_EXAMPLES) WELLNESS_DIFFERENTIAL_SEED=$$seed \
	$(BIN)/python -m pytest -q -o timeout=0 --hypothesis-show-statistics tests/database/documents/test_differential.py

bench: $(STAMP)
	$(BIN)/python bench/sql_ingest.py
	$(BIN)/python bench/documents.py

clean:
	rm -rf $(VENV) .wellness .pytest_cache .mypy_cache .ruff_cache .hypothesis .cache
