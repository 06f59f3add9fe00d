# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app tracker
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Test processes (pytest-xdist); each gets its own throw-away databases.
PYTEST_WORKERS ?= 2
# Links printed by the seed and written into mail point at the dev server.
export TRACKER_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test migrate seed bench loadtest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall only when the package metadata changes.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed setup.cfg
	$(BIN)/pip install -q -e '.[test]'
	touch $@

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed --if-empty

run: seed
	$(FLASK) serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

$(VENV)/.installed-load: $(VENV)/.installed setup.cfg
	$(BIN)/pip install -q -e '.[load]'
	touch $@

# 200 simulated people for LOADTEST_DURATION seconds against gunicorn (4 workers) + the
# scheduler + PostgreSQL with the 100k-project ledger (docs/loadtest.md); LOADTEST_ARGS
# for more options (bench/loadtest.py --help).
LOADTEST_DURATION ?= 300
loadtest: $(VENV)/.installed-load
	$(BIN)/python bench/loadtest.py --duration $(LOADTEST_DURATION) $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
