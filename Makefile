# Two commands do all the set-up on a fresh machine with only Python and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench package clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/formabot start

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy domain
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/archive_sweep.py

# The wheel, built as `pip install` builds it: fails on any deprecation warning of pyproject.toml.
package: $(STAMP)
	@out=$$(mktemp -d); \
	if ! $(BIN)/pip wheel --no-deps -w $$out . >$$out/log 2>&1 || grep -i deprecat $$out/log; then \
		cat $$out/log; rm -rf $$out; exit 1; fi; \
	echo "wheel built, no deprecation warning: $$(cd $$out && ls *.whl)"; rm -rf $$out

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
