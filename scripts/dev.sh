#!/usr/bin/env bash
# Quickstart 1: bring the whole system up on embedded defaults (kube-sim, local NATS and Postgres).
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
# exec the workspace's Node itself (not through pnpm): this script's process becomes the launcher,
# so SIGINT/SIGTERM sent to it reach the launcher, which stops every service and kube-sim.
exec node_modules/.bin/node scripts/dev.ts "$@"
