#!/usr/bin/env bash
# The menu-bar app's tray under Xvfb with a tray host (trayer), against the
# lab: start the app on the lab's demo profile (a build inside the clone:
# Launch at Login and Install Command Line Tool greyed out and refused;
# Check for Updates refused without a signing key),
# Connect through the test hook
# (the same handler as a click on the menu item), wait for the status line to
# show the lab's VPN exit IP, open the tray menu with xdotool and save a
# screenshot (.artifacts/tray-menu.png), run Verify Protection and Test the
# Kill Switch through the hook, Export Diagnostics (a bundle with the
# containers' logs and no WireGuard key), Back Up Now, then Disconnect through the hook and check that the stack's
# containers are gone; a leak injected while the app connects is shown, and
# Cancel then leaves no container; 6 rounds of `tvpn connect` in a shell
# and a click on Cancel in the tray each end disconnected; Quit exits 0 and
# leaves a connected stack running. Ends with one line:
#   tray: N passed, M failed
#
# scripts/test runs it inside its D-Bus session with a fresh keyring; alone it
# starts its own (dbus-run-session + scripts/lib/with-keyring.sh).
# Traffic goes only to loopback and the lab's containers.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh
# shellcheck source=scripts/lib/deps.sh
source scripts/lib/deps.sh

ARTIFACTS="${TVPN_ARTIFACTS:-$ROOT/.artifacts}"
mkdir -p "$ARTIFACTS"

TRAY_PACKAGES=(xvfb xauth xclip trayer xdotool x11-apps x11-utils imagemagick)
if [ -z "${TVPN_TEST_SESSION:-}" ]; then
  ensure_apt_packages "${TVPN_BUILD_PACKAGES[@]}" "${TVPN_RUN_PACKAGES[@]}" "${TRAY_PACKAGES[@]}"
  ensure_docker || tvpn_die "no Docker engine"
  export TVPN_TEST_SESSION=1
  exec dbus-run-session -- scripts/lib/with-keyring.sh "$0" "$@" 2> >(grep -v --line-buffered 'Failed to set fd limit' >&2)
fi
ensure_apt_packages "${TRAY_PACKAGES[@]}"

PASSED=0
FAILED=0
START=$SECONDS
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
APP="$TARGET_DIR/debug/torrent-vpn"
TVPN="$TARGET_DIR/debug/tvpn"
EXIT_IP=10.222.0.3
QBT_VOLUME=tvpn-lab-demo_qbittorrent-config
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tvpn-tray.XXXXXX")
HOOKS="$WORK/hooks"
PIDS=()

pass() {
  PASSED=$((PASSED + 1))
  echo "ok   $1 ($((SECONDS - START)) s)"
}

fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL $1" >&2
}

finish() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null
  done
  # A run that failed half way leaves the lab's VPN server uncut, and no
  # stack behind.
  local chain
  for chain in INPUT OUTPUT; do
    while docker exec tvpn-lab-vpn iptables -D "$chain" -j DROP >/dev/null 2>&1; do :; done
  done
  # A run that failed half way leaves no stack behind.
  if [ -n "${TVPN_CONFIG_DIR:-}" ] && [ -n "$(stack_containers 2>/dev/null)" ]; then
    "$TVPN" disconnect >/dev/null 2>&1
  fi
  [ -f "$WORK/app.out" ] && cp "$WORK/app.out" "$ARTIFACTS/tray-app.out"
  if [ -n "${TVPN_CONFIG_DIR:-}" ] && [ -d "$TVPN_CONFIG_DIR/logs" ]; then
    cat "$TVPN_CONFIG_DIR"/logs/torrent-vpn*.log >"$ARTIFACTS/tray-app.log" 2>/dev/null
  fi
  [ -f "$HOOKS/menu.json" ] && cp "$HOOKS/menu.json" "$ARTIFACTS/tray-menu.json"
  [ -f "$HOOKS/menu-history.jsonl" ] && cp "$HOOKS/menu-history.jsonl" "$ARTIFACTS/tray-menu-history.jsonl"
  rm -rf "$WORK"
  echo "tray: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# Every failure ends the run: later checks depend on earlier ones.
die_with() {
  fail "$1"
  finish
  exit 1
}

