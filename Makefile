# The two set-up commands of the README:
#   make demo   headless end-to-end run on the bundled samples
#   make test   the full test suite (GUI tests under Xvfb)
# Both create .venv/ and install what they need, Debian packages included.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint system-deps-base system-deps-gui benchmarks default-model clean

demo: $(INSTALLED)
	$(BIN)/steelseg demo --out demo_output

# GUI test files run one process each: with PySide6 6.12 a garbage collection after many
# napari viewers have lived in one process can abort the interpreter ("none_dealloc").
PYTEST := xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/python -m pytest -p no:cacheprovider

test: system-deps-gui $(INSTALLED) lint
	$(PYTEST) tests/core tests/cli tests/qt
	for file in tests/napari/test_*.py; do $(PYTEST) $$file || exit 1; done

# Style (ruff format + lint) and the architecture's import rules (import-linter contracts in pyproject.toml).
lint: $(INSTALLED)
	$(BIN)/ruff format --check --quiet .
	$(BIN)/ruff check --quiet .
	$(BIN)/lint-imports --no-cache

benchmarks: $(INSTALLED)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

# Retrains the bundled default model (resources/models/ferrite-pearlite) with steelseg train.
default-model: $(INSTALLED)
	$(BIN)/python scripts/make_default_model.py

system-deps-base:
	bash scripts/system-deps.sh base

system-deps-gui:
	bash scripts/system-deps.sh gui

$(INSTALLED): pyproject.toml constraints.txt | system-deps-base
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(INSTALLED)

clean:
	rm -rf $(VENV) demo_output benchmark_output
