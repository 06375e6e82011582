# Two commands do all set-up on a fresh machine:
#   make app    create .venv, install, then start the web app on the bundled corpus
#   make test   create .venv, install, then run the whole test suite (what CI runs)
# Other targets: make eval, make eval-check, make bench, make lint, make test-fast,
#   make tools (Debian packages for .doc, OCR of scans and photos, and the browser tests; needs root or sudo).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# torch==2.13.0 resolves to a CPU wheel on this project's machines (a local file).
# Elsewhere, add TORCH_INDEX=https://download.pytorch.org/whl/cpu to avoid a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=

.PHONY: install app test test-fast eval eval-check bench lint tools

# command:package pairs; a package is installed only when its command is missing.
TOOLS := chromium:chromium antiword:antiword catdoc:catdoc soffice:libreoffice-writer-nogui \
	tesseract:tesseract-ocr pdftoppm:poppler-utils ocrmypdf:ocrmypdf
tools:
	@need=""; for t in $(TOOLS); do command -v "$${t%%:*}" >/dev/null 2>&1 || need="$$need $${t##*:}"; done; \
	ls /usr/share/tesseract-ocr/*/tessdata/vie.traineddata >/dev/null 2>&1 || need="$$need tesseract-ocr-vie"; \
	test -f /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf || need="$$need fonts-liberation2"; \
	if [ -n "$$need" ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
		echo "installing:$$need"; $$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$need >/dev/null; \
	else echo "system tools present"; fi

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
