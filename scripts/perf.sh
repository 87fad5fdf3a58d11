#!/usr/bin/env bash
# perf.sh: whole-process wall time and peak memory of flakedup on generated
# locks, next to Python's and jq's JSON parsers reading the same files.
#
#   scripts/perf.sh                          # every shape below, median of 5
#   SHAPES="tree:100000 wide:100000" RUNS=9 scripts/perf.sh
#   FIX_MAX_NODES=100000 scripts/perf.sh     # fix and check only up to 100k nodes
#   CHECK_MAX_NODES=10000 scripts/perf.sh    # check only up to 10k nodes
#
# Shapes (internal/genlock): tree:N is the realistic tree of N nodes
# (genlock -nodes N), wide:N a root with N/4 inputs whose copies are each
# reached by two input names (genlock -shape wide), merged:F F real-shaped
# flakes under one root (genlock -shape merged -flakes F), corpus:NAME the
# real flake ../shared/corpus/NAME (corpus:NotAShelf__nyx has the largest
# lock there, 209 nodes).
#
# It builds flakedup as `make build` does, generates each lock and a
# flake.nix declaring its root inputs in a temporary directory, and runs
# every command RUNS times under /usr/bin/time. The commands take turns (one
# run of each, then the next round), so that a machine that gets slower or
# faster during the measurement weighs on every column alike. Every command
# gets --nix-version, so that no `nix --version` is spawned and the numbers
# do not depend on the nix on PATH. It prints a markdown table: per command the
# median wall time in seconds and the peak resident memory of that run (MB);
# how many times faster than Python's json.load and than jq analyze is; and
# analyze's peak memory over the lock's size. The last line gives the median
# CPU time (user + system) of analyze and Python, for a busy machine where
# wall time waits for a core.
#
# nix-auto-follow (Python) is measured too when NIX_AUTO_FOLLOW names a
# command that runs it (default: nix-auto-follow, when it is on PATH):
# `nix-auto-follow -c` on each lock, next to flakedup's check.
#
#   NIX_AUTO_FOLLOW="python3 /path/to/nix_auto_follow/cli.py" scripts/perf.sh
set -euo pipefail
export LC_ALL=C

SHAPES=${SHAPES:-"tree:10000 tree:100000 tree:1000000 wide:100000 merged:23"}
RUNS=${RUNS:-5}
# fix and check are skipped above this many nodes (every command plans, so
# they cost what analyze costs; lower it for a quicker run).
FIX_MAX_NODES=${FIX_MAX_NODES:-1000000}
CHECK_MAX_NODES=${CHECK_MAX_NODES:-$FIX_MAX_NODES}
NIX_VERSION=${NIX_VERSION:-2.18}
if [[ -z ${NIX_AUTO_FOLLOW:-} ]] && command -v nix-auto-follow >/dev/null; then
  NIX_AUTO_FOLLOW=nix-auto-follow
fi
NIX_AUTO_FOLLOW=${NIX_AUTO_FOLLOW:-}
cd "$(dirname "$0")/.."

for tool in python3 jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "perf.sh: $tool is needed" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin="$work/flakedup"
make -s build BIN="$bin" >/dev/null
go build -o "$work/genlock" ./internal/genlock/cmd/genlock

# timed NAME MAXCODE CMD...: runs CMD once (output discarded) and appends
# "<seconds> <KB> <cpu seconds>" to $work/NAME; an exit code above MAXCODE
# fails the script (check exits 1 when a limit is exceeded). The wall time
# is read from the shell's clock in microseconds (/usr/bin/time's %e has
# 10 ms steps), so it includes starting /usr/bin/time itself, about 1 ms.
timed() {
  local name=$1 maxcode=$2 rc=0 t0 t1
  shift 2
  t0=$EPOCHREALTIME
  /usr/bin/time -o "$work/time" -f '%M %U %S %x' "$@" >/dev/null 2>&1 || rc=$?
  t1=$EPOCHREALTIME
  if ((rc > maxcode)); then
    echo "perf.sh: failed (exit $rc): $* ($(tail -n 1 "$work/time"))" >&2
    exit 1
  fi
  tail -n 1 "$work/time" | awk -v t0="$t0" -v t1="$t1" '{ printf "%.4f %s %.2f\n", t1 - t0, $1, $2 + $3 }' >>"$work/$name"
}

