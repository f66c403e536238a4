# Weft: `make run` serves the demo on the embedded default; `make test` runs the suite on
# PostgreSQL and Redis; `make lint` checks style and the layer contract.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_ENV := DJANGO_SETTINGS_MODULE=config.settings.test
PYTEST_ARGS ?=
# Tests run a second time on SQLite, the `make run` default: the console KPIs and the MRP writer
# (which takes other SQL there) and the id filters must be portable.
SQLITE_TESTS := tests/planning/console_pages/test_kpis.py tests/planning/test_mrp_runs.py \
	tests/integrations/test_bulk.py

.PHONY: run test lint format venv services browser serve bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Weft is starting on http://127.0.0.1:8000 (Ctrl-C stops it)."
	$(PY) manage.py runserver 127.0.0.1:8000

services:
	bash scripts/services.sh

# The production layout on this machine (see README "Running in production").
serve: services $(STAMP)
	bash scripts/serve.sh

browser:
	bash scripts/browser.sh

test: services browser $(STAMP)
	$(TEST_ENV) $(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)
	DATABASE_URL=sqlite:///:memory: $(TEST_ENV) $(PY) -m pytest -q -p no:xdist $(SQLITE_TESTS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
