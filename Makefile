# One entry point for developers and CI. Both main targets bootstrap from a fresh machine.
#   make demo   - venv + install, then trigger and follow a child build on the built-in emulator
#   make test   - venv + install + system tools, then ruff, mypy --strict and the whole test suite
#                 with a branch-coverage floor (pyproject.toml)
#   make bench  - the performance benchmark (bench/results.json, docs/performance.md figures)
#   make requirements - pin the image's dependencies with hashes (requirements/*.txt,
#                 docs/container.md) after a change to pyproject.toml

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench requirements system-deps clean

$(STAMP): pyproject.toml
	@scripts/bootstrap-venv $(VENV)
	@touch $@

demo: $(STAMP)
	@$(PY) scripts/demo.py

lint: $(STAMP)
	$(VENV)/bin/ruff check cfstep tests bench scripts
	$(VENV)/bin/ruff format --check cfstep tests bench scripts
	$(VENV)/bin/mypy

system-deps:
	@scripts/install-system-deps
	@scripts/install-node-deps

test: $(STAMP) system-deps lint
	$(VENV)/bin/pytest --cov --cov-report=term

bench: $(STAMP)
	$(PY) bench/run.py

requirements:
	@scripts/update-requirements

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
