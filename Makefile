# Two entry points: `make run` and `make test`. Both build .venv themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config.example.toml
DIST ?= dist

.PHONY: run test lint typecheck browser compose bench dist clean

$(BIN)/racecal: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: $(BIN)/racecal
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/racecal
	$(BIN)/racecal run --config $(CONFIG)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

test: lint typecheck browser compose
	$(BIN)/pytest

# The plan page's browser test drives Debian's chromium. As root (CI, a fresh machine) install
# it when missing; otherwise say so: the test then skips, or fails under CI=true.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "chromium is not installed (apt-get install chromium): the browser test skips"; \
	  fi; }

# deploy/compose.yaml is rendered by Docker Compose itself when a docker client is here: as
# root, install Debian's docker-compose when the client has no compose plugin (no engine needed).
compose:
	@command -v docker >/dev/null 2>&1 || exit 0; \
	docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose \
	    || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose; }; \
	  else \
	    echo "docker compose is not installed (apt-get install docker-compose): its test skips"; \
	  fi; }

# The planner as developers run it (pure Python) and as production installs run it (compiled
# with mypyc, RACECAL_COMPILE=1; see setup.py).
bench: $(VENV)/.test-installed
	rm -rf var/compiled
	RACECAL_COMPILE=1 $(BIN)/pip install --quiet --no-build-isolation --no-deps --target var/compiled .
	$(BIN)/python bench/plan_speed.py
	PYTHONPATH=var/compiled $(BIN)/python bench/plan_speed.py

# The wheel to install elsewhere (README: "Run it as a service"), pure Python, with the example
# config and calendars as data files (share/racecal/ of the venv it is installed in).
dist: $(BIN)/racecal
	rm -rf $(DIST)
	$(BIN)/pip wheel --quiet --no-deps $(WHEEL_FLAGS) --wheel-dir $(DIST) .

clean:
	rm -rf $(VENV) var dist build .pytest_cache .mypy_cache .ruff_cache .hypothesis
