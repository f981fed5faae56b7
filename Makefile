# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test proto proto-check config-docs lint bench clean i18n

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Create the venv if missing, install, migrate and serve (embedded PostgreSQL when DATABASE_URL is unset).
run: install
	$(VENV)/bin/stack-cfo migrate up
	$(VENV)/bin/stack-cfo serve

## Run the whole test suite against a real PostgreSQL (DATABASE_URL, else embedded).
test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## Regenerate all committed code from proto/: Python (stack_cfo/_proto), Go (gen/go), TypeScript (gen/ts).
proto: install
	$(PY) scripts/gen_proto.py
	bash scripts/gen_clients.sh

## Fail when generated code is stale, buf lint/format/breaking finds anything, or the Go/TS clients do not build.
proto-check: install
	bash scripts/proto_check.sh

## Regenerate config.example.yaml and the README's configuration table from stack_cfo/config.
config-docs: install
	$(PY) -m stack_cfo.config.docs

## Re-extract translatable texts into the template and merge new ones into every catalogue (docs/i18n.md).
## The .po files are the sources: the service compiles them in memory, so there is no .mo to build.
I18N_DIR := stack_cfo/core/i18n/locale
i18n: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k n_:1,2 -k N_ --no-location --sort-output \
		--project=stack-cfo --copyright-holder=stack-cfo -o $(I18N_DIR)/stack_cfo.pot .
	$(VENV)/bin/pybabel update -i $(I18N_DIR)/stack_cfo.pot -d $(I18N_DIR) -D stack_cfo \
		--no-fuzzy-matching --width=100 --ignore-obsolete

## ruff, mypy, and the architecture rules (import-linter contracts in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check stack_cfo tests bench scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

## Every benchmark (each prints its ratio against a baseline measured in the same run).
bench: install
	@for b in bench/*.py; do case $$b in *_common.py) continue;; esac; echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
