#!/usr/bin/env bash
# The example clients against a live server on a scratch SQLite database with the demo seed:
# examples/typescript (graphql-codegen types and persisted documents, Apollo's manifest, tsc,
# Apollo Client by POST and GET) and examples/python (gql). Each program checks the data it
# gets back and exits non-zero on any difference.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
ts="$here/typescript"
cadre="$root/.venv/bin/cadre"
python="$root/.venv/bin/python"
port="${EXAMPLES_PORT:-$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
scratch="$(mktemp -d)"
export DATABASE_URL="sqlite+aiosqlite:///$scratch/examples.db"
unset REDIS_URL

echo "-- typescript: npm ci, codegen, Apollo manifest, tsc"
(cd "$ts" && npm ci --no-audit --no-fund --loglevel=error \
  && npx graphql-codegen --config codegen.ts --silent \
  && npx generate-persisted-query-manifest --config persisted-query-manifest.config.json \
  && npx tsc --noEmit && rm -rf dist && npx tsc --outDir dist)

"$cadre" db upgrade >/dev/null
"$cadre" seed --demo --size 50 >/dev/null
"$cadre" serve --port "$port" >"$scratch/server.log" 2>&1 &
server=$!
stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$scratch"; }
trap stop EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done

# The system admin issues the partner's token and registers the clients' manifests for it.
partner_token="$("$cadre" token issue-partner examples-partner --agency 审计局 \
  --scope cadre:basic --scope evaluation:grade --unit C-K1 --days 1)"
"$python" "$here/python/cadre_client.py" manifest >"$scratch/python-manifest.json"
for manifest in "$ts/persisted-query-manifest.json" "$ts/src/gql/persisted-documents.json" \
                "$scratch/python-manifest.json"; do
  "$cadre" partner register-operations "$manifest" --token examples-partner >/dev/null
done

export CADRE_URL="http://127.0.0.1:$port/graphql" CADRE_PARTNER_UNIT=C-K1
export CADRE_USER_TOKEN="$("$cadre" token issue demo-org)" CADRE_PARTNER_TOKEN="$partner_token"
export CADRE_APOLLO_MANIFEST="$ts/persisted-query-manifest.json"
echo "-- typescript: Apollo Client"
(cd "$ts" && node dist/main.js)
echo "-- python: gql"
"$python" "$here/python/cadre_client.py"