# menu_field FIELD: a field of the last applied menu model.
menu_field() {
  python3 -c 'import json,sys
try:
    print(json.load(open(sys.argv[1]))["model"][sys.argv[2]])
except Exception:
    pass' "$HOOKS/menu.json" "$1"
}

# wait_menu SECONDS FIELD REGEX [GIVE_UP_REGEX]: until the applied model's
# FIELD matches REGEX (or, at once, GIVE_UP_REGEX).
wait_menu() {
  local deadline=$((SECONDS + $1)) value
  while [ "$SECONDS" -lt "$deadline" ]; do
    value=$(menu_field "$2")
    [[ $value =~ $3 ]] && return 0
    if [ -n "${4:-}" ] && [[ $value =~ $4 ]]; then
      echo "$2 is [$value]" >&2
      return 1
    fi
    if [ -n "${GIVE_UP_LOG:-}" ] && grep -qs "$GIVE_UP_LOG" "$TVPN_CONFIG_DIR"/logs/torrent-vpn*.log; then
      echo "the app logged: $(grep -hs "$GIVE_UP_LOG" "$TVPN_CONFIG_DIR"/logs/torrent-vpn*.log | tail -n 1 | cut -c1-300)" >&2
      return 1
    fi
    kill -0 "$APP_PID" 2>/dev/null || {
      echo "the app exited" >&2
      return 1
    }
    sleep 0.3
  done
  echo "after $1 s, $2 is [$(menu_field "$2")] (wanted /$3/)" >&2
  return 1
}

# click ITEM: the test hook, handled exactly like a click on that menu item.
app_log() {
  cat "$TVPN_CONFIG_DIR"/logs/torrent-vpn*.log 2>/dev/null
}
# wait_log TEXT: true once the app's log holds TEXT (5 s at most).
wait_log() {
  local _
  for _ in $(seq 1 50); do
    app_log | grep -qF "$1" && return 0
    sleep 0.1
  done
  return 1
}

click() {
  printf '%s\n' "$1" >"$HOOKS/command.tmp" && mv "$HOOKS/command.tmp" "$HOOKS/command"
}

stack_containers() {
  docker ps -aq --filter "label=dev.torrentvpn.profile=lab-demo"
}

# -- build, lab, demo profile
# The features of scripts/test's test build: nothing is compiled again.
CARGO_BUILD=(cargo test --workspace --all-features --locked -q --no-run)
"${CARGO_BUILD[@]}" || die_with "build: ${CARGO_BUILD[*]} failed"
pass "build"

scripts/lab up >"$WORK/lab-up.log" 2>&1 || {
  cat "$WORK/lab-up.log" >&2
  die_with "scripts/lab up failed"
}
eval "$(scripts/lab env)"
[ -f "$TVPN_CONFIG_DIR/settings.toml" ] || die_with "no demo profile at $TVPN_CONFIG_DIR"
# A stack left over by an earlier run goes; qBittorrent's settings volume too,
# so that this run takes the first-login (temporary password) path.
"$TVPN" disconnect >/dev/null 2>&1
docker volume rm -f "$QBT_VOLUME" >/dev/null 2>&1
[ -z "$(stack_containers)" ] || die_with "the demo stack could not be removed before the test"
rm -rf "$TVPN_CONFIG_DIR/logs"
pass "lab up, demo profile, no stack"

# -- display, tray host, app
n=87
while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do
  n=$((n + 1))
done
DISPLAY_NUM=:$n
Xvfb "$DISPLAY_NUM" -screen 0 1024x768x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
export DISPLAY=$DISPLAY_NUM
for _ in $(seq 1 50); do
  xdpyinfo >/dev/null 2>&1 && break
  sleep 0.1
done
xdpyinfo >/dev/null 2>&1 || die_with "Xvfb did not start on $DISPLAY_NUM"
trayer --edge top --align right --widthtype pixel --width 120 --heighttype pixel --height 32 \
  --SetDockType true --expand false >"$WORK/trayer.log" 2>&1 &
PIDS+=($!)
sleep 1

mkdir -p "$HOOKS"
TVPN_TEST_HOOKS="$HOOKS" RUST_LOG="${RUST_LOG:-info}" "$APP" >"$WORK/app.out" 2>&1 &
APP_PID=$!
PIDS+=("$APP_PID")

wait_menu 60 status_line '^Disconnected$' '^(Error|Settings error|Not set up)' ||
  die_with "the tray never showed Disconnected (status [$(menu_field status_line)])"
