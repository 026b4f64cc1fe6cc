# serviq — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export SERVIQ_HOME ?= $(CURDIR)/var
# A demo-only key; production sets SERVIQ_PII_KEY from its secret store.
DEMO_KEY := serviq-demo-key-not-for-production

.PHONY: demo test env lint pipeline clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
		|| { echo "serviq needs Python 3.11 as $(PYTHON) (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

env: $(STAMP)

pipeline: env
	SERVIQ_PII_KEY=$${SERVIQ_PII_KEY:-$(DEMO_KEY)} $(BIN)/serviq demo --days 90 --no-serve

demo: env
	SERVIQ_PII_KEY=$${SERVIQ_PII_KEY:-$(DEMO_KEY)} $(BIN)/serviq demo --days 90 --port 8501

# two workers on a 2-core machine: builds, browsers and JVMs wait on I/O half the time
test: env
	$(BIN)/python -m pytest -n 2

lint: env
	$(BIN)/ruff check pipelines dashboard tests
	$(BIN)/ruff format --check pipelines dashboard tests
	$(BIN)/mypy pipelines dashboard

clean:
	rm -rf var target dbt_packages logs
