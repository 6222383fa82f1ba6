# kol-warehouse: each target is an interface between two stages of the pipeline.
# `make help` lists them; the README's quick start needs only `make demo` and `make test`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
# dbt run by hand reads the same lake and warehouse as the pipeline.
export KOL_LAKE_DIR ?= $(or $(KOL_DATA_DIR),$(CURDIR)/data)/lake
export KOL_WAREHOUSE_PATH ?= $(or $(KOL_DATA_DIR),$(CURDIR)/data)/warehouse.duckdb
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/.dagster_home
DAYS ?= 14
PRESET ?= small
FAULTS ?=
START ?= $(shell date -u -d '14 days ago' +%F)
END ?= $(shell date -u -d 'yesterday' +%F)

.DEFAULT_GOAL := help
.PHONY: help setup system-deps demo dev test test-all docs docs-refresh demo-api demo-exports dbt-build dbt-parse lake-upgrade clean inbox bench bench-ingestion bench-history bench-warehouse bench-dagster bench-viral

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "kol-warehouse needs Python 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,spark]'
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp orchestration/dagster.yaml $@

setup: $(BIN)/.installed $(DAGSTER_HOME)/dagster.yaml ## Create .venv with the pinned dependencies

demo: setup ## Set up, start the demo export API and materialise the last 14 days (DAYS=n) through Dagster
	$(BIN)/python -m orchestration.demo --days $(DAYS)

dev: setup ## Open the Dagster UI (http://127.0.0.1:3000) with the demo export API running
	$(BIN)/python -m orchestration.dev

test: setup system-deps ## Run the test suite (the long reliability loops run a short sample)
	$(BIN)/pytest

test-all: setup system-deps ## Run every test, the long crash and fault loops included (docs/reliability.md)
	$(BIN)/pytest -m ''

# Debian packages that tests drive for real: Chromium for the UI test (Playwright uses it through
# executable_path: no browser is ever downloaded), PostgreSQL for the production instance test and
# a Java 17 runtime for the Spark test (pyspark's wheel brings Spark itself: no JDK or Spark
# distribution is ever downloaded). Installed only when missing, and only where apt-get may run
# (root, or sudo without a password); elsewhere those tests skip and say why.
SYSTEM_PACKAGES_MISSING = $(strip $(if $(wildcard /usr/bin/chromium),,chromium) \
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql) \
	$(if $(shell command -v java),,openjdk-17-jre-headless))

system-deps: ## Install the Debian packages the browser, PostgreSQL and Spark tests need (chromium, postgresql, openjdk-17-jre-headless) when missing
ifneq ($(SYSTEM_PACKAGES_MISSING),)
	@if [ "$$(id -u)" = 0 ]; then sudo=; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else \
	  echo "missing Debian packages: $(SYSTEM_PACKAGES_MISSING) (need root to install; their tests will skip)"; exit 0; fi; \
	  echo "installing Debian packages: $(SYSTEM_PACKAGES_MISSING)"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES_MISSING)
endif

demo-api: setup ## Serve the demo export API alone: PRESET=tiny|small|medium|large, FAULTS='weibo:http_429=0.1;...'
	$(BIN)/python -m ingestion.demo.server --preset $(PRESET) $(if $(FAULTS),--faults '$(FAULTS)')

demo-exports: setup ## Write the demo world's dashboard files and answer key: PRESET, START, END (data/demo_exports)
	$(BIN)/python -m ingestion.demo.generate --preset $(PRESET) --start $(START) --end $(END)

inbox: setup ## Land the files dropped in the inbox (KOL_INBOX_DIR, default data/inbox); see docs/unified-format.md
	$(BIN)/python -m ingestion.inbox

DOCS_PORT ?= 8080
docs: setup ## dbt docs of the marts: generate from the published warehouse, serve on DOCS_PORT (8080)
	$(BIN)/python scripts/dbt_docs.py serve --port $(DOCS_PORT)

docs-refresh: setup ## Rewrite docs/data-dictionary.md and the analyst guide's queries from the dbt YAML
	$(BIN)/python scripts/dbt_docs.py refresh

dbt-parse: setup ## Parse the dbt project (writes dbt_project/target/manifest.json)
	cd dbt_project && ../$(BIN)/dbt parse --quiet

lake-upgrade: setup ## Bring files landed under an older data contract to the current one (FORCE=1: check every file)
	$(BIN)/python -m ingestion.lake_upgrade $(if $(FORCE),--force)

dbt-build: setup lake-upgrade ## Run dbt alone over everything already landed (no Dagster)
	cd dbt_project && ../$(BIN)/dbt build

# Benchmarks are not tests: they run apart from `make test`. dlt, the ingestion benchmark's
# reference, gets a venv of its own (bench/requirements.txt, with the project's constraints):
# installed into .venv it would change what is measured (requests would parse JSON with simplejson).
BENCH_VENV := bench/.venv-dlt
BENCH_ARGS ?=

$(BENCH_VENV)/.installed: bench/requirements.txt constraints.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt -c constraints.txt
	$(BENCH_VENV)/bin/pip check --disable-pip-version-check
	@touch $@

bench: bench-ingestion bench-history bench-warehouse bench-dagster bench-viral ## Run every benchmark (bench/results/, tables in docs/benchmarks.md)
	$(BIN)/python -m bench.summary

bench-ingestion: setup $(BENCH_VENV)/.installed ## One medium day: normalise+land vs DuckDB, pull vs dlt, memory (BENCH_ARGS)
	$(BIN)/python -m bench.ingestion --dlt-python $(BENCH_VENV)/bin/python $(BENCH_ARGS)

bench-history: setup ## A year of `large` for the warehouse benchmarks (bench/.cache; built once, then reused)
	$(BIN)/python -m bench.history

bench-warehouse: bench-history ## Nightly dbt cost with 30/90/365 days of history, full rebuild vs DuckDB, backfill
	$(BIN)/python -m bench.warehouse

bench-dagster: bench-history ## The nightly job through Dagster vs the same steps directly, per stage
	$(BIN)/python -m bench.dagster_e2e

bench-viral: bench-history ## A viral day: 10 million comments dropped in the inbox, then the nightly run
	$(BIN)/python -m bench.viral

clean: ## Remove the lake, the warehouse and Dagster's run history (keeps .venv)
	rm -rf data $(DAGSTER_HOME) dbt_project/target dbt_project/logs
