# The two quickstart commands. Everything installs from the package registry into .venv.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: install demo test test-deps

$(BIN)/edge: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(BIN)/edge

install: $(BIN)/edge

demo: install
	$(BIN)/edge pipeline --out runs/demo

test-deps:
	@for script in .ci/deps/*.sh; do [ -e "$$script" ] || continue; bash "$$script" || exit 1; done

test: install test-deps
	$(BIN)/python -m pytest -q
