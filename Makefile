# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test lint translations i18n-update clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

CATALOGUES := $(wildcard app/translations/*/LC_MESSAGES/messages.po)

translations: $(CATALOGUES:.po=.mo)

# Compiled only when the catalogue changed: .ci/run's lanes run side by side
# and must not rewrite a file the other lane is reading.
app/translations/%/LC_MESSAGES/messages.mo: app/translations/%/LC_MESSAGES/messages.po | $(VENV)/.runtime
	$(BIN)/pybabel compile -d app/translations -l $*

run: $(VENV)/.runtime translations
	$(BIN)/flask db upgrade
	$(BIN)/flask content sync
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev translations
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check app tests bench config.py

# Refresh the catalogues after changing user-facing strings.
i18n-update: $(VENV)/.runtime
	$(BIN)/pybabel extract -F app/translations/babel.cfg -k _l -k lazy_gettext -k N_ -k M -o app/translations/messages.pot --no-location --sort-output --no-wrap .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete --no-wrap

clean:
	rm -rf $(VENV) .pytest_cache
