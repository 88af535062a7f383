# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when it is
# missing and reinstall only when pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench snapshots clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# pip (not uv/poetry): it finds the torch wheels that lie on this machine's disk.
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/quizapp

# lint-imports: the layers and the torch-free parent process (contracts in pyproject.toml);
# mypy: the types, strict on core/ and storage/ ([tool.mypy] in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

# What neither grades nor trains: a minute, for the edit-test loop (make test runs it all).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not grading"

snapshots: $(STAMP)
	$(BIN)/python -m pytest -q tests/tui --snapshot-update

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
