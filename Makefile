# Kunskapsbanken. `make run` serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
CATALOGUES := $(wildcard kb/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: run test lint format bench bench-load bench-scaling bench-search bench-loop bench-insight bench-import search loop insight import translations i18n-update clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

translations: $(COMPILED)

run: $(VENV)/.installed translations
	KB_ENV=development $(FLASK) db upgrade
	KB_ENV=development $(FLASK) kb demo
	KB_ENV=development $(FLASK) kb search drain
	@echo ""
	@echo "Kunskapsbanken körs på http://127.0.0.1:5000  (avsluta med Ctrl+C)"
	KB_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev-installed translations
	$(BIN)/python -m pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `make bench` runs every benchmark (about 20 minutes) and writes bench/report.md and
# bench/report.json; `make bench-quick` the same at small sizes into bench/quick-report.*.
# PostgreSQL: KB_BENCH_DATABASE_URL (emptied), else its own database kb_bench_report on
# 127.0.0.1, made and dropped by the run (kb/benchmarks/postgres.py); KB_BENCH_POSTGRES=off
# for SQLite only. `make bench search`, `make bench loop`, `make bench insight` or
# `make bench import` only print those figures.
.PHONY: bench-quick
BENCH_ONLY := $(filter search loop insight import,$(MAKECMDGOALS))
bench: $(VENV)/.dev-installed translations
ifeq ($(BENCH_ONLY),)
	$(BIN)/python -m kb.benchmarks
else
	$(foreach part,$(BENCH_ONLY),$(BIN)/python -m kb.bench_$(part) &&) true
endif

bench-quick: $(VENV)/.dev-installed translations
	$(BIN)/python -m kb.benchmarks --quick

search loop insight import:
	@:

# The load test (issue 10): locust with 50 users for 5 minutes against gunicorn, on SQLite +
# Whoosh and on PostgreSQL, each at demo + 100,000 experiences (about 20 minutes in all).
LOAD_SCALE ?= 100000
LOAD_SECONDS ?= 300
LOAD_USERS ?= 50
bench-load: $(VENV)/.dev-installed translations
	$(BIN)/python -m kb.benchmarks.load --backend whoosh --scale $(LOAD_SCALE) --seconds $(LOAD_SECONDS) --users $(LOAD_USERS)
	$(BIN)/python -m kb.benchmarks.load --backend postgres --scale $(LOAD_SCALE) --seconds $(LOAD_SECONDS) --users $(LOAD_USERS)

# The scaling curve (issue 10): Whoosh at 10,000 and 100,000, PostgreSQL up to 1,000,000
# experiences (about 45 minutes); bench/scaling-*.md and .json.
bench-scaling: $(VENV)/.installed translations
	$(BIN)/python -m kb.benchmarks.scaling --backend whoosh --sizes 10000,100000
	$(BIN)/python -m kb.benchmarks.scaling --backend postgres --sizes 10000,100000,1000000 --explain

bench-search: $(VENV)/.installed translations
	$(BIN)/python -m kb.bench_search

bench-loop: $(VENV)/.installed translations
	$(BIN)/python -m kb.bench_loop

bench-insight: $(VENV)/.installed translations
	$(BIN)/python -m kb.bench_insight

bench-import: $(VENV)/.installed translations
	$(BIN)/python -m kb.bench_import

i18n-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --project=Kunskapsbanken --no-location -o kb/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i kb/translations/messages.pot -d kb/translations
	$(BIN)/python -m kb.i18n_fill_source_catalogue kb/translations/sv/LC_MESSAGES/messages.po

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
