# The commands a newcomer needs. `make run` starts the platform with its
# demonstration data; `make test` runs the whole test suite.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= development.ini
PLUGINS := $(wildcard plugins/*/setup.cfg)
# Every module's package (a folder with __init__.py), for mypy: a new module needs no edit here.
MODULE_PACKAGES := $(patsubst %/__init__.py,%,$(wildcard plugins/*/cagou_*/__init__.py))
INSTALLED := $(VENV)/.installed

.PHONY: run serve install test test-postgresql lint bench clean help

help:
	@echo "make run    - installe, migre, charge la démo et sert http://localhost:6543"
	@echo "make test   - installe les paquets Debian des tests s'il en manque, puis lance toute la suite (SQLite)"
	@echo "make lint   - ruff, mypy et contrats d'imports"
	@echo "make bench  - mesures de performance (voir bench/README.md)"

run: install
	$(BIN)/cagou -c $(CONFIG) db upgrade
	$(BIN)/cagou -c $(CONFIG) demo
	$(MAKE) serve

# The worker runs beside the web server and stops with it. production.ini is
# served by gunicorn (gunicorn.conf.py), the others by pserve and waitress.
serve:
	$(BIN)/cagou -c $(CONFIG) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	case "$(notdir $(CONFIG))" in \
	  production*) $(BIN)/gunicorn --config gunicorn.conf.py --paste $(CONFIG) ;; \
	  *) $(BIN)/pserve $(CONFIG) ;; \
	esac

install: $(INSTALLED) node_modules/.package-lock.json

$(INSTALLED): platform/setup.cfg $(PLUGINS) requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e platform $(foreach p,$(PLUGINS),-e $(dir $(p))) -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The Debian packages the tests need are installed first (.ci/system-packages),
# or the run stops saying how to get them. A browser or directory test that
# cannot run then fails instead of being skipped (cagou.testing);
# `make test CAGOU_REQUIRE_EVERY_TEST=0` runs the others without them.
test test-postgresql: export CAGOU_REQUIRE_EVERY_TEST ?= 1

# A module that carries its own tests (plugins/NAME/tests, as `cagou module new` writes them)
# runs them in a pytest of its own, after the core's: its conftest chooses the modules of its
# platform, once per session.
MODULE_TESTS := $(wildcard plugins/*/tests)
POSTGRESQL_URL = $${CAGOU_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}

test: install
	.ci/system-packages
	$(BIN)/pytest $(PYTEST_ARGS)
	$(foreach tests,$(MODULE_TESTS),$(BIN)/pytest $(PYTEST_ARGS) $(dir $(tests)) &&) true

test-postgresql: install
	.ci/system-packages
	CAGOU_TEST_DATABASE_URL=$(POSTGRESQL_URL) $(BIN)/pytest $(PYTEST_ARGS)
	$(foreach tests,$(MODULE_TESTS),CAGOU_TEST_DATABASE_URL=$(POSTGRESQL_URL) $(BIN)/pytest $(PYTEST_ARGS) $(dir $(tests)) &&) true

lint: install
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy platform/cagou $(MODULE_PACKAGES)
	$(BIN)/lint-imports
	@# A module made by `cagou module new` keeps its import contracts in its own setup.cfg.
	for config in $(PLUGINS); do \
	  if grep -q '^\[importlinter\]' $$config; then $(BIN)/lint-imports --config $$config || exit 1; fi; \
	done

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/audit_cpu.py
	$(BIN)/python bench/helpdesk.py
	$(BIN)/python bench/helpdesk_cpu.py
	$(BIN)/python bench/processes.py
	$(BIN)/python bench/aids.py
	$(BIN)/python bench/aids_cpu.py

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
