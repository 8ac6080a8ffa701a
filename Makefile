# Set-up is two commands: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench compare profile docs clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/chatroute simulate

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests examples benchmarks
	$(VENV)/bin/ruff format --check src tests examples benchmarks
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/bench_route.py
	$(PY) benchmarks/bench_memory.py
	$(PY) benchmarks/bench_sim.py
	$(PY) benchmarks/probe_floor.py
	$(PY) benchmarks/bench_shared.py

# Old and new code in one run, alternating (OLD: a commit; default the code before issue 14's redesign)
compare: $(STAMP)
	$(PY) benchmarks/compare.py $(if $(OLD),--old $(OLD))

profile: $(STAMP)
	$(PY) -m cProfile -s tottime benchmarks/bench_route.py --sizes 10000 | head -60

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) build dist site .pytest_cache .hypothesis .mypy_cache .ruff_cache
