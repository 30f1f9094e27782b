#!/usr/bin/env bash
# The architecture invariants of ARCHITECTURE.md that a search can check.
# Each prints what breaks it; exits 1 if any does.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
broken=0

# breaks WHAT FOUND: report FOUND (lines) as breaking WHAT.
breaks() {
  if [ -n "$2" ]; then
    echo "broken: $1" >&2
    echo "$2" | sed 's/^/  /' >&2
    broken=1
  fi
}

# `stack` does not import `monitor` or `session`; `progress` imports none
# of them.
breaks "stack/ imports monitor or session" \
  "$(grep -rnE 'crate::(monitor|session)\b|super::super::(monitor|session)\b' crates/core/src/stack)"
breaks "progress.rs imports stack, monitor or session" \
  "$(grep -nE 'crate::(stack|monitor|session)\b' crates/core/src/progress.rs)"

# Only the manager writes the stack: container create/start/stop/remove
# calls appear in stack/engine.rs (the operations) and, using them,
# stack/manager.rs alone.
writes=$(grep -rnE '\.(create_container|start_container|stop_container|remove_container|restart_container|kill_container)\(|engine::(start|stop|remove)\(' \
  crates/core/src crates/cli/src src-tauri/src |
  grep -vE '^crates/core/src/stack/(engine|manager)\.rs:')
breaks "a container is created, started, stopped or removed outside the stack manager" "$writes"

# The app adapts; it does not supervise: no monitor or stack operation is
# driven from src-tauri but through the session.
breaks "src-tauri drives the monitor or the stack itself" \
  "$(grep -rnE 'monitor::run|\.connect\(&mut|\.disconnect\(&mut|\.reconcile\(\)' src-tauri/src)"

if [ "$broken" -eq 0 ]; then
  echo "architecture invariants: ok"
fi
exit "$broken"
