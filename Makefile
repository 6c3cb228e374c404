# One task runner for the CTG dashboard. `make run` and `make test` are the README's two commands.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup system-deps test-deps bench sample readme-format

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
	@# PostgreSQL: the storage, editing and rights tests also run on a throwaway server.
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends postgresql; \
	fi

# `make run` listens on this machine only (127.0.0.1): in local mode nobody else reaches it, and
# in shared mode (CTG_MODE=partage) the HTTPS reverse proxy runs on the same machine (README,
# « Déploiement partagé »). ADRESSE=0.0.0.0 only for a proxy on another machine of a closed
# network. The example is loaded only in local mode.
ADRESSE ?= 127.0.0.1
PORT ?= 8501

run: setup
	@if [ "$${CTG_MODE:-local}" != partage ]; then $(PY) -m ctg_data demo; fi
	$(VENV)/bin/streamlit run app.py --server.address $(ADRESSE) --server.port $(PORT)

# tests/with_postgresql.sh starts a throwaway PostgreSQL cluster (127.0.0.1, temporary folder,
# removed at the end) and sets CTG_TEST_DATABASE_URL for the duration of the tests.
# Two workers (the machine has two cores), one test file per worker at a time: the browser
# tests of a file share their server. PYTEST_ARGS= runs the suite in one process.
PYTEST_ARGS ?= -n 2 --dist loadfile
test: test-deps $(STAMP)
	bash tests/with_postgresql.sh $(PY) -m pytest $(PYTEST_ARGS)

sample: $(STAMP)
	$(PY) sample_data/make_sample.py

# The README's « Format du classeur CTG » section, rewritten from ctg_data/schemas.py
# (tests/test_writing.py fails while it is out of date).
readme-format: $(STAMP)
	$(PY) -c "from ctg_data.writing import update_readme_format; update_readme_format('README.md')"

# The Caf-scale data (bench/data/, git-ignored) is generated first; bench_caf_scale.py writes
# bench/results.md.
bench: $(STAMP)
	$(PY) bench/make_caf_data.py
	for f in bench/bench_*.py; do $(PY) $$f || exit 1; done