# median NAME: "<seconds> s, <MB> MB" of the median run recorded for NAME,
# in milliseconds below a tenth of a second.
median() {
  sort -n "$work/$1" | awk '{ s[NR] = $1; kb[NR] = $2 }
    END { m = int((NR + 1) / 2)
      if (s[m] < 0.1) printf "%.0f ms, %d MB", s[m] * 1000, kb[m] / 1024
      else printf "%.2f s, %d MB", s[m], kb[m] / 1024 }'
}

# field NAME COLUMN: the median of one column recorded for NAME.
field() {
  cut -d' ' -f"$2" "$work/$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# ratio A B: how many times longer the median of B takes than that of A.
ratio() {
  awk -v a="$(field "$1" 1)" -v b="$(field "$2" 1)" 'BEGIN { printf "%.1f×", b / a }'
}

naf_head="" naf_rule=""
if [[ -n $NIX_AUTO_FOLLOW ]]; then
  naf_head=" \`nix-auto-follow -c\` | check vs nix-auto-follow |" naf_rule="--:|--:|"
fi
echo "| shape | nodes | lock | \`analyze\` | \`analyze --format json\` | \`fix --dry-run\` | \`check\` | python3 \`json.load\` | \`jq length\` | analyze vs Python | vs jq | analyze RSS / lock |$naf_head"
echo "|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|$naf_rule"
cpu=""
for spec in $SHAPES; do
  shape=${spec%%:*}
  n=${spec#*:}
  dir="$work/$shape-$n"
  case $shape in
  tree) "$work/genlock" -nodes "$n" -flake "$dir" ;;
  wide) "$work/genlock" -shape wide -nodes "$n" -flake "$dir" ;;
  merged) "$work/genlock" -shape merged -flakes "$n" -flake "$dir" ;;
  corpus)
    # A real flake, read in place (fix --dry-run and check write nothing).
    dir="../shared/corpus/$n"
    [[ -f $dir/flake.lock ]] || { echo "perf.sh: no corpus flake $dir" >&2; exit 2; }
    ;;
  *) echo "perf.sh: unknown shape $shape" >&2; exit 2 ;;
  esac
  lock="$dir/flake.lock"
  bytes=$(wc -c <"$lock")
  nodes=$(jq '.nodes | length' "$lock")
  size=$(awk -v b="$bytes" 'BEGIN { if (b < 1e6) printf "%.1f MB", b / 1e6; else printf "%.0f MB", b / 1e6 }')
  rm -f "$work"/{text,json,fix,check,python,jq,naf}
  fixing=$((nodes <= FIX_MAX_NODES)) checking=$((nodes <= CHECK_MAX_NODES))
  for ((i = 0; i < RUNS; i++)); do
    timed text 0 "$bin" analyze --nix-version "$NIX_VERSION" "$lock"
    timed json 0 "$bin" analyze --nix-version "$NIX_VERSION" --format json "$lock"
    if ((fixing)); then
      # fix exits 0 whether or not it finds follows to add; --dry-run writes nothing.
      timed fix 0 "$bin" fix --dry-run --nix-version "$NIX_VERSION" "$dir"
    fi
    if ((checking)); then
      timed check 1 "$bin" check --nix-version "$NIX_VERSION" "$dir"
    fi
    timed python 0 python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$lock"
    timed jq 0 jq length "$lock"
    if [[ -n $NIX_AUTO_FOLLOW ]]; then
      # It reads the lock from standard input when that is not a terminal;
      # -c exits 1 at the first input that is not the same everywhere.
      # shellcheck disable=SC2086 # NIX_AUTO_FOLLOW may be a command with arguments
      timed naf 1 $NIX_AUTO_FOLLOW -c "$lock" <"$lock"
    fi
  done
  fix="skipped" check="skipped"
  if ((fixing)); then
    fix=$(median fix)
  fi
  if ((checking)); then
    check=$(median check)
  fi
  rss=$(awk -v kb="$(field text 2)" -v b="$bytes" 'BEGIN { printf "%.1f×", kb * 1024 / b }')
  naf=""
  if [[ -n $NIX_AUTO_FOLLOW ]]; then
    naf=" $(median naf) | skipped |"
    if ((checking)); then
      naf=" $(median naf) | $(ratio check naf) |"
    fi
  fi
  echo "| $shape | $nodes | $size | $(median text) | $(median json) | $fix | $check | $(median python) | $(median jq) | $(ratio text python) | $(ratio text jq) | $rss |$naf"
  cpu="$cpu $shape:$nodes $(field text 3)/$(field python 3)"
done
echo
echo "CPU seconds, analyze/python3 json.load (medians):$cpu"
