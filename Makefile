# CRM Analytics Suite. `make report` then `make test` is all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RAW    := data/raw
PERIOD ?=
FROM   ?=
TO     ?=

.DEFAULT_GOAL := help
.PHONY: help setup data report backfill lab lint test bench clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  make %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  variables: PERIOD=YYYY-MM (report), FROM=YYYY-MM TO=YYYY-MM (backfill)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -c "from crmlib import catalogue; catalogue.compile_catalogues()"
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install crmlib with its tools (does nothing when up to date)

data: setup ## load data/raw into the warehouse; synthetic sample data only when there is no data at all
	$(BIN)/crm data

report: data ## run every stage for PERIOD (default: latest complete month); HTML goes to reports/
	$(BIN)/crm run $(if $(PERIOD),--period $(PERIOD))

backfill: data ## run the report for every month FROM..TO
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make backfill FROM=YYYY-MM TO=YYYY-MM"; exit 2; }
	$(BIN)/crm backfill --from $(FROM) --to $(TO)

lab: setup ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: setup ## ruff (lint and format) and mypy: the code must pass them
	$(BIN)/ruff check crmlib tests benchmarks
	$(BIN)/ruff format --check crmlib tests benchmarks
	$(BIN)/mypy

test: lint ## lint, then the tests (unit, notebook, end-to-end, PostgreSQL source, browser)
	$(BIN)/python -m pytest

bench: setup ## run the benchmarks; they print figures
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## remove the reports, the warehouse and synthetic sample data (never your own files in data/raw)
	rm -rf data/warehouse.duckdb data/warehouse.duckdb.lock reports/* reports/.staging-* reports/.failed
	@if [ -f $(RAW)/.synthetic-sample ]; then rm -rf $(RAW) data/lists; fi
