# One command per job. `make install` once, then `make example` (the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test test-fast example bench clean

# A virtual environment with the CPU build of torch (installed first, so no CUDA build is pulled in),
# the package in editable mode with its test extras, and WordNet for the synonym transforms.
install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	bash scripts/install-wordnet.sh

# The project's tests, slow ones included (what CI runs).
test:
	$(BIN)/python -m pytest -n 2 --run-slow --durations=20

# The fast default suite.
test-fast:
	$(BIN)/python -m pytest -n 2

# The main job: the example robustness suite against the offline reference model.
example:
	$(BIN)/python -m pytest examples/

bench:
	$(BIN)/python bench/execution.py
	$(BIN)/python bench/transforms.py
	$(BIN)/python bench/generation.py --device cpu --small

clean:
	rm -rf .recode-cache .pytest_cache .hypothesis build dist *.egg-info