if [ "$(menu_field action)" != connect ] || [ "$(menu_field action_enabled)" != True ]; then
  die_with "Disconnected, but the action is [$(menu_field action)] enabled=[$(menu_field action_enabled)]"
fi
pass "tray shows Disconnected with Connect"

# -- a build inside the clone never starts at login nor links its tvpn:
# both items are greyed out, and a click (the hook's) changes nothing
[ "$(menu_field installed_app)" = False ] ||
  die_with "a build inside the clone is taken for an installed app"
click launch-at-login
click install-cli
wait_log "Launch at Login is for the installed app; this is a build inside the source tree $(pwd -P)" ||
  die_with "Launch at Login in a clone was not refused with its reason"
wait_log "Install Command Line Tool is for the installed app" ||
  die_with "Install Command Line Tool in a clone was not refused with its reason"
[ "$(menu_field launch_at_login)" = False ] || die_with "Launch at Login got checked in a clone"
[ ! -e "$HOME/.config/autostart/Torrent VPN.desktop" ] || die_with "a clone's build was put in autostart"
pass "Launch at Login and Install Command Line Tool are refused for a build inside the clone"

# -- Check for Updates: a build without the release's signing key never
# asks a feed (and so never installs what it cannot verify)
[ "$(menu_field update_text)" = "Check for Updates…" ] ||
  die_with "the update item says [$(menu_field update_text)]"
click check-for-updates
wait_log "This build has no update signing key" ||
  die_with "Check for Updates without a signing key did not say why"
[ "$(menu_field update_enabled)" = True ] || die_with "the update item stayed disabled after the check"
pass "Check for Updates in a build without a signing key says so and asks no feed"

# -- connect through the hook
t0=$SECONDS
click action
wait_menu 20 status_line '^Connecting' || die_with "Connect did not start"
GIVE_UP_LOG="connect failed" wait_menu 240 status_line "^Protected.*${EXIT_IP//./\\.}" '^(Error|Settings error)' ||
  die_with "the status line never showed the lab's exit IP $EXIT_IP"
[ "$(menu_field action)" = disconnect ] || die_with "connected, but the action is [$(menu_field action)]"
pass "connected in $((SECONDS - t0)) s: [$(menu_field status_line)] [$(menu_field health_line)]"

# -- an unchanged snapshot stays fresh: 7 s idle (the stale limit is 5 s)
sleep 7
[[ $(menu_field status_line) == Protected* ]] ||
  die_with "after 7 s idle the status is [$(menu_field status_line)] (stale rule misfired?)"
pass "still [$(menu_field status_line)] after 7 s without a change"

# -- open the menu on the tray host, screenshot
# The app's icon, embedded in trayer (tray-icon names its window class so).
icon_win=$(xdotool search --onlyvisible --class 'tray-icon tray app' 2>/dev/null | head -n 1)
[ -n "$icon_win" ] || die_with "the app's icon is not in the tray host"
eval "$(xdotool getwindowgeometry --shell "$icon_win")"
shot() {
  /usr/bin/import -display "$DISPLAY" -window root "$1" 2>/dev/null ||
    xwd -root -silent | /usr/bin/convert xwd:- "$1"
}
shot "$WORK/before.png"
xdotool mousemove $((X + WIDTH / 2)) $((Y + HEIGHT / 2)) click 1
# The menu is open when a large part of the screen changed (a 150x150 px
# area at least: the menu has 13 rows).
changed=0
for _ in $(seq 1 20); do
  sleep 0.25
  shot "$ARTIFACTS/tray-menu.png"
  changed=$(/usr/bin/compare -metric AE "$WORK/before.png" "$ARTIFACTS/tray-menu.png" null: 2>&1 | awk '{ print int($1) }')
  [ "${changed:-0}" -ge 22500 ] && break
done
xdotool key Escape
[ "${changed:-0}" -ge 22500 ] ||
  die_with "the tray menu did not open: $changed pixels changed (screenshot: $ARTIFACTS/tray-menu.png)"
pass "tray menu opened; screenshot $ARTIFACTS/tray-menu.png"

