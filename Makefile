# Career Credit: `make run` serves the tool with the sandbox LMS; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The distribution's Python 3.11 where there is one: Debian's (what docs/DEPLOYMENT.md's venv
# runs on) is linked statically and built with profile-guided and link-time optimization, and
# runs the tool's pages with 12–15 % fewer instructions than a default pyenv build found first
# on PATH (benchmarks/README.md). Else the first python3.11, then python3. `make PYTHON=...`
# chooses another; an existing .venv keeps its interpreter (rm -rf .venv to change it).
PYTHON ?= $(shell command -v /usr/bin/python3.11 || command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall only when the package metadata changes: one stamp for what running needs, one for
# running plus the test tools (pytest, playwright, ruff, mypy, pip-audit, build).
META       := setup.cfg setup.py pyproject.toml
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: help install install-test run test fast fuzz

help:
	@echo "make run    install into $(VENV), migrate, load demo data, serve http://localhost:5000/sandbox"
	@echo "make test   install with the test tools, then ruff, mypy and pytest (SQLite, PostgreSQL, browser); CI=true skips nothing"
	@echo "make fast   the fast tier: pytest on SQLite without the tests marked slow or browser"
	@echo "make fuzz   the property tests with fresh randomness and 500 examples each (make test runs them derandomized)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): $(META) | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(META) | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

run: export CAREER_CREDIT_ENV = development
run: install
	$(BIN)/flask --app lti_tool db upgrade heads
	$(BIN)/flask --app lti_tool sandbox seed
	$(BIN)/flask --app lti_tool internships demo --tenant "Sandbox University"
	$(BIN)/flask --app lti_tool credit demo --tenant "Sandbox University"
	$(BIN)/flask --app lti_tool evidence sync --tenant "Sandbox University"
	@echo
	@echo "  Career Credit is running. Open the sandbox LMS: http://localhost:5000/sandbox"
	@echo
	FLASK_DEBUG=0 $(BIN)/flask --app lti_tool run --host 127.0.0.1 --port 5000

test: install-test
	$(BIN)/python scripts/run_tests.py

fast: install-test
	TEST_DATABASE_URL= $(BIN)/python -m pytest -m "not slow and not browser" -q

fuzz: install-test
	HYPOTHESIS_PROFILE=fuzz TEST_DATABASE_URL= $(BIN)/python -m pytest tests/property -q
