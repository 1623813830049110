# Two commands set up a fresh machine: `make serve` and `make test`.
# Each creates .venv and installs what it needs; stamps skip reinstalling
# until pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint typecheck unit bench install dev clean fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-fuzz: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[fuzz]'
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

serve: install
	$(BIN)/landingzone serve

lint: dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: dev
	$(BIN)/mypy

# Two processes (pytest-xdist), a test file each at a time: the suite is CPU-bound and
# took 19 minutes on one core of the 2-core CI machine, 11 on both (session 8, measured).
unit: dev
	$(BIN)/pytest -q -n 2 --dist loadfile

test: lint typecheck unit

bench: dev
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.validation --large-mib 5120
	$(BIN)/python -m bench.uploadapi
	$(BIN)/python -m bench.push
	$(BIN)/python -m bench.put_memory
	$(BIN)/python -m bench.admin_catalog

# Fuzz the validator for FUZZ_SECONDS (atheris/libFuzzer); new inputs go to
# .fuzz-corpus/, a crash or disagreement to crash-* in this directory.
FUZZ_SECONDS ?= 60
fuzz: $(VENV)/.installed-fuzz
	mkdir -p .fuzz-corpus
	$(BIN)/python fuzz/fuzz_validator.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 .fuzz-corpus fuzz/seeds

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
