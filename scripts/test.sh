#!/usr/bin/env bash
# Quickstart 2: every check and test (lint, format, types, unit, integration, end-to-end).
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/system-deps.sh
exec pnpm exec node scripts/test.ts "$@"
