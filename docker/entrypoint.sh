#!/bin/sh
# Migrate before serving so a fresh database works on first start; exec so the
# server is PID 1 and receives the container's SIGTERM directly.
set -eu

cadre db upgrade
exec cadre serve --host 0.0.0.0 --port 8000