# -- Verify Protection… through the hook: every check passes
t0=$SECONDS
rm -f "$HOOKS/verify.json"
click verify
deadline=$((SECONDS + 90))
while [ ! -s "$HOOKS/verify.json" ] && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 0.5
done
[ -s "$HOOKS/verify.json" ] || die_with "Verify Protection wrote no result in 90 s"
cp "$HOOKS/verify.json" "$ARTIFACTS/tray-verify.json"
verdict=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(v["protected"], v["summary"])' "$HOOKS/verify.json")
[[ $verdict == True* ]] || die_with "Verify Protection: $verdict"
pass "Verify Protection in $((SECONDS - t0)) s: ${verdict#True }"
wait_menu 10 action '^disconnect$' || die_with "after verify, the action is [$(menu_field action)]"

# -- Test the Kill Switch… through the hook: the VPN is stopped for a few
# seconds, nothing gets out, it comes back; the result has the downtime
wait_menu 60 kill_switch_test_enabled '^True$' || die_with "Test the Kill Switch is not offered while protected"
t0=$SECONDS
rm -f "$HOOKS/verify.json"
click test-kill-switch
deadline=$((SECONDS + 150))
while ! grep -qs kill_switch_downtime_ms "$HOOKS/verify.json" && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 0.5
done
grep -qs kill_switch_downtime_ms "$HOOKS/verify.json" || die_with "Test the Kill Switch wrote no result in 150 s"
verdict=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(v["protected"], v["kill_switch_downtime_ms"], v["summary"])' "$HOOKS/verify.json")
[[ $verdict == True* ]] || die_with "Test the Kill Switch: $verdict"
wait_menu 60 status_line "^Protected" || die_with "after the kill-switch test, the status is [$(menu_field status_line)]"
downtime=$(cut -d' ' -f2 <<<"$verdict")
pass "Test the Kill Switch in $((SECONDS - t0)) s: the tunnel was down ${downtime} ms, nothing got out"

# -- Copy Web UI Password: the clipboard holds a password that logs in
t0=$SECONDS
click copy-webui-password
copied=""
deadline=$((SECONDS + 15))
while [ -z "$copied" ] && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 0.3
  copied=$(xclip -o -selection clipboard 2>/dev/null || true)
done
[ -n "$copied" ] || die_with "Copy Web UI Password put nothing on the clipboard"
webui_port=$(sed -n 's/^webui_port = //p' "$TVPN_CONFIG_DIR/settings.toml" | head -n 1)
login=$(curl -s --noproxy '*' --data-urlencode "username=admin" --data-urlencode "password=$copied" \
  "http://127.0.0.1:$webui_port/api/v2/auth/login" || true)
unset copied
[ "$login" = "Ok." ] || die_with "the copied Web UI password does not log in: [$login]"
pass "Copy Web UI Password: the clipboard's password logs in ($((SECONDS - t0)) s)"

# -- Export Diagnostics…: a bundle appears (in the hook dir, which stands
# in for Downloads) with the gateway's log and the status, and without the
# demo's WireGuard keys
t0=$SECONDS
click export-diagnostics
bundle=""
deadline=$((SECONDS + 60))
while [ -z "$bundle" ] && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 0.5
  bundle=$(find "$HOOKS" -maxdepth 1 -name 'tvpn-diagnostics-*.tar.gz' | head -n 1)
done
[ -n "$bundle" ] || die_with "Export Diagnostics wrote no bundle in 60 s"
mkdir -p "$WORK/diag"
tar -xzf "$bundle" -C "$WORK/diag" || die_with "the diagnostics bundle is not a gzipped tar"
[ -s "$WORK/diag/diagnostics/status.json" ] || die_with "no status.json in the diagnostics bundle"
logs=$(find "$WORK/diag/diagnostics/containers" -name '*.log' -size +0 2>/dev/null | wc -l)
[ "$logs" -ge 2 ] || die_with "the diagnostics bundle has $logs container logs, wanted the gateway's and qBittorrent's"
for key in lab/.state/keys/client.key lab/.state/keys/psk; do
  if grep -rqF -- "$(cat "$key")" "$WORK/diag"; then
    die_with "the diagnostics bundle holds $key"
  fi
done
pass "Export Diagnostics: $(basename "$bundle") with $(find "$WORK/diag" -type f | wc -l) files, no WireGuard key ($((SECONDS - t0)) s)"

