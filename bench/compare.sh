#!/usr/bin/env bash
# Compares two refs on this machine: builds each in a temporary git worktree (pnpm install
# --frozen-lockfile, offline when the store has everything) and runs this checkout's benchmarks against each — only the system
# under test comes from the ref (PO_SUT_ROOT, bench/lib/sut.ts) — interleaved: for each round and
# benchmark, A (BASE_REF) then B (HEAD_REF). Prints the machine, the load average before each run
# and, per benchmark and metric, the A and B medians and B/A (bench/compare.ts).
#
# usage: bench/compare.sh [--rounds N] [--long] [--benches "end-to-end gateway-load admission"]
#                         [--out DIR] BASE_REF [HEAD_REF]
#   HEAD_REF defaults to this checkout as it is (uncommitted changes included).
#   Default runs are short (each bench ~10-40 s); --long runs each bench with its own defaults
#   (minutes). E2E_ARGS, GATEWAY_ARGS, ADMISSION_ARGS, MEMORY_ARGS, SCALE_ARGS, SEED_ARGS replace a
#   bench's arguments. --benches may also name idle-memory (idle RSS of each service and a heap
#   snapshot's breakdown), scale (goal 5: many running pipelines, one watcher) and seed-design
#   (goal 6: our watcher against the seed's watch-per-Job design) and bus-publish (CPU per JetStream
#   publish in the publishing process; PUBLISH_ARGS).
set -euo pipefail

rounds=3
long=0
benches="end-to-end gateway-load admission"
out=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --long) long=1; shift ;;
    --benches) benches="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -ge 1 ] || { sed -n '2,15p' "$0"; exit 2; }
base_ref="${args[0]}"
head_ref="${args[1]:-}"

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/po-compare-XXXXXX)"
out="${out:-$work/out}"
mkdir -p "$out"
worktrees=()
cleanup() {
  for wt in "${worktrees[@]}"; do git -C "$repo" worktree remove --force "$wt" || true; done
}
trap cleanup EXIT

# Builds REF in a worktree under $work and prints its path.
build() {
  local ref="$1" dir="$work/$2"
  git -C "$repo" worktree add --detach "$dir" "$ref" >&2
  worktrees+=("$dir")
  # Offline first (fast, from the store); a ref whose lockfile names packages the store lacks (or
  # lacks their metadata: ERR_PNPM_NO_OFFLINE_META) is installed from the registry.
  (cd "$dir" && { pnpm install --frozen-lockfile --offline >&2 || pnpm install --frozen-lockfile >&2; })
}
build "$base_ref" a
root_a="$work/a"
if [ -n "$head_ref" ]; then
  build "$head_ref" b
  root_b="$work/b"
else
  head_ref="checkout ($(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD || echo '+changes'))"
  root_b="$repo"
fi

if [ "$long" = 1 ]; then
  e2e_default="--count 2000 --rate 100"
  gateway_default="--duration 10 --rate 500 --concurrency 64"
  admission_default=""
  scale_default="--running 10000"
  seed_default=""
else
  e2e_default="--count 300 --rate 30 --idleSeconds 5"
  gateway_default="--duration 5 --rate 200 --concurrency 32"
  admission_default="--queued 5000 --passes 100"
  scale_default="--running 2000 --finish 1000"
  seed_default="--running 1000 --window 60"
fi
args_of() {
  case "$1" in
    end-to-end) echo "${E2E_ARGS:-$e2e_default}" ;;
    gateway-load) echo "${GATEWAY_ARGS:-$gateway_default}" ;;
    admission) echo "${ADMISSION_ARGS:-$admission_default}" ;;
    idle-memory) echo "${MEMORY_ARGS:-}" ;;
    scale) echo "${SCALE_ARGS:-$scale_default}" ;;
    seed-design) echo "${SEED_ARGS:-$seed_default}" ;;
    bus-publish) echo "${PUBLISH_ARGS:-}" ;;
  esac
}

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -m | awk '/Mem:/{print $2}') MiB RAM, $(uname -r)"
  echo "A = $base_ref ($root_a), B = $head_ref ($root_b); bench scripts from $repo; $rounds rounds; $(date -u +%Y-%m-%dT%H:%MZ)"
} > "$out/machine.txt"
: > "$out/runs.tsv"

for round in $(seq 1 "$rounds"); do
  for bench in $benches; do
    for side in A B; do
      if [ "$side" = A ]; then root="$root_a" ref="$base_ref"; else root="$root_b" ref="$head_ref"; fi
      load="$(cut -d' ' -f1-3 /proc/loadavg)"
      printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$bench" "$side" "$ref" "$load" >> "$out/runs.tsv"
      echo "round $round/$rounds: $bench $side ($ref), load $load" >&2
      # shellcheck disable=SC2046 # the arguments are words
      (cd "$repo" && PO_SUT_ROOT="$root" pnpm exec node "bench/$bench.ts" $(args_of "$bench")) \
        > "$out/$bench.$side.$round.log" 2>&1 || echo "  failed: see $out/$bench.$side.$round.log" >&2
    done
  done
done

(cd "$repo" && pnpm exec node bench/compare.ts "$out")
echo "outputs: $out" >&2
