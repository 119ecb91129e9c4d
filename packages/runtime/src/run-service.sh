#!/bin/sh
# Runs one service with its node flags (node-flags.conf, next to this script):
#   sh packages/runtime/src/run-service.sh <gateway|scheduler|job-runner|watcher|log-collector>
# from the repository's root (the image's /app). NODE names the node binary (default: node on PATH).
# exec: node replaces the shell, so it gets the container's signals as PID 1 would.
set -eu
name="${1:?usage: run-service.sh <service>}"
conf="$(dirname "$0")/node-flags.conf"
line="$(grep -E "^${name}([[:space:]]|\$)" "$conf" || true)"
if [ -z "$line" ] || [ ! -f "apps/${name}/src/main.ts" ]; then
  echo "run-service.sh: unknown service '${name}' (not in ${conf}, or no apps/${name}/src/main.ts here)" >&2
  exit 64
fi
# shellcheck disable=SC2086 # the flags are words, split on purpose
set -- ${line#"$name"}
exec "${NODE:-node}" "$@" "apps/${name}/src/main.ts"
