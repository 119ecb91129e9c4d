#!/usr/bin/env bash
# Quickstart 1: bring the whole system up on embedded defaults (kube-sim, local NATS and Postgres).
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
exec pnpm exec node scripts/dev.ts "$@"
