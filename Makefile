# The two commands of the README: `make run` and `make test`. Each sets up .venv on a fresh machine.
# What to install is declared once, in pyproject.toml; the exact versions are pinned in requirements.lock
# (running) and requirements-dev.lock (tests and tools), generated from it by `make lock`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= 8501
UV := uv~=0.13.8

.PHONY: run test lint lock venv clean screenshots

# Running needs only the runtime dependencies; the project itself is installed editable (the `samenhier`
# command runs this checkout's code) and without dependencies (they come from the lock file).
$(RUN_STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --editable .
	touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP) requirements-dev.lock
	$(PY) -m pip install --quiet -r requirements-dev.lock
	touch $(DEV_STAMP)

venv: $(DEV_STAMP)

run: $(RUN_STAMP)
	$(VENV)/bin/samenhier run --port $(PORT)

test: $(DEV_STAMP)
	$(PY) -m pytest

# ruff check (with the complexity budget C901, see pyproject.toml) and the formatting check.
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Pin every dependency again after changing pyproject.toml (uv's resolver; universal: the same lock for
# Linux, macOS and Windows). `make lock UPGRADE=1` also moves the pins to the newest allowed releases.
lock: $(RUN_STAMP)
	$(PY) -m pip install --quiet '$(UV)'
	$(PY) -m uv pip compile pyproject.toml --universal --python-version 3.11 --quiet $(if $(UPGRADE),--upgrade) \
		--custom-compile-command "make lock" -o requirements.lock
	$(PY) -m uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --quiet $(if $(UPGRADE),--upgrade) \
		--custom-compile-command "make lock" -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache

# Refresh docs/screenshots/*.png from the running app on the shared workbook (needs Debian's chromium).
screenshots: $(DEV_STAMP)
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)
	$(PY) tools/screenshots.py
