# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
PORT   ?= 8000
BIN     = $(VENV)/bin
DEMO_ACCOUNTS = demo-org demo-org-county demo-discipline demo-cadre demo-admin

# Every Python package, hashes included: requirements.lock for development and CI,
# requirements-runtime.lock (the same pins, no dev tools) for the image. `make lock` writes both.
LOCK         = requirements.lock
RUNTIME_LOCK = requirements-runtime.lock
PIP_COMPILE  = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
               --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: install lock run test schema schema-check release lint bench clean ide

install: $(VENV)/.installed ide/dist/manifest.json

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	@# A dependency added to pyproject.toml but not yet locked is named here.
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; echo "run: make lock" >&2; exit 1; }
	touch $@

# Keeps the pins that still fit pyproject.toml; `make lock LOCK_FLAGS=--upgrade` moves
# every unpinned (transitive) package to its newest release.
lock:
	@test -x $(BIN)/pip-compile || $(MAKE) $(VENV)/.installed
	$(PIP_COMPILE) $(LOCK_FLAGS) --extra dev --output-file $(LOCK) pyproject.toml
	$(PIP_COMPILE) --constraint $(LOCK) --output-file $(RUNTIME_LOCK) pyproject.toml

# The IDE (GraphiQL 5, the explorer, GraphQL Voyager): npm packages pinned in package-lock.json,
# bundled by esbuild into ide/dist, which the API serves itself (works offline).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the IDE is not built (the API works without it)"; fi

ide/dist/manifest.json: node_modules/.installed ide/build.mjs $(wildcard ide/src/*)
	@if [ -f node_modules/.installed ]; then npm run --silent build; fi

run: install
	$(BIN)/cadre db upgrade
	$(BIN)/cadre seed --demo --if-empty
	@echo "Demo bearer tokens (paste into GraphiQL's Headers as {\"Authorization\": \"Bearer <token>\"}):"
	@for user in $(DEMO_ACCOUNTS); do printf '  %-16s %s\n' $$user "$$($(BIN)/cadre token issue $$user)"; done
	@echo "GraphiQL: http://127.0.0.1:$(PORT)/graphql"
	$(BIN)/cadre serve --port $(PORT)

test: install
	$(BIN)/pytest

schema: install
	$(BIN)/cadre export-schema --output schema.graphql

# schema.graphql against the last release's schema (schema/releases/): CI runs it.
schema-check: install
	$(BIN)/python scripts/schema_evolution.py

# The last step of a release (README "Releases"): file schema.graphql as this version's.
release: schema schema-check
	$(BIN)/python scripts/schema_evolution.py --record

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy api domain authz db workflows scripts

# Rebuild the IDE after editing ide/src.
ide: node_modules/.installed
	npm run --silent build

clean:
	rm -rf $(VENV) node_modules ide/dist var
