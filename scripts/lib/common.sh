# shellcheck shell=bash
# Helpers shared by the project's scripts. Source it; it defines functions only.
#
#   ensure_apt_packages PKG...   install the Debian packages that are missing (no-op on macOS)
#   ensure_docker                make sure a Docker engine answers `docker info`

# Print a progress line on stderr.
tvpn_log() {
  printf '%s\n' "$*" >&2
}

tvpn_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

tvpn_is_macos() {
  [ "$(uname -s)" = "Darwin" ]
}

# Run a command as root: directly when we are root, through sudo otherwise.
tvpn_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    tvpn_die "need root to run: $*"
  fi
}

_TVPN_APT_UPDATED=${_TVPN_APT_UPDATED:-0}

# ensure_apt_packages PKG...
# Installs the listed packages that are not installed yet, quietly and without
# recommends. `apt-get update` runs at most once per run, and only when
# something has to be installed.
ensure_apt_packages() {
  tvpn_is_macos && return 0
  command -v dpkg-query >/dev/null 2>&1 || tvpn_die "ensure_apt_packages: not a Debian-like system"
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed; then
      missing+=("$pkg")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  tvpn_log "installing: ${missing[*]}"
  local out
  if [ "$_TVPN_APT_UPDATED" != 1 ]; then
    out=$(tvpn_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq 2>&1) || {
      printf '%s\n' "$out" >&2
      tvpn_die "apt-get update failed"
    }
    _TVPN_APT_UPDATED=1
  fi
  out=$(tvpn_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" 2>&1) || {
    printf '%s\n' "$out" >&2
    tvpn_die "apt-get install ${missing[*]} failed"
  }
}

# ensure_docker
# Linux: installs docker.io when needed and, if no daemon answers (no systemd
# in CI containers), starts dockerd in its own session and waits up to 60 s.
# macOS: Docker Desktop must be started by the user; says so and fails.
ensure_docker() {
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    return 0
  fi
  if tvpn_is_macos; then
    tvpn_log "Docker is not running. Start Docker Desktop (open -a Docker), wait until it is ready, then retry."
    return 1
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    ensure_apt_packages docker.io
  fi
  if docker info >/dev/null 2>&1; then
    return 0
  fi
  local log=/var/log/dockerd.log
  if ! { : >>"$log"; } 2>/dev/null; then
    log="${TMPDIR:-/tmp}/dockerd.log"
  fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    tvpn_log "starting dockerd (log: $log)"
    # --live-restore: containers keep running while the engine restarts.
    # The engine outlives this script: neither it nor the job that starts it
    # keeps the caller's open files (a lock taken around this script would
    # never be released).
    (
      for fd in /proc/"$BASHPID"/fd/*; do
        n=${fd##*/}
        if [ "$n" -gt 2 ] && [ "$n" -ne 255 ]; then
          eval "exec $n>&-" 2>/dev/null
        fi
      done
      tvpn_as_root setsid dockerd --live-restore
    ) >>"$log" 2>&1 </dev/null &
  fi
  local _
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  tvpn_log "dockerd did not answer within 60 s; see $log"
  return 1
}
