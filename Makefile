# equiplan — the two commands are `make run` and `make test`; both depend on `make install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint format translations extract-messages clean

install: $(STAMP) translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Compiled catalogues are built here, never committed.
translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d equiplan/translations -D messages >/dev/null

run: install
	$(BIN)/equiplan db upgrade
	$(BIN)/equiplan seed demo
	$(BIN)/equiplan serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract translatable strings and merge them into the catalogues (then translate lt).
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o equiplan/translations/messages.pot .
	$(BIN)/pybabel update -i equiplan/translations/messages.pot -d equiplan/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
