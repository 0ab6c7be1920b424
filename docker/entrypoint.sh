#!/bin/sh
# `serve` (the default) serves the API; any other arguments run that `cadre` command, e.g.
# `db upgrade` for the one-shot migration service or job. Migrations are not run here:
# the migration service (compose) or Job (Kubernetes) runs them once before the servers.
# Demo data only when asked for: CADRE_SEED_DEMO=true (fictional accounts, never in
# production). exec so the server is PID 1 and receives the container's SIGTERM directly.
set -eu

if [ "${1:-serve}" = serve ]; then
  if [ "${CADRE_SEED_DEMO:-false}" = true ]; then
    cadre seed --demo --if-empty
  fi
  exec cadre serve --host 0.0.0.0 --port 8000
fi
exec cadre "$@"
