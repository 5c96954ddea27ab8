# The two commands: `make run` and `make test`. Both bootstrap .venv from pyproject.toml first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench clean chromium

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sec-release needs Python 3.11 or newer; set PYTHON=... to one.")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/sec-release up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

# The browser tests drive Debian's Chromium: root with apt-get installs it; anyone else is told
# (and tests/web skips, naming the package). Never `playwright install`: it downloads a browser.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the browser tests (tests/web)"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
			|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
		else \
			echo "Note: /usr/bin/chromium is missing, so tests/web will skip; as root run: apt-get install -y chromium"; \
		fi; \
	fi

# pytest in TEST_WORKERS processes (pytest-xdist), each test file whole in one of them (its
# module fixtures, and each worker's one time-skipping server, shared as before). Two keeps
# both cores of this machine busy, as CI's neighbours would; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 0

test: lint typecheck chromium
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
