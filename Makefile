# Two commands on a fresh machine: `make run` serves the app, `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install browser lint bench clean

run: install  ## create the venv if needed, install, migrate (on start) and serve http://localhost:5555
	$(VENV)/bin/study serve

test: install browser  ## install what tests need (Debian chromium included) and run them
	$(PY) -m pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first (it lies on local disk): otherwise pip pulls a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

browser:  ## Debian's chromium for the real-browser tests (Playwright cannot download browsers here)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

lint: install  ## ruff (lint + format) on everything, plain mypy on src/
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

bench: install  ## print the benchmark figures (not part of `make test`)
	$(PY) bench/tracker_pages.py

clean:
	rm -rf $(VENV) .pytest_cache
