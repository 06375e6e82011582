# Two commands do all set-up on a fresh machine:
#   make app    create .venv, install, then start the web app on the bundled corpus
#   make test   create .venv, install, then run the whole test suite (what CI runs)
# Other targets: make eval, make eval-check, make bench, make lint, make test-fast.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# torch==2.13.0 resolves to a CPU wheel on this project's machines (a local file).
# Elsewhere, add TORCH_INDEX=https://download.pytorch.org/whl/cpu to avoid a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=

.PHONY: install app test test-fast eval eval-check bench lint

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || \
		$(PY) -m pip install "$(TORCH_SPEC)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -e ".[test]"
	$(PY) -m pip check
	touch $(STAMP)

app: $(STAMP)
	$(PY) app_gradio.py

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

eval: $(STAMP)
	$(PY) -m eval.run --dataset party-gold --split dev
	$(PY) -m eval.run --dataset alqac2023

eval-check: $(STAMP)
	$(PY) -m eval.check

bench: $(STAMP)
	$(PY) -m eval.bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
