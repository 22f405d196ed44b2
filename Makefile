# Two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app rumours

.PHONY: run test install db seed lint messages bench-seed clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

db: install
	mkdir -p instance
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed

run: seed
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check rumours tests bench config.py

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o rumours/translations/messages.pot .

bench-seed: install
	$(BIN)/python bench/seed.py

clean:
	rm -rf $(VENV) instance/rumours.db* .pytest_cache
