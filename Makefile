# Two entry points for a fresh clone (see README):
#   make demo   - install into .venv (first time) and run the quick default job:
#                 grow one random HNCA, evolve the smoke config, plot the run,
#                 grow and measure neutral networks of two random HNCAs
#   make test   - install into .venv (first time) and run the test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

.PHONY: demo test bench install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,rna,bridge,dask]'
	touch $@

demo: install
	$(VENV)/bin/alife demo --seed 0 --out out/demo
	$(VENV)/bin/alife evolve experiments/smoke/evolve.toml --out out/smoke/run.h5 --force
	$(VENV)/bin/alife plot out/smoke/run.h5 --out out/smoke
	$(VENV)/bin/alife neutral experiments/smoke/neutral.toml --out out/smoke/net.h5 --force
	$(VENV)/bin/alife report out/smoke/run.h5 -o out/smoke/run_report.html --force
	$(VENV)/bin/alife report out/smoke/net.h5 -o out/smoke/net_report.html --force

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/rollout.py --json

clean:
	rm -rf $(VENV) .numba_cache out .pytest_cache .hypothesis
