# One task runner for the CTG dashboard. `make run` and `make test` are the README's two commands.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup system-deps test-deps bench sample

$(STAMP): requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Debian packages: chromium (chart images, browser tests), DejaVu fonts (PDF), poppler (pdftoppm).
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium fonts-dejavu-core poppler-utils; \
	fi

setup: system-deps $(STAMP)

# LibreOffice Impress renders the bilan's PPTX title slide in the tests (test-output/bilan/).
test-deps: system-deps
	@if ! command -v soffice >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends libreoffice-impress; \
	fi

run: setup
	$(PY) -m ctg_data demo
	$(VENV)/bin/streamlit run app.py

test: test-deps $(STAMP)
	$(PY) -m pytest

sample: $(STAMP)
	$(PY) sample_data/make_sample.py

bench: $(STAMP)
	for f in bench/*.py; do $(PY) $$f || exit 1; done
