# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
PORT   ?= 8000
BIN     = $(VENV)/bin
DEMO_ACCOUNTS = demo-org demo-org-county demo-discipline demo-cadre demo-admin

.PHONY: install run test schema lint bench clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# GraphiQL's assets, pinned in package-lock.json, served by the API itself (works offline).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: GraphiQL assets not installed (the API works without them)"; fi

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

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy api domain authz db workflows

clean:
	rm -rf $(VENV) node_modules var
