#!/usr/bin/env bash
# Stop the Docker engine, wait DOWN_SECONDS (default 3), and start it again
# with scripts/lib/common.sh's ensure_docker (which uses --live-restore, so
# containers keep running). For the engine-loss test; Linux only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=common.sh
source "$ROOT/scripts/lib/common.sh"
down=${1:-3}
if tvpn_is_macos; then
  tvpn_die "restarting the engine is for the Linux test machine"
fi
tvpn_as_root pkill -TERM -x dockerd || true
for _ in $(seq 1 100); do
  pgrep -x dockerd >/dev/null 2>&1 || break
  sleep 0.2
done
pgrep -x dockerd >/dev/null 2>&1 && tvpn_die "dockerd did not stop"
sleep "$down"
ensure_docker
