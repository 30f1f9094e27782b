#!/usr/bin/env bash
# Tests that prove the lab tells the truth: tunnelled traffic is seen as the VPN
# exit address, the kill switch holds, the leak check can fail, DNS stays in
# the tunnel, a real torrent transfer only shows the exit address, the port
# forwarded over NAT-PMP reaches the namespace, the app's probes work inside
# the gateway, the ISP path (router relay, router DNS forwarder) and the
# resolver-identity name show the real IP, and the gateway's control API
# behaves like gluetun v3.39 / v3.40 / v3.41 / latest.
#
# Needs `scripts/lab build`; runs `scripts/lab up` itself and `down` at the end.
# Prints "ok - NAME" / "not ok - NAME" per test and finally
# "lab: N passed, M failed". Per-test logs: lab/.state/test-logs/.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=../../scripts/lib/common.sh disable=SC1091
. "$LAB_ROOT/scripts/lib/common.sh"

LOG_DIR="$LAB_STATE/test-logs"
GW=tvpn-lab-test-gw
TOOLS=tvpn-lab-test-tools
QBT=tvpn-lab-test-qbt
CPORT=28000 # gateway control server on the host
WPORT=28080 # qBittorrent WebUI (same port on both sides, like linuxserver)
APIKEY=lab-test-key-$RANDOM$RANDOM
AUTH=(-H "X-API-Key: $APIKEY")

PASSED=0
FAILED=0

# t NAME FUNCTION: run one test in a subshell with `set -e`.
t() {
  local name=$1 fn=$2 start=$SECONDS rc
  (
    set -e
    "$fn"
  ) >"$LOG_DIR/$fn.log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then
    PASSED=$((PASSED + 1))
    echo "ok - $name ($((SECONDS - start)) s)"
  else
    FAILED=$((FAILED + 1))
    echo "not ok - $name ($((SECONDS - start)) s)"
    tail -n 25 "$LOG_DIR/$fn.log" | sed 's/^/  # /'
  fi
}

write_fixture_auth() {
  cat >"$LOG_DIR/fixture-auth.toml" <<EOF
[[roles]]
name = "lab-tests"
auth = "apikey"
apikey = "$APIKEY"
routes = ["GET /v1/version", "GET /v1/vpn/status", "PUT /v1/vpn/status", "GET /v1/publicip/ip",
          "GET /v1/portforward", "PUT /v1/portforward", "GET /v1/openvpn/portforwarded"]
EOF
}

remove_fixture() {
  docker rm -f -v "$QBT" "$TOOLS" "$GW" >/dev/null 2>&1 || true
}

# -- fixture: a latest-version gateway, a tools container and qBittorrent 5.1
# in its namespace, as the app would run them.

