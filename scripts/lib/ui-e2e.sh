#!/usr/bin/env bash
# The settings window's WebDriver tests (src-tauri/tests/ui_e2e.rs): the real
# app under Xvfb, driven by tauri-driver + WebKitWebDriver, in a private D-Bus
# session with a fresh, unlocked gnome-keyring. Installs what is missing
# (Debian packages, tauri-driver) and fails, never skips, when something is
# absent (TVPN_UI_E2E_PREPARE_ONLY=1: only that, and the build). Ends with
# cargo's "test result:" line; logs of the driver and the
# app go to $TVPN_UI_E2E_LOGS (default .artifacts/ui-e2e/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=common.sh
source scripts/lib/common.sh
# shellcheck source=deps.sh
source scripts/lib/deps.sh

if [ -z "${TVPN_UI_E2E_SESSION:-}" ]; then
  ensure_apt_packages "${TVPN_BUILD_PACKAGES[@]}" "${TVPN_RUN_PACKAGES[@]}" \
    xvfb xauth webkit2gtk-driver
  ensure_rust
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  if ! command -v tauri-driver >/dev/null 2>&1; then
    tvpn_log "installing tauri-driver (cargo install tauri-driver --locked)"
    cargo install -q tauri-driver --locked
  fi
  command -v WebKitWebDriver >/dev/null 2>&1 || tvpn_die "WebKitWebDriver is missing (package webkit2gtk-driver)"
  # Build first, so that the timed part below only runs the tests.
  # The features of scripts/test's test build: reused, not compiled again.
  cargo test --workspace --all-features --locked --test ui_e2e --no-run
  # TVPN_UI_E2E_PREPARE_ONLY=1: install and build, run nothing (scripts/test
  # does this in its background lane).
  [ "${TVPN_UI_E2E_PREPARE_ONLY:-0}" = 1 ] && exit 0
  export TVPN_UI_E2E_LOGS="${TVPN_UI_E2E_LOGS:-${TVPN_ARTIFACTS:-$ROOT/.artifacts}/ui-e2e}"
  rm -rf "$TVPN_UI_E2E_LOGS"
  mkdir -p "$TVPN_UI_E2E_LOGS"
  export TVPN_UI_E2E_SESSION=1
  export NO_AT_BRIDGE=1 # no accessibility bus for the app
  # A new session bus and keyring even inside scripts/test's own.
  unset DBUS_SESSION_BUS_ADDRESS
  exec dbus-run-session -- scripts/lib/with-keyring.sh \
    xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" "$0" "$@" \
    2> >(grep -v --line-buffered 'Failed to set fd limit' >&2)
fi

exec cargo test --workspace --all-features --locked --test ui_e2e -- --test-threads=1 "$@"
