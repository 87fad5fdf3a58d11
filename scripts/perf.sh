#!/usr/bin/env bash
# perf.sh: whole-process wall time and peak memory of flakedup on generated
# locks, next to Python's and jq's JSON parsers reading the same files.
#
#   scripts/perf.sh                  # 10k, 100k and 1M nodes, best of 3
#   SIZES="10000 100000" RUNS=1 scripts/perf.sh
#   FIX_MAX_NODES=1000000 scripts/perf.sh   # also time fix on 1M nodes (slow)
#
# It builds bin/flakedup-perf, generates each lock (and a flake.nix declaring
# its root inputs) in a temporary directory, runs every command RUNS times
# under /usr/bin/time -f '%e %M', and prints a markdown table of the best
# wall time (seconds) and the peak resident memory of that run (MB).
set -euo pipefail

SIZES=${SIZES:-"10000 100000 1000000"}
RUNS=${RUNS:-3}
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

# best CMD...: runs CMD RUNS times (output discarded) and prints
# "<seconds> <MB>" of the fastest run.
best() {
  local i s kb best_s="" best_kb=""
  for ((i = 0; i < RUNS; i++)); do
    if ! /usr/bin/time -o "$work/time" -f '%e %M' "$@" >/dev/null 2>&1; then
      printf 'failed: %s' "$(head -n 1 "$work/time")"
      return
    fi
    read -r s kb <"$work/time"
    if [[ -z $best_s ]] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
      best_s=$s best_kb=$kb
    fi
  done
  awk -v s="$best_s" -v kb="$best_kb" 'BEGIN { printf "%.2f s, %d MB", s, kb / 1024 }'
}

echo "| nodes | lock size | flakedup analyze --format json | flakedup fix --dry-run | python3 json.load | jq length |"
echo "|------:|----------:|------:|------:|------:|------:|"
for n in $SIZES; do
  dir="$work/flake-$n"
  "$work/genlock" -nodes "$n" -flake "$dir"
  lock="$dir/flake.lock"
  size=$(awk -v b="$(wc -c <"$lock")" 'BEGIN { printf "%.0f MB", b / 1e6 }')
  analyze=$(best "$bin" analyze --format json "$lock")
  # fix exits 0 whether or not it finds follows to add; --dry-run writes nothing.
  fix="skipped (FIX_MAX_NODES)"
  if ((n <= FIX_MAX_NODES)); then
    fix=$(best "$bin" fix --dry-run "$dir")
  fi
  python=$(best python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$lock")
  jqt=$(best jq length "$lock")
  echo "| $n | $size | $analyze | $fix | $python | $jqt |"
done
