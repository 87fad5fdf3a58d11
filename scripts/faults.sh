#!/usr/bin/env bash
# faults.sh: what the first touch of memory costs flakedup on generated
# locks: system time, minor page faults and their cost per fault of
# `flakedup analyze`, as /usr/bin/time reports them (%S, %R, %M).
#
#   scripts/faults.sh                    # the tree at 100k and 1M nodes
#   NODES="10000 100000" scripts/faults.sh
#
# On a virtual machine whose fresh pages are dear, the cost per fault grows
# with the footprint; that is what docs/performance.md ("Where the time goes
# on this machine") reads from it. Each size runs once: the numbers are a
# reading of the machine, to be compared within one run.
set -euo pipefail
export LC_ALL=C

NODES=${NODES:-"100000 1000000"}
NIX_VERSION=${NIX_VERSION:-2.18}
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { echo "faults.sh: /usr/bin/time is needed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin="$work/flakedup"
make -s build BIN="$bin" >/dev/null
go build -o "$work/genlock" ./internal/genlock/cmd/genlock

echo "| nodes | system time | minor faults | per fault | peak RSS |"
echo "|--:|--:|--:|--:|--:|"
for n in $NODES; do
  dir="$work/tree-$n"
  "$work/genlock" -nodes "$n" -flake "$dir"
  /usr/bin/time -o "$work/time" -f '%S %R %M' "$bin" analyze --nix-version "$NIX_VERSION" "$dir" >/dev/null
  tail -n 1 "$work/time" | awk -v n="$n" '{
    printf "| %d | %.2f s | %d | %.1f µs | %d MB |\n", n, $1, $2, ($2 > 0 ? $1 / $2 * 1e6 : 0), $3 / 1024 }'
  rm -rf "$dir"
done
