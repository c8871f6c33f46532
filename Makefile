# Two commands on a fresh machine:  make demo   and   make test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALE := src/luoshi/locale

.PHONY: demo test install catalogues messages lint format bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Luoshi needs Python 3.11, found " + sys.version'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements/dev.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) catalogues

# Compiled with Babel (a locked dependency), so no system gettext is needed to build.
catalogues: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALE) -D django --statistics

demo: install
	$(BIN)/luoshi demo

test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Re-extract the strings (needs GNU gettext's xgettext: apt-get install gettext).
messages: $(STAMP)
	cd src/luoshi && ../../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete --no-location --settings=luoshi.settings

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python bench/run.py --part all
	$(BIN)/python bench/assessment.py
	$(BIN)/python bench/members.py
	$(BIN)/python bench/sweep.py --members 4000000
	$(BIN)/python bench/duplicates.py --n 1000000
	$(BIN)/python bench/orglife.py
	$(BIN)/python bench/orglife.py --size province

clean:
	rm -rf $(VENV) var/*.sqlite3* var/queue.sqlite3*
