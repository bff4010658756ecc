# Net Desk — the two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Development runs: DEBUG, and the port, from which settings derive SITE_URL (the address that
# certificates' QR codes and notices print) unless SITE_URL is set.
DEV_ENV := DEBUG=1 PORT=$(PORT)
APT_GET := $(if $(filter 0,$(shell id -u)),apt-get,sudo apt-get)
# System packages: the Japanese font (PDFs), the monospaced font of the printed 認証キー,
# harfbuzz-subset (WeasyPrint subsets fonts with it; without it WeasyPrint warns on import),
# gettext (message catalogues), poppler (PDF checks);
# for the tests also certutil (an NSS database for pdfsig's trust) and zbarimg (QR codes).
RUN_DEBS := fonts-ipaexfont fonts-dejavu-core libharfbuzz-subset0 gettext poppler-utils
TEST_DEBS := $(RUN_DEBS) chromium libnss3-tools zbar-tools
BENCH_DEBS := $(TEST_DEBS) wrk

.PHONY: po run worker test bench lint typecheck format setup lock debs-run debs-test debs-bench messages clean

run: debs-run setup
	@$(DEV_ENV) $(PY) manage.py make_dev_ca
	@$(DEV_ENV) $(PY) manage.py migrate --no-input -v0
	@$(DEV_ENV) $(PY) manage.py demo
	@echo "Net Desk: http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	@$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The Celery worker and its beat (the periodic sweeps) in one process, against REDIS_URL, as
# compose's worker and beat. `make run` with the same REDIS_URL queues its tasks here; without
# REDIS_URL, `make run` runs them in-process and needs no worker. Give it the same PORT as
# `make run`: the certificates it issues print that address.
worker: setup
	@test -n "$$REDIS_URL" || { echo "make worker needs REDIS_URL, e.g." \
	  "REDIS_URL=redis://127.0.0.1:6379/0 make worker (and the same for make run)"; exit 1; }
	@mkdir -p var
	DEBUG=$${DEBUG:-1} PORT=$(PORT) $(VENV)/bin/celery -A netdesk worker --beat --loglevel=INFO \
	  --schedule=var/celerybeat-schedule

# Tests run with production-like settings (DEBUG off); the key is a throw-away one.
test: debs-test setup
	SECRET_KEY=tests-only-not-secret $(PY) -m pytest $(PYTEST_ARGS)

bench: debs-bench setup
	$(PY) bench/run.py
	$(PY) bench/issuance.py
	$(PY) bench/renewal.py
	$(PY) bench/obligee.py

lint: setup typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with the Django plugin ([tool.mypy] in pyproject.toml); the plugin sets Django up, which
# needs a SECRET_KEY (any: nothing is signed).
typecheck: setup
	SECRET_KEY=$${SECRET_KEY:-typecheck-only-not-secret} $(VENV)/bin/mypy .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

setup: $(VENV)/.installed messages

# The exact versions that passed: requirements.lock (what the image runs) and
# requirements-dev.lock (the same plus the test tools); pyproject.toml keeps the ranges.
$(VENV)/.installed: requirements-dev.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps -e .
	@touch $@

# Re-resolve both locks from pyproject.toml's ranges (after changing a dependency), then `make test`.
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --quiet \
	--custom-compile-command "make lock"
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q uv
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock

# Compiled catalogues are build output: made from the .po files whenever these change.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
messages: $(MO_FILES)
locale/%.mo: locale/%.po
	msgfmt --check -o $@ $<

define install_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq $$missing >/dev/null; \
	fi
endef

debs-run:
	$(call install_debs,$(RUN_DEBS))
debs-test:
	$(call install_debs,$(TEST_DEBS))
debs-bench:
	$(call install_debs,$(BENCH_DEBS))

clean:
	rm -rf $(VENV) var db.sqlite3 netdesk.egg-info

# Refresh the English catalogue from the Japanese source strings (then translate the new entries).
po: setup
	DEBUG=1 $(PY) manage.py makemessages -l en --no-obsolete --no-location \
	  --ignore '.venv/*' --ignore 'bench/*' --ignore 'var/*' --ignore 'tests/*' \
	  --ignore 'static/*' --ignore 'test-results/*' --ignore '.ci/*'
