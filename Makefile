# Two entry points for a fresh clone (see README):
#   make demo   - install into .venv (first time) and run the quick default job:
#                 grow one random HNCA, evolve the smoke config, plot the run,
#                 grow and measure neutral networks of two random HNCAs
#   make test   - install into .venv (first time) and run the test suite
# More:
#   make dist        - build the sdist and the wheel into dist/
#   make check-dist  - build them, install the wheel into a clean venv without
#                      torch and run the shipped examples from another folder
#   make bench       - the rollout throughput benchmark
#   make docs        - install the docs extra (first time) and build the
#                      documentation site into site/, warnings as errors
#
# The install uses constraints.txt: the exact versions alife is tested with
# (pyproject.toml itself states ranges).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

.PHONY: demo test bench install dist check-dist docs clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	@# a .venv made before the distribution was renamed holds "alife" too
	@$(PIP) uninstall --quiet --yes alife >/dev/null 2>&1 || true
	$(PIP) install --quiet -c constraints.txt -e '.[dev,rna,bridge,dask]'
	touch $@

demo: install
	$(VENV)/bin/alife demo --seed 0 --out out/demo
	$(VENV)/bin/alife evolve smoke --out out/smoke/run.h5 --force
	$(VENV)/bin/alife plot out/smoke/run.h5 --out out/smoke --force
	$(VENV)/bin/alife neutral smoke --out out/smoke/net.h5 --force
	$(VENV)/bin/alife report out/smoke/run.h5 -o out/smoke/run_report.html --force
	$(VENV)/bin/alife report out/smoke/net.h5 -o out/smoke/net_report.html --force

test: install
	$(PY) -m pytest -q

dist: install
	rm -rf dist
	$(PY) -m build --outdir dist .

check-dist: install
	$(PY) .ci/check_dist.py

bench: install
	$(PY) benchmarks/rollout.py --json

# The site executes the tutorials (docs/tutorials/*.py) while it builds.
docs: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

$(VENV)/.docs-installed: $(VENV)/.installed
	$(PIP) install --quiet -c constraints.txt -e '.[docs]'
	touch $@

clean:
	rm -rf $(VENV) .numba_cache out .pytest_cache .hypothesis dist build site *.egg-info
