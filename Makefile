# Two commands do all the set-up on a fresh machine with only Python:
#   make demo   - runs the main job (the quick recovery-quality benchmark)
#   make test   - runs the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint format docs bench-speed clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python demos/01_quickstart.py

test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check sparseinv tests demos benchmarks
	$(BIN)/ruff format --check sparseinv tests demos benchmarks

format: $(STAMP)
	$(BIN)/ruff format sparseinv tests demos benchmarks
	$(BIN)/ruff check --fix sparseinv tests demos benchmarks

bench-speed: $(STAMP)
	$(BIN)/python -m pip install --quiet pyproximal
	$(BIN)/python benchmarks/speed_vs_peers.py

clean:
	rm -rf $(VENV) results docs/_build
