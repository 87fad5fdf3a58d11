#!/usr/bin/env bash
# perf.sh: whole-process wall time and peak memory of flakedup on generated
# locks, next to Python's and jq's JSON parsers reading the same files.
#
#   scripts/perf.sh                  # 10k, 100k and 1M nodes, median of 5
#   SIZES="10000 100000" RUNS=9 scripts/perf.sh
#   FIX_MAX_NODES=1000000 scripts/perf.sh   # also time fix on 1M nodes (slow)
#
# It builds flakedup, generates each lock (and a flake.nix declaring its root
# inputs) in a temporary directory, and runs every command RUNS times under
# /usr/bin/time -f '%e %M'. The commands take turns (one run of each, then
# the next round), so that a machine that gets slower or faster during the
# measurement weighs on every column alike. It prints a markdown table of
# the median wall time (seconds) and the peak resident memory of that run
# (MB), and, for analyze, how many times faster than Python it is.
set -euo pipefail

SIZES=${SIZES:-"10000 100000 1000000"}
RUNS=${RUNS:-5}
# fix spends most of its time in rewrite.Apply, which reparses flake.nix once
# per edit; above this many nodes it would take many minutes, so it is
# skipped unless asked for.
FIX_MAX_NODES=${FIX_MAX_NODES:-100000}
cd "$(dirname "$0")/.."

for tool in python3 jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "perf.sh: $tool is needed" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin="$work/flakedup"
CGO_ENABLED=0 go build -trimpath -o "$bin" ./cmd/flakedup
go build -o "$work/genlock" ./internal/genlock/cmd/genlock

# timed NAME CMD...: runs CMD once (output discarded) and appends
# "<seconds> <KB>" to $work/NAME.
timed() {
  local name=$1
  shift
  if ! /usr/bin/time -o "$work/time" -f '%e %M' "$@" >/dev/null 2>&1; then
    echo "perf.sh: failed: $* ($(head -n 1 "$work/time"))" >&2
    exit 1
  fi
  cat "$work/time" >>"$work/$name"
}

# median NAME: "<seconds> s, <MB> MB" of the median run recorded for NAME.
median() {
  sort -n "$work/$1" | awk '{ s[NR] = $1; kb[NR] = $2 }
    END { m = int((NR + 1) / 2); printf "%.2f s, %d MB", s[m], kb[m] / 1024 }'
}

# ratio A B: how many times longer the median of B takes than that of A.
ratio() {
  paste <(sort -n "$work/$1" | cut -d' ' -f1) <(sort -n "$work/$2" | cut -d' ' -f1) |
    awk '{ a[NR] = $1; b[NR] = $2 } END { m = int((NR + 1) / 2); printf "%.1f×", b[m] / a[m] }'
}

echo "| nodes | lock | \`analyze\` | \`analyze --format json\` | \`fix --dry-run\` | python3 \`json.load\` | \`jq length\` | analyze vs Python |"
echo "|--:|--:|--:|--:|--:|--:|--:|--:|"
for n in $SIZES; do
  dir="$work/flake-$n"
  "$work/genlock" -nodes "$n" -flake "$dir"
  lock="$dir/flake.lock"
  size=$(awk -v b="$(wc -c <"$lock")" 'BEGIN { printf "%.0f MB", b / 1e6 }')
  rm -f "$work"/{text,json,fix,python,jq}
  for ((i = 0; i < RUNS; i++)); do
    timed text "$bin" analyze "$lock"
    timed json "$bin" analyze --format json "$lock"
    # fix exits 0 whether or not it finds follows to add; --dry-run writes nothing.
    if ((n <= FIX_MAX_NODES)); then
      timed fix "$bin" fix --dry-run "$dir"
    fi
    timed python python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$lock"
    timed jq jq length "$lock"
  done
  fix="skipped (FIX_MAX_NODES)"
  if ((n <= FIX_MAX_NODES)); then
    fix=$(median fix)
  fi
  echo "| $n | $size | $(median text) | $(median json) | $fix | $(median python) | $(median jq) | $(ratio text python) |"
done
