# Thin wrappers. `make run` and `make test` are the two commands of the Quick start.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
PORT ?= 8000
VENDOR := wangge/static/vendor

.PHONY: run test test-fast lint install vendor bench clean serve-only fuzz

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/leaflet/dist/leaflet.js \
	   node_modules/leaflet/dist/leaflet.css node_modules/echarts/dist/echarts.min.js \
	   node_modules/axe-core/axe.min.js $(VENDOR)/
	cp -r node_modules/leaflet/dist/images $(VENDOR)/
	# The offline grid worker pages (wangge/offline): Workbox's browser builds for the service worker, loaded
	# with importScripts from our own origin, and idb-keyval for the sync queue in IndexedDB.
	mkdir -p $(VENDOR)/workbox
	for m in core routing strategies cacheable-response expiration precaching; do \
	  cp node_modules/workbox-$$m/build/workbox-$$m.prod.js node_modules/workbox-$$m/build/workbox-$$m.prod.js.map \
	     $(VENDOR)/workbox/; done
	cp node_modules/idb-keyval/dist/umd.js $(VENDOR)/idb-keyval.js
	touch $@

install: $(BIN)/.installed $(VENDOR)/.installed
vendor: $(VENDOR)/.installed

run: install
	-$(BIN)/wangge compilemessages -v 0 --ignore=.venv --ignore=node_modules 2>/dev/null
	$(BIN)/wangge migrate --noinput -v 0
	$(BIN)/wangge demo --size small --if-empty
	$(BIN)/wangge serve --port $(PORT)

test: install
	$(BIN)/wangge compilemessages -v 0 --ignore=.venv --ignore=node_modules
	$(BIN)/pytest $(PYTEST_ARGS)

# A deeper Schemathesis run than the one `make test` includes (FUZZ_EXAMPLES cases per operation, each as 5 roles).
FUZZ_EXAMPLES ?= 50
fuzz: install
	WANGGE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -p no:randomly wangge/core/tests/test_schemathesis.py $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy wangge
	$(BIN)/lint-imports --no-logo
	$(BIN)/wangge makemigrations --check --dry-run

bench: install
	$(BIN)/wangge bench locate
	$(BIN)/wangge bench import

clean:
	rm -rf $(VENV) node_modules $(VENDOR) data
