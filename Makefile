# Two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app rumours

.PHONY: run test fuzz install translations db seed lint messages bench-seed clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# The .po files are the source; the compiled .mo files are built here, never committed.
translations: install
	$(BIN)/pybabel -q compile -d rumours/translations

db: translations
	mkdir -p instance
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed

run: seed
	$(FLASK) run --host 127.0.0.1 --port 5000

# Two workers (the suite's files are shared out whole, so each keeps its module fixtures).
test: translations
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The fuzzers with ten times the cases `make test` gives them, printing their counts
# (well over an hour on two cores).
fuzz: translations
	FUZZ_RANDOM=1 FUZZ_EXAMPLES=300 FUZZ_FORM_EXAMPLES=40 FUZZ_MAX_PAGES=200 $(BIN)/python -m pytest -s tests/test_fuzz_api.py tests/test_fuzz_forms.py

lint: install
	$(BIN)/ruff check rumours tests bench config.py

# After changing user-facing strings: extract them and merge into every catalogue
# (new messages arrive empty; tests/test_translations.py fails until they are translated).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k _lp:1c,2 --no-location --sort-output -o rumours/translations/messages.pot .
	$(BIN)/pybabel update -i rumours/translations/messages.pot -d rumours/translations --no-fuzzy-matching --ignore-obsolete --width 80

bench-seed: install
	$(BIN)/python bench/seed.py

clean:
	rm -rf $(VENV) instance/rumours.db* .pytest_cache
