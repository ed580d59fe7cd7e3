# Aftercare — the commands people type. `make run` and `make test` set everything up.
VENV    := .venv
PY      := $(VENV)/bin/python
PIP     := $(VENV)/bin/pip
FLASK   := $(VENV)/bin/flask --app wsgi
STAMP   := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: install run serve scheduler test browser-deps lint format migrate translations compile-translations bench faults screenshots clean

$(PY):
	python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q --disable-pip-version-check --upgrade pip
	$(PIP) install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) compile-translations

compile-translations: $(STAMP)
	@$(VENV)/bin/pybabel compile -d aftercare/translations >/dev/null

## run: set up, migrate the local SQLite database, load demo data once, serve app + scheduler
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl-C stops the web server and the scheduler)"
	@$(FLASK) scheduler run & scheduler=$$!; \
	  trap 'kill $$scheduler 2>/dev/null; wait $$scheduler' INT TERM EXIT; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

scheduler: install
	$(FLASK) scheduler run

## browser-deps: Debian's Chromium (Playwright drives it; no browser download) and a Korean font
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! (fc-list 2>/dev/null | grep -qi nanum); then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-nanum; \
	  else echo "Browser tests need: sudo apt-get install chromium fonts-nanum"; fi; \
	fi

## test: install what the tests need and run them all (SQLite and PostgreSQL, browser journeys),
## then the short load-with-faults run (after pytest, never beside it)
PYTEST_ARGS ?= -n 2 --dist loadgroup
test: install browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)
	$(PY) bench/faults.py --short

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: install
	$(FLASK) db upgrade

## translations: extract messages and update the catalogues (then fill in Korean)
translations: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k N_ -o aftercare/translations/messages.pot .
	$(VENV)/bin/pybabel update -i aftercare/translations/messages.pot -d aftercare/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## bench: data sets, gunicorn, wrk; writes bench/results/latest.json and latest.md
bench: install
	@command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(PY) bench/run.py $(BENCH_ARGS)
	$(PY) bench/evidence_export.py

## screenshots: the role guides' pictures (docs/guides/img) from the demo data, in Chromium
screenshots: install browser-deps
	GUIDE_SCREENSHOTS=1 $(PY) -m pytest -q -p no:cacheprovider tests/browser/test_guide_screenshots.py
	@echo "Screenshots written to docs/guides/img"

## faults: 2 minutes of mixed API traffic on a private PostgreSQL that is restarted, a worker killed
faults: install
	$(PY) bench/faults.py $(FAULTS_ARGS)
