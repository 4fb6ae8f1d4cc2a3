# carebot: `make demo` and `make test` work on a fresh clone with only Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-postgres lint typecheck bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,postgres]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/carebot demo

test: $(STAMP)
	$(BIN)/python -m pytest

# The same suite on a throwaway PostgreSQL server (Debian's postgresql package, installed if
# missing) instead of SQLCipher files.
PGDIR ?= /tmp/carebot-test-pg
test-postgres: $(STAMP)
	.ci/postgres stop $(PGDIR); rm -rf $(PGDIR)
	url=$$(.ci/postgres start $(PGDIR)) && \
	  CAREBOT_TEST_POSTGRES_URL=$$url $(BIN)/python -m pytest; \
	  status=$$?; .ci/postgres stop $(PGDIR); exit $$status

lint: $(STAMP)
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy bot tests

bench: $(STAMP)
	$(BIN)/python benchmarks/plan.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
