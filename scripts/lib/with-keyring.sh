#!/usr/bin/env bash
# Run a command with an unlocked gnome-keyring Secret Service on the current
# D-Bus session bus (start it under `dbus-run-session`). Each run gets a fresh,
# empty keyring in its own XDG_DATA_HOME, so nothing from a previous run or
# from the user's own keyrings is touched.
set -euo pipefail
XDG_DATA_HOME="$(mktemp -d "${TMPDIR:-/tmp}/tvpn-keyring.XXXXXX")"
export XDG_DATA_HOME
eval "$(printf 'tvpn-test-keyring' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
export GNOME_KEYRING_CONTROL
exec "$@"
