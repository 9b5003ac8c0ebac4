# SRX: `make run` serves the demo, `make test` runs the whole suite. Nothing else is needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: run test install translations migrate seed bench lint clean serve

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/pybabel compile -d marketplace/translations >/dev/null 2>&1
	touch $@

install: $(BIN)/.installed

translations: install
	$(BIN)/pybabel compile -d marketplace/translations >/dev/null 2>&1

migrate: install
	$(BIN)/srx db upgrade

seed: migrate
	$(BIN)/srx seed --if-empty

## run: install, migrate, load the demo and serve it at http://$(HOST):$(PORT), with the job worker (Ctrl-C stops both)
run: translations seed
	$(BIN)/srx search reindex --quiet
	@echo "SRX demo at http://$(HOST):$(PORT)  (demo logins: see README.md); the job worker runs beside it"
	SRX_DEMO=1 BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) sh scripts/run.sh

## serve: production-style, gunicorn with gunicorn.conf.py (set DATABASE_URL, MEILI_URL, SECRET_KEY; WEB_CONCURRENCY)
serve: translations migrate
	$(BIN)/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT) 'marketplace:create_app()'

# axe-core for the accessibility checks of the browser tests (skipped, and they say so, without Node.js)
node_modules/.installed: package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "warning: npm not found; the accessibility checks will skip"; fi

## test: the whole suite (PostgreSQL leg when TEST_DATABASE_URL is set, Meilisearch when MEILI_URL is set)
test: translations node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

## lint: ruff (rules and format) and mypy (strict on the libraries, a ratchet on the app); CI runs it first
LINT_PATHS := marketplace matching search tests bench migrations scripts
FORMAT_PATHS := marketplace matching search bench migrations scripts tests
lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(FORMAT_PATHS)
	$(BIN)/python scripts/mypy_ratchet.py

clean:
	rm -rf $(VENV) instance .pytest_cache