# -- Back Up Now: a backup of the running stack in the profile's backups
# folder, with qBittorrent's config volume
t0=$SECONDS
[ "$(menu_field back_up_enabled)" = True ] || die_with "Back Up Now is not offered while connected"
rm -rf "$TVPN_CONFIG_DIR/backups"
click back-up
backup=
for _ in $(seq 1 600); do
  backup=$(find "$TVPN_CONFIG_DIR/backups" -name 'torrent-vpn-backup-*.tar.gz' 2>/dev/null | head -n 1)
  [ -n "$backup" ] && app_log | grep -q "backed up" && break
  sleep 0.1
done
[ -n "$backup" ] || die_with "Back Up Now wrote no backup in 60 s"
tar tzf "$backup" | grep -q '^torrent-vpn-backup/volumes/.*_qbittorrent-config\.tar$' ||
  die_with "the backup lacks qBittorrent's config volume: $(tar tzf "$backup" | tr '\n' ' ')"
pass "Back Up Now: $(basename "$backup") with qBittorrent's config volume ($((SECONDS - t0)) s)"

# -- disconnect through the hook
t0=$SECONDS
click action
wait_menu 90 status_line '^Disconnected$' || die_with "the tray never showed Disconnected"
deadline=$((SECONDS + 30))
while [ -n "$(stack_containers)" ] && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 0.5
done
[ -z "$(stack_containers)" ] || die_with "containers left after Disconnect: $(stack_containers | tr '\n' ' ')"
stack_state=$("$TVPN" status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["stack"]["state"])')
[ "$stack_state" = absent ] || die_with "tvpn status: stack [$stack_state], wanted [absent]"
pass "disconnected in $((SECONDS - t0)) s; no container of the demo stack left"

# -- the lab's VPN server cut (a knob): a connect then waits for the tunnel
# as long as the cut lasts, which gives Cancel a step to land in.
vpn_cut() {
  local flag=-D chain
  [ "$1" = on ] && flag=-I
  for chain in INPUT OUTPUT; do
    docker exec tvpn-lab-vpn iptables "$flag" "$chain" -j DROP >/dev/null 2>&1 || return 1
  done
}
# gateway_firewall open|close: the gateway's lab knob, tried for up to 10 s
# (a gateway that has just started may not listen for its knobs yet).
gateway_firewall() {
  local deadline=$((SECONDS + 10)) gateway
  while :; do
    gateway=$(docker ps -q --filter label=dev.torrentvpn.profile=lab-demo --filter label=dev.torrentvpn.role=gateway | head -n 1)
    [ -n "$gateway" ] && docker exec "$gateway" /gluetun-entrypoint lab firewall "$1" >/dev/null && return 0
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.3
  done
}
# ends_disconnected WHAT: the tray shows Disconnected, no container of the
# stack is left, and the persisted target is "disconnected".
ends_disconnected() {
  wait_menu 60 status_line '^Disconnected$' || die_with "$1: the tray never showed Disconnected"
  local deadline=$((SECONDS + 30)) target
  while [ -n "$(stack_containers)" ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.3
  done
  [ -z "$(stack_containers)" ] || die_with "$1: containers left: $(stack_containers | tr '\n' ' ')"
  target=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["target"])' "$TVPN_CONFIG_DIR/target.json" 2>/dev/null)
  [ "$target" = disconnected ] || die_with "$1: the persisted target is [$target]"
}
# connecting_since LINE: whether the tray showed a connect's step since
# line LINE of the menu history.
connecting_since() {
  tail -n +"$1" "$HOOKS/menu-history.jsonl" | grep -q '"status_line": *"Connecting: '
}

# -- the app's own connect: a leak injected while it waits for the tunnel is
# reported (the monitor runs during connect), then Cancel from the tray
# stops it and removes what it started.
vpn_cut on || die_with "cannot cut the lab's VPN server"
click action
wait_menu 60 status_line '^Connecting: Waiting for the tunnel' || die_with "the connect never waited for the tunnel"
gateway_firewall open || die_with "cannot open the gateway's firewall (lab knob)"
wait_menu 20 status_line '^LEAK' || die_with "a leak during connect was not shown"
app_log | grep -q "LEAK: traffic leaves outside the VPN" || die_with "a leak during connect was not logged as an event"
gateway_firewall close
wait_menu 20 action '^cancel$' || die_with "after the leak, the connect does not offer Cancel"
before=$(app_log | grep -c "connect cancelled")
click action
ends_disconnected "Cancel of the app's connect"
[ "$(app_log | grep -c "connect cancelled")" -gt "$before" ] || die_with "the app's connect was not cancelled"
vpn_cut off
pass "a leak during connect shown as [LEAK]; Cancel then left no container"

