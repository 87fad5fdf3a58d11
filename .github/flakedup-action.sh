#!/usr/bin/env bash
# The script behind action.yml. It builds flakedup from the action's source
# (unless FLAKEDUP_BIN names a binary already), prints workflow-command
# annotations, appends a markdown summary to $GITHUB_STEP_SUMMARY, and exits
# with flakedup check's status (0 within limits, 1 over, 2 bad input).
set -uo pipefail

src=${FLAKEDUP_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${FLAKEDUP_BIN:-}
if [[ -z "$bin" ]]; then
  bin="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/flakedup"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$bin" ./cmd/flakedup) || exit 2
fi

read -r -a paths <<<"${FLAKEDUP_PATHS:-.}"
args=()
[[ -n "${FLAKEDUP_MAX_NIXPKGS:-}" ]] && args+=(--max-nixpkgs "$FLAKEDUP_MAX_NIXPKGS")
if [[ -n "${FLAKEDUP_ARGS:-}" ]]; then read -r -a extra <<<"$FLAKEDUP_ARGS"; args+=("${extra[@]}"); fi

"$bin" check --format github "${args[@]}" "${paths[@]}"
status=$?
if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  "$bin" check --format markdown "${args[@]}" "${paths[@]}" >>"$GITHUB_STEP_SUMMARY"
fi
exit "$status"