test_fixture() {
  remove_fixture
  write_fixture_auth
  natpmp set-port 41000
  gateway_create "$GW" "$CPORT" "$WPORT" latest "$LOG_DIR/fixture-auth.toml" \
    -e HEALTH_SMALL_CHECK_PERIOD=8s -e LAB_PORT_FORWARDING_REFRESH_PERIOD=10s
  docker start "$GW" >/dev/null
  gateway_wait_ready "$CPORT" "${AUTH[@]}" || fail "gateway did not come up"
  docker run -d --name "$TOOLS" --label "$LAB_LABEL" --network "container:$GW" \
    tvpn-lab/tools:latest sleep infinity >/dev/null
  docker run -d --name "$QBT" --label "$LAB_LABEL" --network "container:$GW" \
    -e WEBUI_PORT="$WPORT" -e PUID=1000 -e PGID=1000 -e TZ=Etc/UTC \
    tvpn-lab/qbittorrent:5.1 >/dev/null
  expect_eq "GET /v1/vpn/status" '200 {"status":"running"}' "$(api "$CPORT" GET /v1/vpn/status "${AUTH[@]}")"
  expect_eq "public_ip" "$EXIT_IP" "$(api "$CPORT" GET /v1/publicip/ip "${AUTH[@]}" | sed -n 's/.*"public_ip":"\([^"]*\)".*/\1/p')"
  # Secrets were files, never env, and never logged.
  local key psk
  key=$(tr -d '\n' <"$LAB_KEYS/client.key")
  psk=$(tr -d '\n' <"$LAB_KEYS/psk")
  if docker inspect "$GW" | grep -F -e "$key" -e "$psk" >/dev/null; then fail "a WireGuard secret is in the container config"; fi
  if docker logs "$GW" 2>&1 | grep -F -e "$key" -e "$psk" >/dev/null; then fail "a WireGuard secret is in the gateway log"; fi
}

# 1. Shared-namespace traffic is seen as the VPN exit, never the real IP.
test_exit_ip() {
  local before seen json
  before=$(echo_log_count)
  seen=$(in_ns "$TOOLS" curl -fsS --max-time 5 "http://$ECHO_IP/")
  expect_eq "echo sees" "$EXIT_IP" "$seen"
  json=$(in_ns "$TOOLS" curl -fsS --max-time 5 "http://$ECHO_IP/json")
  expect_match "echo /json" "\"ip\": \"$EXIT_IP\"" "$json"
  local from
  from=$(echo_log_since "$before" | awk '{ print $2 }' | sort -u | tr '\n' ' ')
  expect_eq "echo log sources" "$EXIT_IP " "$from"
  retry 20 docker exec "$GW" /gluetun-entrypoint healthcheck || fail "healthcheck command does not pass"
  retry 25 sh -c "[ \"\$(docker inspect -f '{{.State.Health.Status}}' $GW)\" = healthy ]" ||
    fail "docker health is $(docker inspect -f '{{.State.Health.Status}}' "$GW")"
  echo "  docker health: healthy"
}

qbt_password() {
  docker logs "$QBT" 2>/dev/null |
    sed -n 's/.*A temporary password is provided for this session: \([^ ]*\).*/\1/p' | tail -n 1
}

qbt_login() {
  local password
  retry 20 sh -c "docker logs $QBT 2>/dev/null | grep 'temporary password'" || fail "no temporary password in docker logs"
  password=$(qbt_password)
  [ -n "$password" ] || fail "empty temporary password"
  expect_eq "qBittorrent login" "Ok." "$(curl -sS --max-time 5 -c "$LOG_DIR/qbt.cookies" \
    --data-urlencode username=admin --data-urlencode "password=$password" \
    "http://127.0.0.1:$WPORT/api/v2/auth/login")"
}

qbt() {
  local path=$1
  shift
  curl -sS --max-time 5 -b "$LOG_DIR/qbt.cookies" "$@" "http://127.0.0.1:$WPORT/api/v2/$path"
}

seeder_peer_ips() {
  docker exec tvpn-lab-seeder curl -s --max-time 3 "http://127.0.0.1:8080/api/v2/sync/torrentPeers?hash=$1" |
    jq -r '.peers // {} | keys[] | sub(":[0-9]+$"; "")' 2>/dev/null
}

# 2. A real transfer: qBittorrent 5.1 in the namespace downloads from the
# seeder; the seeder only ever sees the exit address as its peer.
test_torrent() {
  retry 20 sh -c "curl -s --max-time 2 -o /dev/null http://127.0.0.1:$WPORT/" || fail "WebUI not reachable on 127.0.0.1:$WPORT"
  qbt_login
  expect_eq "torrents/add" "Ok." "$(qbt torrents/add -F "urls=http://$SEEDER_IP:8081/lab-medium.torrent")"
  local hash="" deadline=$((SECONDS + 120)) progress=0 peers_seen="" ip
  while [ "$SECONDS" -lt "$deadline" ]; do
    if [ -z "$hash" ]; then
      hash=$(qbt torrents/info | jq -r '.[0].hash // empty')
    fi
    if [ -n "$hash" ]; then
      progress=$(qbt "torrents/info?hashes=$hash" | jq -r '.[0].progress')
      while read -r ip; do
        [ -n "$ip" ] && peers_seen="$peers_seen $ip"
      done < <(seeder_peer_ips "$hash")
      [ "$progress" = 1 ] && break
    fi
    sleep 0.5
  done
  expect_eq "progress" 1 "$progress"
  local unique
  unique=$(tr ' ' '\n' <<<"$peers_seen" | grep . | sort -u | tr '\n' ' ')
  expect_eq "seeder's peers" "$EXIT_IP " "$unique"
  local mine theirs
  mine=$(docker exec "$QBT" sha256sum /downloads/lab-medium.bin | cut -d' ' -f1)
  theirs=$(docker exec tvpn-lab-seeder sha256sum /downloads/lab-medium.bin | cut -d' ' -f1)
  expect_eq "content sha256" "$theirs" "$mine"
  local external
  external=$(qbt transfer/info | jq -r '.last_external_address_v4 // ""')
  if [ -n "$external" ]; then
    expect_eq "qBittorrent last_external_address_v4" "$EXIT_IP" "$external"
  fi
}

# 3. DNS from the namespace reaches the lab DNS only through the tunnel.
test_dns() {
  local before name
  # gluetun's UseDNSSystemWide: its own nameserver first, the others gone,
  # Docker's other lines kept.
  local resolv
  resolv=$(in_ns "$TOOLS" cat /etc/resolv.conf)
  printf '%s\n' "$resolv" | sed 's/^/    /'
  expect_eq "resolv.conf: first line" "nameserver 127.0.0.1" "$(head -n 1 <<<"$resolv")"
  expect_eq "resolv.conf: nameservers" "nameserver 127.0.0.1" "$(grep '^nameserver' <<<"$resolv")"
  before=$(dns_log_count)
  name="probe-$RANDOM$RANDOM.lab.test"
  expect_match "getent hosts echo.lab.test" "^$ECHO_IP +echo.lab.test" "$(in_ns "$TOOLS" getent hosts echo.lab.test)"
  expect_eq "dig seeder.lab.test" "$SEEDER_IP" "$(in_ns "$TOOLS" dig +short +time=2 +tries=1 seeder.lab.test)"
  expect_match "dig $name" "status: NXDOMAIN" "$(in_ns "$TOOLS" dig +time=2 +tries=1 "$name" || true)"
  local queries sources
  queries=$(dns_log_since "$before" | grep 'query\[')
  printf '%s\n' "$queries" | sed 's/^/    /'
  grep -q "$name from" <<<"$queries" || fail "the query for $name never reached the lab DNS"
  grep -q "echo.lab.test from" <<<"$queries" || fail "the query for echo.lab.test never reached the lab DNS"
  sources=$(sed -n 's/.* from \([0-9.]*\)$/\1/p' <<<"$queries" | sort -u | tr '\n' ' ')
  expect_eq "query sources" "$EXIT_IP " "$sources"
}

# The commands the app runs inside the gateway (GNU wget, nslookup, ping, a
# look at /proc and /etc/resolv.conf) work there as in gluetun's image, and
# the resolver-identity name shows who asks the lab DNS.
test_gateway_tools() {
  expect_eq "wget -O - -T 5 -t 1 (IP echo through the tunnel)" "$EXIT_IP" \
    "$(docker exec "$GW" wget -q -O - -T 5 -t 1 "http://$ECHO_IP/")"
  local before out
  before=$(dns_log_count)
  out=$(docker exec "$GW" nslookup whoami.akamai.net)
  printf '%s\n' "$out" | sed 's/^/    /'
  expect_eq "nslookup whoami.akamai.net: server" "127.0.0.1" "$(sed -n 's/^Server:[[:space:]]*//p' <<<"$out")"
  expect_eq "nslookup whoami.akamai.net: answer (the resolver that asked)" "$EXIT_IP" \
    "$(sed -n '/^Name:/,$ s/^Address: *//p' <<<"$out")"
  dns_log_since "$before" | grep "query\[A\] whoami.akamai.net from $EXIT_IP\$" >/dev/null ||
    fail "the lab DNS did not log the whoami query from $EXIT_IP"
  expect_eq "resolv.conf in the gateway" "nameserver 127.0.0.1" \
    "$(docker exec "$GW" cat /etc/resolv.conf | grep '^nameserver')"
  expect_eq "/proc/net/if_inet6 (IPv6 off)" "" "$(docker exec "$GW" cat /proc/net/if_inet6)"
  expect_eq "disable_ipv6" 1 "$(docker exec "$GW" cat /proc/sys/net/ipv6/conf/all/disable_ipv6)"
  if out=$(docker exec "$GW" ping -6 -n -c 1 -W 1 2001:db8::1 2>&1); then fail "ping -6 answered: $out"; fi
  echo "  ping -6 -n -c 1 -W 1 2001:db8::1: fails: $out"
  # The router's DNS forwarder: a query sent to the LAN side (allowed by the
  # kill switch: the eth0 subnet) reaches the lab DNS from the real IP.
  docker exec tvpn-lab-router lab-router dns-forwarder on
  out=$(docker exec "$GW" nslookup whoami.akamai.net "$ROUTER_LAN_IP" || true)
  docker exec tvpn-lab-router lab-router dns-forwarder off
  expect_eq "nslookup whoami.akamai.net $ROUTER_LAN_IP (router forwarder)" "$REAL_IP" \
    "$(sed -n '/^Name:/,$ s/^Address: *//p' <<<"$out")"
}

probe_echo() {
  # probe_echo TOKEN: one request from the namespace; prints what echo saw.
  in_ns "$TOOLS" curl -sS --max-time 2 "http://$ECHO_IP/$1" 2>/dev/null
}

assert_blocked() {
  local what=$1 token before
  token="probe-$RANDOM$RANDOM"
  before=$(echo_log_count)
  if probe_echo "$token"; then fail "$what: the echo service answered"; fi
  sleep 0.5
  if echo_log_since "$before" | grep "$token" >/dev/null; then fail "$what: the echo service logged the request"; fi
  echo "  $what: request timed out, echo saw nothing"
}

webui_reachable() {
  expect_match "WebUI from the host" '^v5\.' "$(qbt app/version)"
}

# 5. Kill switch: tunnel stopped through the API, or wireguard-go killed.
test_kill_switch() {
  expect_eq "PUT stopped" '200 {"outcome":"stopped"}' \
    "$(api "$CPORT" PUT /v1/vpn/status "${AUTH[@]}" -d '{"status":"stopped"}')"
  expect_eq "public_ip while stopped" '200 {"public_ip":""}' "$(api "$CPORT" GET /v1/publicip/ip "${AUTH[@]}")"
  expect_eq "status while stopped" '200 {"status":"stopped"}' "$(api "$CPORT" GET /v1/vpn/status "${AUTH[@]}")"
  # gluetun's policies stay DROP while the VPN is stopped (set once at start).
  expect_eq "policies while stopped" "-P INPUT DROP -P FORWARD DROP -P OUTPUT DROP" \
    "$(docker exec "$GW" iptables -S | grep '^-P' | tr '\n' ' ' | sed 's/ $//')"
  expect_eq "forwarded port while stopped" '200 {"port":0,"ports":[]}' "$(api "$CPORT" GET /v1/portforward "${AUTH[@]}")"
  expect_eq "port file while stopped" "" "$(docker exec "$GW" cat /tmp/gluetun/forwarded_port)"
  assert_blocked "tunnel stopped"
  local before name
  before=$(dns_log_count)
  name="probe-$RANDOM$RANDOM.lab.test"
  if in_ns "$TOOLS" dig +short +time=1 +tries=1 "$name" | grep . >/dev/null; then fail "DNS answered while stopped"; fi
  if dns_log_since "$before" | grep "$name" >/dev/null; then fail "DNS query left while stopped"; fi
  echo "  DNS while stopped: no answer, nothing reached the lab DNS"
  webui_reachable
  expect_eq "PUT running" '200 {"outcome":"running"}' \
    "$(api "$CPORT" PUT /v1/vpn/status "${AUTH[@]}" -d '{"status":"running"}')"
  retry 15 sh -c "[ \"\$(docker exec $TOOLS curl -s --max-time 2 http://$ECHO_IP/)\" = $EXIT_IP ]" ||
    fail "not reachable after PUT running"
  echo "  after PUT running: echo sees $EXIT_IP"

  # A crash: wireguard-go dies, nobody is told. The status still says running
  # until the health check notices and restarts the tunnel. The small check
  # runs every 8 s from tunnel up (fixture), so the checks below finish
  # before the first one.
  local logs_before
  logs_before=$(docker logs "$GW" 2>&1 | wc -l)
  docker exec "$GW" /gluetun-entrypoint lab kill-wg
  expect_eq "status right after kill-wg" '200 {"status":"running"}' "$(api "$CPORT" GET /v1/vpn/status "${AUTH[@]}")"
  assert_blocked "wireguard-go killed"
  webui_reachable
  retry 30 sh -c "docker logs $GW 2>&1 | tail -n +$((logs_before + 1)) | grep 'restarting VPN because it failed to pass the healthcheck: small periodic check'" ||
    fail "no auto-heal log line"
  echo "  auto-heal: restarting VPN because it failed to pass the healthcheck: small periodic check"
  retry 20 sh -c "[ \"\$(docker exec $TOOLS curl -s --max-time 2 http://$ECHO_IP/)\" = $EXIT_IP ]" ||
    fail "not reachable after the auto-heal"
  echo "  after the auto-heal: echo sees $EXIT_IP"
  gateway_wait_ready "$CPORT" "${AUTH[@]}"
}

gateway_firewall() {
  docker exec "$GW" /gluetun-entrypoint lab status | sed -n 's/.*"firewall": "\([a-z]*\)".*/\1/p'
}

# 4. Control experiment: with the firewall open and the tunnel down, the leak
# is visible (the echo service sees the real IP, the resolver-identity name
# answers the real IP), so the checks above can fail. An open firewall stays
# open across a VPN stop/start until `lab firewall close`.
test_control_experiment() {
  expect_eq "PUT stopped" '200 {"outcome":"stopped"}' \
    "$(api "$CPORT" PUT /v1/vpn/status "${AUTH[@]}" -d '{"status":"stopped"}')"
  docker exec "$GW" /gluetun-entrypoint lab firewall open
  local seen whoami
  seen=$(in_ns "$TOOLS" curl -sS --max-time 5 "http://$ECHO_IP/" || true)
  whoami=$(docker exec "$GW" nslookup whoami.akamai.net | sed -n '/^Name:/,$ s/^Address: *//p' || true)
  expect_eq "echo sees (leak)" "$REAL_IP" "$seen"
  expect_eq "whoami.akamai.net (DNS leak)" "$REAL_IP" "$whoami"
  # A VPN start and stop keep the firewall open.
  expect_eq "PUT running (firewall open)" '200 {"outcome":"running"}' \
    "$(api "$CPORT" PUT /v1/vpn/status "${AUTH[@]}" -d '{"status":"running"}')"
  retry 15 sh -c "[ \"\$(docker exec $TOOLS curl -s --max-time 2 http://$ECHO_IP/)\" = $EXIT_IP ]" ||
    fail "not through the tunnel after PUT running with the firewall open"
  echo "  VPN running, firewall open: echo sees $EXIT_IP"
  expect_eq "firewall after PUT running" open "$(gateway_firewall)"
  expect_eq "PUT stopped (firewall open)" '200 {"outcome":"stopped"}' \
    "$(api "$CPORT" PUT /v1/vpn/status "${AUTH[@]}" -d '{"status":"stopped"}')"
  expect_eq "firewall after PUT stopped" open "$(gateway_firewall)"
  seen=$(in_ns "$TOOLS" curl -sS --max-time 5 "http://$ECHO_IP/" || true)
  docker exec "$GW" /gluetun-entrypoint lab firewall close
  expect_eq "echo sees after a VPN stop/start (leak, still open)" "$REAL_IP" "$seen"
  expect_eq "firewall after lab firewall close" closed "$(gateway_firewall)"
  assert_blocked "firewall closed again"
  expect_eq "PUT running" '200 {"outcome":"running"}' \
    "$(api "$CPORT" PUT /v1/vpn/status "${AUTH[@]}" -d '{"status":"running"}')"
  retry 15 sh -c "[ \"\$(docker exec $TOOLS curl -s --max-time 2 http://$ECHO_IP/)\" = $EXIT_IP ]" ||
    fail "not reachable after PUT running"
  echo "  back in the tunnel: echo sees $EXIT_IP"
}

# gateway_wait_port CONTAINER PORT: the port file says PORT (port forwarding
# starts last, after the public IP).
gateway_wait_port() {
  retry 15 sh -c "[ \"\$(docker exec $1 cat /tmp/gluetun/forwarded_port 2>/dev/null)\" = $2 ]" ||
    fail "port file of $1: expected [$2], got [$(docker exec "$1" cat /tmp/gluetun/forwarded_port 2>&1)]"
}

# The ISP path: the router's relay shows the host the real IP, the VPN
# server can run one too, the lab DNS answers whoami.akamai.net with the
# asker's address, and the router's DNS forwarder asks it from the real IP.
test_isp_path() {
  expect_eq "relay from the host ($ISP_ECHO_URL)" "$REAL_IP" "$(curl --noproxy '*' -fsS --max-time 5 "$ISP_ECHO_URL")"
  expect_eq "relay from a LAN host" "$REAL_IP" "$(lan_host curl -fsS --max-time 5 "$ISP_ECHO_URL")"
  docker logs tvpn-lab-router 2>&1 | grep -E "lab-relay: 10\.221\.0\.1:[0-9]+ -> 10\.222\.0\.10:80$" >/dev/null ||
    fail "the router did not log the relayed connection"
  docker exec -d tvpn-lab-vpn sh -c 'echo $$ >/tmp/lab-relay.pid; exec lab-relay 8080 10.222.0.10:80'
  local seen
  retry 10 sh -c "curl --noproxy '*' -fsS --max-time 2 http://$EXIT_IP:8080/ >/dev/null 2>&1" || fail "no relay on $EXIT_IP:8080"
  seen=$(curl --noproxy '*' -fsS --max-time 5 "http://$EXIT_IP:8080/")
  docker exec tvpn-lab-vpn sh -c 'kill "$(cat /tmp/lab-relay.pid)"'
  expect_eq "relay on the VPN server from the host" "$EXIT_IP" "$seen"

  local before
  before=$(dns_log_count)
  expect_eq "whoami.akamai.net from the echo host" "$ECHO_IP" \
    "$(docker exec tvpn-lab-echo dig +short +time=2 +tries=1 "@$DNS_IP" whoami.akamai.net)"
  expect_eq "whoami.akamai.net over TCP" "$ECHO_IP" \
    "$(docker exec tvpn-lab-echo dig +tcp +short +time=2 +tries=1 "@$DNS_IP" whoami.akamai.net)"
  expect_match "whoami.akamai.net AAAA: no data" "status: NOERROR.*ANSWER: 0" \
    "$(docker exec tvpn-lab-echo dig +time=2 +tries=1 "@$DNS_IP" whoami.akamai.net AAAA | tr '\n' ' ')"
  expect_eq "echo.lab.test still answered" "$ECHO_IP" \
    "$(docker exec tvpn-lab-echo dig +short +time=2 +tries=1 "@$DNS_IP" echo.lab.test)"
  expect_match "other names: NXDOMAIN" "status: NXDOMAIN" \
    "$(docker exec tvpn-lab-echo dig +time=2 +tries=1 "@$DNS_IP" example.com || true)"
  local queries
  queries=$(dns_log_since "$before" | grep 'query\[')
  printf '%s\n' "$queries" | sed 's/^/    /'
  expect_eq "query sources" "$ECHO_IP " "$(sed -n 's/.* from \([0-9.]*\)$/\1/p' <<<"$queries" | sort -u | tr '\n' ' ')"

  expect_eq "forwarder on" "dns forwarder: on ($ROUTER_LAN_IP:53 -> $DNS_IP)" \
    "$(docker exec tvpn-lab-router lab-router dns-forwarder on)"
  before=$(dns_log_count)
  expect_eq "whoami.akamai.net through the router's forwarder" "$REAL_IP" \
    "$(lan_host dig +short +time=2 +tries=1 "@$ROUTER_LAN_IP" whoami.akamai.net)"
  dns_log_since "$before" | grep "query\[A\] whoami.akamai.net from $REAL_IP\$" >/dev/null ||
    fail "the lab DNS did not see the forwarded query from $REAL_IP"
  expect_match "lab-router status" "dns forwarder: on" "$(docker exec tvpn-lab-router lab-router status | tr '\n' ' ')"
  expect_eq "forwarder off" "dns forwarder: off" "$(docker exec tvpn-lab-router lab-router dns-forwarder off)"
  if lan_host dig +short +time=1 +tries=1 "@$ROUTER_LAN_IP" whoami.akamai.net >/dev/null 2>&1; then
    fail "the forwarder still answers after off"
  fi
  echo "  forwarder off: no answer on $ROUTER_LAN_IP:53"
}

# The lab VPN server's NAT-PMP answers as RFC 6886 says, inside the tunnel only.
test_natpmp_server() {
  local out
  out=$(docker exec -i "$TOOLS" python3 - <<'EOF'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect(("10.66.66.1", 5351))
def ask(request):
    s.send(request)
    return s.recv(64)
r = ask(bytes([0, 0]))
epoch1 = struct.unpack("!I", r[4:8])[0]
print("external", len(r), r[0], r[1], struct.unpack("!H", r[2:4])[0], socket.inet_ntoa(r[8:12]))
r = ask(bytes([1, 0]))
print("bad version", len(r), r[0], r[1], struct.unpack("!H", r[2:4])[0])
r = ask(bytes([0, 9, 0, 0, 1, 2]))
print("bad opcode", len(r), r[0], r[1], struct.unpack("!H", r[2:4])[0], r[4:].hex())
r = ask(struct.pack("!BBHHHI", 0, 2, 0, 56789, 0, 60))
version, opcode, result, epoch2, internal, external, lifetime = struct.unpack("!BBHIHHI", r)
print("map tcp", len(r), version, opcode, result, internal, external, lifetime, epoch2 >= epoch1)
EOF
)
  printf '%s\n' "$out" | sed 's/^/    /'
  local lines
  mapfile -t lines <<<"$out"
  expect_eq "opcode 0: 12 bytes, version 0, opcode 128, success, external address" \
    "external 12 0 128 0 $EXIT_IP" "${lines[0]}"
  expect_eq "version 1: unsupported version (result 1), opcode 128" "bad version 8 0 128 1" "${lines[1]}"
  expect_eq "opcode 9: the request back, opcode 137, result 5" "bad opcode 6 0 137 5 0102" "${lines[2]}"
  expect_eq "opcode 2 (the gateway's own TCP mapping): 16 bytes, opcode 130, 56789 -> 41000, 60 s" \
    "map tcp 16 0 130 0 56789 41000 60 True" "${lines[3]}"
  # From the lab internet, nothing answers on the exit address.
  out=$(docker exec -i tvpn-lab-echo python3 - <<EOF
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
try:
    s.sendto(bytes([0, 0]), ("$EXIT_IP", 5351))
    s.recvfrom(64)
    print("answered")
except OSError:
    print("no answer")
EOF
)
  expect_eq "NAT-PMP from the lab internet to $EXIT_IP:5351" "no answer" "$out"
}

# Port forwarding end to end, as gluetun's protonvpn code does it: NAT-PMP to
# the VPN gateway 10.66.66.1 through the tunnel; a listener in the namespace
# is reachable from the lab internet on the exit address; the port follows the
# provider (the VPN server's knob, and `lab set-port` through it).
test_port_forwarding() {
  gateway_wait_ready "$CPORT" "${AUTH[@]}"
  gateway_wait_port "$GW" 41000
  expect_eq "GET /v1/portforward" '200 {"port":41000,"ports":[41000]}' "$(api "$CPORT" GET /v1/portforward "${AUTH[@]}")"
  expect_eq "port file" 41000 "$(docker exec "$GW" cat /tmp/gluetun/forwarded_port)"
  local logs
  logs=$(docker logs "$GW" 2>&1)
  grep 'INFO \[port forwarding\] port forwarded is 41000$' <<<"$logs" >/dev/null || fail "no 'port forwarded is 41000' line"
  grep 'INFO \[firewall\] setting allowed input port 56789 through interface tun0\.\.\.$' <<<"$logs" >/dev/null ||
    fail "internal port 56789 not allowed on tun0"
  expect_eq "the VPN server's mappings" "tcp 56789 41000 60,udp 56789 41000 60," \
    "$(natpmp status | jq -r '.mappings[] | "\(.protocol) \(.internal) \(.external) \(.lifetime)"' | sort | tr '\n' ',')"
  pf_roundtrip 41000

  # The provider changes the port: the next renewal (every 10 s on this
  # gateway, 45 s in gluetun) gets it, and gluetun starts over.
  local start=$SECONDS
  natpmp set-port 43000
  gateway_wait_port "$GW" 43000
  echo "  the gateway followed the VPN server's knob in $((SECONDS - start)) s"
  [ $((SECONDS - start)) -le 13 ] || fail "more than one renewal period"
  expect_eq "GET /v1/portforward after the change" '200 {"port":43000,"ports":[43000]}' \
    "$(api "$CPORT" GET /v1/portforward "${AUTH[@]}")"
  logs=$(docker logs "$GW" 2>&1)
  grep 'ERROR \[port forwarding\] external port changed from 41000 to 43000$' <<<"$logs" >/dev/null ||
    fail "no 'external port changed' line"
  grep 'INFO \[port forwarding\] port forwarded is 43000$' <<<"$logs" >/dev/null || fail "no log line for the new port"
  pf_roundtrip 43000
  pf_closed 41000

  # lab set-port: the same change through the gateway's knob, applied at once.
  docker exec "$GW" /gluetun-entrypoint lab set-port 42000
  expect_eq "the VPN server's port" 42000 "$(natpmp port)"
  expect_eq "GET /v1/portforward after set-port" '200 {"port":42000,"ports":[42000]}' "$(api "$CPORT" GET /v1/portforward "${AUTH[@]}")"
  expect_eq "port file after set-port" 42000 "$(docker exec "$GW" cat /tmp/gluetun/forwarded_port)"
  pf_roundtrip 42000
  pf_closed 43000
  docker exec "$GW" /gluetun-entrypoint lab set-port 41000 >/dev/null
}

# pf_closed PORT: the port is no longer forwarded into the namespace; the VPN
# server still DNATs it, the gateway's kill switch drops it.
pf_closed() {
  local port=$1
  docker exec -d "$TOOLS" sh -c "timeout 6 nc -l $port > /tmp/pf-$port 2>&1"
  sleep 0.5
  if docker exec tvpn-lab-echo sh -c "echo old | nc -w 2 -N $EXIT_IP $port" 2>/dev/null; then
    sleep 0.5
    if [ "$(docker exec "$TOOLS" cat "/tmp/pf-$port" 2>/dev/null)" = old ]; then fail "old port $port still open"; fi
  fi
  echo "  old port $port: closed"
}

pf_roundtrip() {
  local port=$1 token="pf-$RANDOM"
  docker exec -d "$TOOLS" sh -c "timeout 8 nc -l $port > /tmp/pf-$port 2>&1"
  sleep 0.5
  docker exec tvpn-lab-echo sh -c "echo $token | nc -w 3 -N $EXIT_IP $port" ||
    fail "connecting to $EXIT_IP:$port from the lab internet failed"
  retry 5 sh -c "[ \"\$(docker exec $TOOLS cat /tmp/pf-$port)\" = $token ]" || fail "the listener did not get the data"
  echo "  $EXIT_IP:$port -> listener in the namespace: ok"
}

# -- 6. Control API contract, per gluetun version.

CONTRACT_GW=tvpn-lab-test-contract
CONTRACT_PORT=28100

contract_gateway() {
  # contract_gateway VERSION AUTH_TOML|- [docker args...]: a fresh gateway on $CONTRACT_PORT.
  local version=$1 auth=$2
  shift 2
  docker rm -f -v "$CONTRACT_GW" >/dev/null 2>&1 || true
  natpmp set-port 41000 >/dev/null
  gateway_create "$CONTRACT_GW" "$CONTRACT_PORT" 28180 "$version" "$auth" "$@"
  docker start "$CONTRACT_GW" >/dev/null
}

# expect_api WHAT EXPECTED METHOD PATH [curl args...]
expect_api() {
  local what=$1 expected=$2 method=$3 path=$4
  shift 4
  expect_eq "$what: $method $path" "$expected" "$(api "$CONTRACT_PORT" "$method" "$path" "$@")"
}

# header METHOD PATH NAME [curl args...]: one response header's value.
header() {
  local method=$1 path=$2 name=$3
  shift 3
  curl -sS --max-time 5 -o /dev/null -D - -X "$method" "$@" "http://127.0.0.1:$CONTRACT_PORT$path" |
    tr -d '\r' | sed -n "s/^$name: //Ip"
}

test_contract_v339() {
  contract_gateway v3.39 "$LOG_DIR/fixture-auth.toml"
  gateway_wait_ready "$CONTRACT_PORT"
  gateway_wait_port "$CONTRACT_GW" 41000
  local v='200 {"version":"v3.39.0","commit":"09c47c7","created":"2024-08-09T07:43:48.000Z"}'
  expect_api "no auth at all" "$v" GET /v1/version
  expect_api "config.toml ignored" '200 {"status":"running"}' GET /v1/vpn/status
  expect_api "trailing slash" '200 {"status":"running"}' GET /v1/vpn/status/
  expect_match "settings public, redacted" '^200 .*"private_key":"\[set\]"' "$(api "$CONTRACT_PORT" GET /v1/vpn/settings)"
  expect_api "old port route" '200 {"port":41000}' GET /v1/openvpn/portforwarded
  expect_api "no /v1/portforward yet" '400 GET /portforward not found' GET /v1/portforward
  expect_api "v0 non-GET" '400 unversioned API: only supports GET method' PUT /version
  expect_api "v0 unknown" '400 unversioned API: requested URI not found' GET /nope
  expect_eq "v0 /version redirect" "/v1/version" "$(header GET /version Location)"
  expect_api "v0 /version status" '308 <a href="/v1/version">Permanent Redirect</a>.' GET /version
  expect_eq "v0 /openvpn/portforwarded redirect" "/v1/openvpn/portforwarded" "$(header GET /openvpn/portforwarded Location)"
  expect_api "invalid status" '400 invalid status: paused: possible values are: stopped, running' \
    PUT /v1/vpn/status -d '{"status":"paused"}'
  expect_api "empty body" '400 EOF' PUT /v1/vpn/status
  expect_api "wrong method" '400 method DELETE not supported' DELETE /v1/vpn/status
  expect_api "unknown sub-route" '400 route /nope not supported' GET /v1/vpn/nope
  expect_api "unknown v1 route" '400 GET /nope not found' GET /v1/nope
  expect_api "openvpn status on wireguard" '200 {"status":"stopped"}' GET /v1/openvpn/status
  expect_api "dns status" '200 {"status":"running"}' GET /v1/dns/status
  expect_eq "content type" "text/plain; charset=utf-8" "$(header GET /v1/vpn/status Content-Type)"
}

test_contract_v340() {
  contract_gateway v3.40 -
  gateway_wait_ready "$CONTRACT_PORT"
  gateway_wait_port "$CONTRACT_GW" 41000
  expect_api "public role" '200 {"version":"v3.40.0","commit":"e890c50","created":"2024-12-25T20:05:55.000Z"}' GET /v1/version
  expect_api "public role" '200 {"status":"running"}' GET /v1/vpn/status
  docker logs "$CONTRACT_GW" 2>&1 | grep 'WARN \[http server\] route GET /v1/vpn/status is unprotected by default, please set up authentication' >/dev/null ||
    fail "no 'unprotected by default' warning"
  echo "  WARN [http server] route GET /v1/vpn/status is unprotected by default ...: logged"
  expect_api "private by default" '401 Unauthorized' GET /v1/vpn/settings
  expect_api "private by default" '401 Unauthorized' PUT /v1/vpn/settings -d '{}'
  expect_api "private by default" '401 Unauthorized' GET /v1/openvpn/settings
  expect_api "port as JSON" '200 {"port":41000}' GET /v1/openvpn/portforwarded
  expect_api "no role" '401 Unauthorized' GET /v1/portforward
  expect_api "unknown path" '401 Unauthorized' GET /v1/nope
  expect_api "trailing slash is another route" '401 Unauthorized' GET /v1/vpn/status/
  expect_api "v0 non-GET has no role" '401 Unauthorized' PUT /version
  expect_api "PUT stopped" '200 {"outcome":"stopped"}' PUT /v1/vpn/status -d '{"status":"stopped"}'
  expect_api "no port while stopped" '200 {"port":0}' GET /v1/openvpn/portforwarded
  expect_api "PUT running" '200 {"outcome":"running"}' PUT /v1/vpn/status -d '{"status":"running"}'
}

test_contract_v341() {
  contract_gateway v3.41 -
  gateway_wait_ready "$CONTRACT_PORT"
  gateway_wait_port "$CONTRACT_GW" 41000
  expect_api "public role" '200 {"version":"v3.41.1","commit":"7f22fb3","created":"2026-02-11T14:13:34.000Z"}' GET /v1/version
  expect_api "public /v1/portforward" '200 {"port":41000}' GET /v1/portforward
  expect_api "old route redirects" '301 <a href="/v1/portforward">Moved Permanently</a>.' GET /v1/openvpn/portforwarded
  expect_eq "old route Location" "/v1/portforward" "$(header GET /v1/openvpn/portforwarded Location)"
  expect_eq "v0 route Location" "/v1/portforward" "$(header GET /openvpn/portforwarded Location)"
  expect_api "PUT /v1/portforward has no role" '401 Unauthorized' PUT /v1/portforward -d '{"ports":[1]}'
  expect_api "private by default" '401 Unauthorized' GET /v1/vpn/settings
  expect_api "unknown path" '401 Unauthorized' GET /v1/nope

  # HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE replaces the public role.
  contract_gateway v3.41 - -e 'HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE={"auth":"apikey","apikey":"default-key"}'
  gateway_wait_ready "$CONTRACT_PORT" -H "X-API-Key: default-key"
  expect_api "default role, no key" '401 Unauthorized' GET /v1/vpn/status
  expect_api "default role, key" '200 {"status":"running"}' GET /v1/vpn/status -H "X-API-Key: default-key"
  expect_match "default role covers settings" '^200 ' "$(api "$CONTRACT_PORT" GET /v1/vpn/settings -H "X-API-Key: default-key")"
}

test_contract_latest() {
  cat >"$LOG_DIR/latest-auth.toml" <<'EOF'
[[roles]]
name = "tray"
auth = "apikey"
apikey = "tray-key"
routes = ["GET /v1/version", "GET /v1/vpn/status", "PUT /v1/vpn/status", "GET /v1/publicip/ip",
          "GET /v1/portforward", "PUT /v1/portforward", "GET /v1/openvpn/portforwarded"]

[[roles]]
name = "ops"
auth = "basic"
username = "ops"
password = "ops-secret"
routes = ["GET /v1/vpn/settings"]
EOF
  contract_gateway latest "$LOG_DIR/latest-auth.toml" -e 'HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE={"auth":"apikey","apikey":"default-key"}'
  local tray=(-H "X-API-Key: tray-key")
  gateway_wait_ready "$CONTRACT_PORT" "${tray[@]}"
  gateway_wait_port "$CONTRACT_GW" 41000
  docker logs "$CONTRACT_GW" 2>&1 | grep 'INFO \[http server\] read 2 roles from authentication file' >/dev/null || fail "no 'read 2 roles' log line"
  expect_api "no key" '401 Unauthorized' GET /v1/vpn/status
  expect_api "wrong key" '401 Unauthorized' GET /v1/vpn/status -H "X-API-Key: nope"
  expect_api "X-API-Key" '200 {"status":"running"}' GET /v1/vpn/status "${tray[@]}"
  expect_api "version" '200 {"version":"latest","commit":"b119325","created":"2026-05-19T08:21:37.000Z"}' GET /v1/version "${tray[@]}"
  expect_api "?api_key=" '200 {"port":41000,"ports":[41000]}' GET '/v1/portforward?api_key=tray-key'
  # gluetun routes on the raw request URI: a query string breaks exact-match routes.
  expect_api "?api_key= on an exact route" '400 route /status?api_key=tray-key not supported' GET '/v1/vpn/status?api_key=tray-key'
  expect_api "unknown path" '404 Not Found' GET /v1/nope
  expect_api "unknown path, with key" '404 Not Found' GET /v1/nope "${tray[@]}"
  expect_api "trailing slash" '404 Not Found' GET /v1/vpn/status/ "${tray[@]}"
  expect_api "wrong method" '405 Method Not Allowed' DELETE /v1/vpn/status "${tray[@]}"
  expect_api "wrong method" '405 Method Not Allowed' PUT /v1/version
  expect_api "v0 non-GET" '405 Method Not Allowed' PUT /openvpn/actions/restart
  expect_api "v0 /version is no route" '404 Not Found' GET /version -H "X-API-Key: default-key"
  expect_api "basic, no credentials" '401 Unauthorized' GET /v1/vpn/settings
  expect_eq "WWW-Authenticate" 'Basic realm="restricted", charset="UTF-8"' "$(header GET /v1/vpn/settings WWW-Authenticate)"
  expect_api "basic, wrong password" '401 Unauthorized' GET /v1/vpn/settings -u ops:nope
  local settings
  settings=$(api "$CONTRACT_PORT" GET /v1/vpn/settings -u ops:ops-secret)
  expect_match "basic, right password" '^200 .*"private_key":"\[set\]"' "$settings"
  if grep -qF "$(tr -d '\n' <"$LAB_KEYS/client.key")" <<<"$settings"; then fail "settings leak the private key"; fi
  expect_api "route outside the tray role" '401 Unauthorized' GET /v1/dns/status "${tray[@]}"
  expect_api "DEFAULT_ROLE covers the rest" '200 {"status":"running"}' GET /v1/dns/status -H "X-API-Key: default-key"
  expect_api "DEFAULT_ROLE skips covered routes" '401 Unauthorized' GET /v1/vpn/status -H "X-API-Key: default-key"
  expect_api "old route redirects" '301 <a href="/v1/portforward">Moved Permanently</a>.' GET /v1/openvpn/portforwarded "${tray[@]}"
  expect_api "PUT /v1/portforward" '200 ' PUT /v1/portforward "${tray[@]}" -d '{"ports":[42000]}'
  expect_api "GET after PUT" '200 {"port":42000,"ports":[42000]}' GET /v1/portforward "${tray[@]}"
  expect_eq "port file after PUT" 42000 "$(docker exec "$CONTRACT_GW" cat /tmp/gluetun/forwarded_port)"
  expect_api "PUT /v1/portforward bad body" '400 failed setting forwarded ports' PUT /v1/portforward "${tray[@]}" -d 'x'
  expect_api "invalid status" '400 invalid status: bogus: possible values are: stopped, running' \
    PUT /v1/vpn/status "${tray[@]}" -d '{"status":"bogus"}'
  expect_api "PUT stopped" '200 {"outcome":"stopped"}' PUT /v1/vpn/status "${tray[@]}" -d '{"status":"stopped"}'
  expect_api "PUT stopped again" '200 {"outcome":"already stopped"}' PUT /v1/vpn/status "${tray[@]}" -d '{"status":"stopped"}'
  expect_api "status" '200 {"status":"stopped"}' GET /v1/vpn/status "${tray[@]}"
  expect_api "public ip cleared" '200 {"public_ip":""}' GET /v1/publicip/ip "${tray[@]}"
  expect_api "ports cleared" '200 {"port":0,"ports":[]}' GET /v1/portforward "${tray[@]}"
  expect_api "PUT running" '200 {"outcome":"running"}' PUT /v1/vpn/status "${tray[@]}" -d '{"status":"running"}'
  expect_api "PUT running again" '200 {"outcome":"already running"}' PUT /v1/vpn/status "${tray[@]}" -d '{"status":"running"}'
  gateway_wait_ready "$CONTRACT_PORT" "${tray[@]}"
  docker logs "$CONTRACT_GW" 2>&1 | grep -E 'INFO \[http server\] 200 GET /v1/vpn/status wrote 21B to [0-9.]+:[0-9]+ in [0-9.]+(µs|ms|s)$' >/dev/null ||
    fail "no request log line in gluetun's format"
  echo "  request log line: ok"
  if docker logs "$CONTRACT_GW" 2>&1 | grep 'tray-key' >/dev/null; then fail "an API key is in the log"; fi
}

test_contract_config_errors() {
  printf '[[roles]]\nname = "x"\nauth = "none"\nroutes = ["GET /v1/vpn/status"]\nfoo = 1\n' >"$LOG_DIR/bad-key.toml"
  contract_gateway latest "$LOG_DIR/bad-key.toml"
  local code
  code=$(timeout 20 docker wait "$CONTRACT_GW")
  expect_eq "exit code, unknown key" 1 "$code"
  expect_match "log" 'ERROR setting up control server: .*strict mode: fields in the document are missing in the target struct' \
    "$(docker logs "$CONTRACT_GW" 2>&1 | grep ERROR)"

  printf '[[roles]]\nname = "x"\nauth = "none"\nroutes = ["GET /v1/nope"]\n' >"$LOG_DIR/bad-route.toml"
  contract_gateway latest "$LOG_DIR/bad-route.toml"
  code=$(timeout 20 docker wait "$CONTRACT_GW")
  expect_eq "exit code, unknown route" 1 "$code"
  expect_match "log" 'route path not supported by the control server: /v1/nope' "$(docker logs "$CONTRACT_GW" 2>&1 | grep ERROR)"

  contract_gateway latest - -e VPN_SERVICE_PROVIDER=mullvad
  code=$(timeout 20 docker wait "$CONTRACT_GW")
  expect_eq "exit code, provider not custom" 1 "$code"
  expect_match "log" 'only implements VPN_SERVICE_PROVIDER=custom' "$(docker logs "$CONTRACT_GW" 2>&1 | grep ERROR)"

  # SIGTERM: gluetun's shutdown lines and a quick, clean exit.
  contract_gateway latest - -e 'HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE={"auth":"none"}'
  gateway_wait_ready "$CONTRACT_PORT"
  local start=$SECONDS
  docker stop -t 10 "$CONTRACT_GW" >/dev/null
  expect_eq "exit code after SIGTERM" 0 "$(docker inspect -f '{{.State.ExitCode}}' "$CONTRACT_GW")"
  [ $((SECONDS - start)) -le 5 ] || fail "shutdown took $((SECONDS - start)) s"
  docker logs "$CONTRACT_GW" 2>&1 | grep 'WARN Caught OS signal terminated, shutting down' >/dev/null || fail "no signal line"
  docker logs "$CONTRACT_GW" 2>&1 | grep 'INFO Shutdown successful' >/dev/null || fail "no shutdown line"
  echo "  SIGTERM: Caught OS signal terminated ... Shutdown successful, exit 0"
  docker rm -f -v "$CONTRACT_GW" >/dev/null
}

main() {
  ensure_apt_packages curl jq
  ensure_docker || exit 2
  local image
  for image in tvpn-lab/tools:latest tvpn-lab/gateway:latest tvpn-lab/qbittorrent:5.1 tvpn-lab/seeder:latest; do
    docker image inspect "$image" >/dev/null 2>&1 || {
      echo "missing image $image: run scripts/lab build first" >&2
      exit 2
    }
  done
  rm -rf "$LOG_DIR"
  mkdir -p "$LOG_DIR"
  trap '"$LAB_ROOT/scripts/lab" down >"$LOG_DIR/lab-down.log" 2>&1' EXIT
  local start=$SECONDS
  echo "# scripts/lab up"
  if ! TVPN_LAB_SKIP_KEYRING=1 "$LAB_ROOT/scripts/lab" up >"$LOG_DIR/lab-up.log" 2>&1; then
    sed 's/^/  # /' "$LOG_DIR/lab-up.log"
    echo "not ok - lab up"
    echo "lab: 0 passed, 1 failed"
    exit 1
  fi

  t "fixture: gateway (latest, apikey role) + tools + qBittorrent 5.1 in its namespace" test_fixture
  t "1. namespace traffic is seen as the exit IP $EXIT_IP, never $REAL_IP" test_exit_ip
  t "2. qBittorrent 5.1 downloads from the seeder; the seeder only sees $EXIT_IP" test_torrent
  t "3. DNS from the namespace reaches the lab DNS only from $EXIT_IP" test_dns
  t "3b. the app's probes inside the gateway: wget, nslookup (whoami), /proc, ping -6" test_gateway_tools
  t "5. kill switch: PUT stopped and kill-wg block traffic, WebUI stays up, auto-heal" test_kill_switch
  t "4. control experiment: firewall open + tunnel down -> echo sees $REAL_IP" test_control_experiment
  t "NAT-PMP server on 10.66.66.1:5351: RFC 6886 answers, tunnel only" test_natpmp_server
  t "ISP path: router relay (real IP), VPN relay, whoami.akamai.net, router DNS forwarder" test_isp_path
  t "port forwarding over NAT-PMP end to end; the provider's port change; lab set-port" test_port_forwarding
  remove_fixture
  t "6a. control API contract v3.39" test_contract_v339
  t "6b. control API contract v3.40" test_contract_v340
  t "6c. control API contract v3.41" test_contract_v341
  t "6d. control API contract latest" test_contract_latest
  t "6e. fatal config errors, SIGTERM" test_contract_config_errors
  t "7. the stand-in's settings rules (gluetun's messages, per generation)" test_gluetun_settings
  echo "# total $((SECONDS - start)) s; logs in ${LOG_DIR#"$LAB_ROOT"/}/"
  echo "lab: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# The stand-in's reading and validation of gluetun's settings, as a Python
# unit test table (each row cites its gluetun source file).
test_gluetun_settings() {
  python3 -m unittest discover -s "$LAB_ROOT/lab/images/gateway" -p 'test_gluetun_settings.py' -v
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
