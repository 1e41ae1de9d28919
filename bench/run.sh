#!/usr/bin/env bash
# nodetel overhead benchmark. Installs the pinned Node 24 and deps into bench/node_modules
# on first use (or when package-lock.json changed), then runs under that Node.
#   ./run.sh              load benchmark (run.mjs); knobs: ROUNDS DURATION WARMUP CONNECTIONS
#                         STARTUP_SPAWNS ONLY SIGNALS PRELOAD APP_LOG
#   ./run.sh startup      `node <flags> -e 0` start-up comparison (startup.mjs); knobs: RUNS WARMUP ONLY
#   ./run.sh profile <config> [seconds]   CPU profile of one configuration under load
#   ./run.sh perf <config> [seconds]      where its CPU goes per request, by part of the preload (needs perf)
#   ./run.sh churn <config> [seconds]     bytes allocated and page faults per request at a fixed rate
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.package-lock.json ] ||
   { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "installing bench dependencies into $(pwd)/node_modules ..." >&2
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error
  else npm install --no-audit --no-fund --loglevel=error; fi
fi
NODE=node_modules/.bin/node
case "${1:-}" in
  startup) shift; exec "$NODE" startup.mjs "$@" ;;
  profile) shift; exec "$NODE" profile.mjs "$@" ;;
  perf) shift; exec "$NODE" perf-profile.mjs "$@" ;;
  churn) shift; exec "$NODE" churn.mjs "$@" ;;
  *) exec "$NODE" run.mjs "$@" ;;
esac
