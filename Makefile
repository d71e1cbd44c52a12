# Two commands do all the set-up on a fresh machine with only Python:
#   make demo   - runs the main job (the quick recovery-quality benchmark)
#   make test   - runs the test suite (the MPI tests under mpiexec -n 2 and -n 3 included)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint format docs bench-speed bench-batched clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,mpi]"
	touch $(STAMP)

# the quick recovery-quality benchmark (same code as `sparseinv bench --suite full`)
demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/sparseinv bench --suite quick --out results

# one BLAS thread: the test problems are small, and threaded BLAS on a shared
# 2-core machine made a 60x150 complex matvec take 12 ms instead of 10 µs
test: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MPLBACKEND=Agg $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check conftest.py sparseinv tests demos benchmarks
	$(BIN)/ruff format --check conftest.py sparseinv tests demos benchmarks

format: $(STAMP)
	$(BIN)/ruff format conftest.py sparseinv tests demos benchmarks
	$(BIN)/ruff check --fix conftest.py sparseinv tests demos benchmarks

# sparseinv against skglm, celer, scikit-learn, pylops and pyproximal (issue 11), and
# batched right-hand sides against a loop and pylops (issue 9); one BLAS thread;
# ARGS="--quick" for a smoke run, e.g. make bench-speed ARGS="--problems p1,p3 --repeat 3"
BENCH_ENV := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 MPLBACKEND=Agg

bench-speed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BENCH_ENV) $(BIN)/python benchmarks/speed_vs_peers.py $(ARGS)

bench-batched: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BENCH_ENV) $(BIN)/python benchmarks/batched_rhs.py $(ARGS)

# the HTML documentation, its gallery built by running every demo with --quick;
# single-threaded BLAS: the demos' vectors are too small to gain from threads
docs: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	OPENBLAS_NUM_THREADS=1 MPLBACKEND=Agg \
		$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) results docs/_build