# -- 6 rounds: `tvpn connect` in a shell, Cancel (or Disconnect, when the
# connect won the race) from the tray. Every other round the VPN server is
# cut, so Cancel lands while the connect waits for its tunnel. Each round
# ends disconnected, with no container and the target "disconnected"; the
# tray showed the connect's steps in every round.
ROUNDS=${TVPN_TRAY_ROUNDS:-6}
cancelled=0
for round in $(seq 1 "$ROUNDS"); do
  cut=$((round % 2))
  [ "$cut" = 1 ] && { vpn_cut on || die_with "round $round: cannot cut the VPN server"; }
  from=$(($(wc -l <"$HOOKS/menu-history.jsonl") + 1))
  "$TVPN" connect >"$WORK/connect.out" 2>&1 &
  cli=$!
  if [ "$cut" = 1 ]; then
    wait_menu 60 status_line '^Connecting: Waiting for the tunnel' ||
      die_with "round $round: the tray never showed the shell's connect waiting for the tunnel"
  else
    wait_menu 60 status_line '^(Connecting: |Protected)' ||
      die_with "round $round: the tray never showed the shell's connect"
  fi
  shown=$(menu_field status_line)
  click action
  rc=
  for _ in $(seq 1 600); do
    kill -0 "$cli" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$cli" 2>/dev/null && die_with "round $round: tvpn connect did not end after the click"
  wait "$cli"
  rc=$?
  if [ "$rc" = 3 ]; then
    cancelled=$((cancelled + 1))
  elif [ "$rc" != 0 ] || [ "$cut" = 1 ]; then
    cat "$WORK/connect.out" >&2
    die_with "round $round (cut=$cut): tvpn connect exited $rc after a click on [$shown]"
  fi
  ends_disconnected "round $round"
  connecting_since "$from" || die_with "round $round: the tray never showed a step of the shell's connect"
  [ "$cut" = 1 ] && vpn_cut off
done
[ "$cancelled" -ge $((ROUNDS / 2)) ] || die_with "only $cancelled of $ROUNDS connects were cancelled"
pass "$ROUNDS rounds of tvpn connect + a click in the tray: $cancelled cancelled, every round disconnected with no container"

# -- the tray never fell back to "Status unknown" once the monitor ran (an
# unchanged snapshot is kept fresh by the monitor's heartbeat)
history=$(python3 - "$HOOKS/menu-history.jsonl" <<'PY'
import json, sys
lines = [json.loads(l)["model"]["status_line"] for l in open(sys.argv[1]) if l.strip()]
seen = False
for s in lines:
    if s != "Status unknown":
        seen = True
    elif seen:
        print("Status unknown after: " + " -> ".join(lines))
        sys.exit(1)
print(" -> ".join(s for i, s in enumerate(lines) if i == 0 or lines[i - 1] != s))
PY
) || die_with "$history"
pass "status lines: $history"

# -- Quit exits 0 and leaves a connected stack running (the kill switch
# protects without the app)
click action
GIVE_UP_LOG="connect failed" wait_menu 240 status_line "^Protected.*${EXIT_IP//./\\.}" '^(Error|Settings error)' ||
  die_with "the second connect never showed the lab's exit IP"
click quit
for _ in $(seq 1 50); do
  kill -0 "$APP_PID" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$APP_PID" 2>/dev/null; then
  die_with "Quit did not end the app"
fi
wait "$APP_PID"
rc=$?
[ "$rc" -eq 0 ] || die_with "the app exited with $rc after Quit"
running=$(docker ps -q --filter "label=dev.torrentvpn.profile=lab-demo" | wc -l)
[ "$running" -eq 2 ] || die_with "after Quit, $running of the stack's 2 containers run"
"$TVPN" disconnect >/dev/null || die_with "tvpn disconnect failed after the test"
[ -z "$(stack_containers)" ] || die_with "containers left after tvpn disconnect"
pass "Quit exits 0; the stack kept running (2 containers) until tvpn disconnect"

finish
