# Lara: `make run` serves the product, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LARA_PORT ?= 8000

.PHONY: run test lint bench train clean

$(VENV)/.run-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.run-installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.run-installed
	LARA_PORT=$(LARA_PORT) $(BIN)/lara run --port $(LARA_PORT)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench

train: $(VENV)/.run-installed
	$(BIN)/lara train

clean:
	rm -rf var/test* .pytest_cache .mypy_cache .ruff_cache
