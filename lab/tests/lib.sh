# shellcheck shell=bash
# Helpers for the lab tests: start a gateway the way the app does, talk to it,
# read the lab services' logs. Sourced by lab/tests/run.sh.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_STATE="$LAB_ROOT/lab/.state"
LAB_KEYS="$LAB_STATE/keys"
LAB_DEMO_SETTINGS="$LAB_STATE/demo-config/settings.toml"
LAB_LABEL="dev.torrentvpn.lab=1"
# Addresses used by run.sh.
# shellcheck disable=SC2034
ECHO_IP=10.222.0.10
# shellcheck disable=SC2034
EXIT_IP=10.222.0.3
# shellcheck disable=SC2034
REAL_IP=10.222.0.2
# shellcheck disable=SC2034
SEEDER_IP=10.222.0.20
# shellcheck disable=SC2034
DNS_IP=10.222.0.53
# shellcheck disable=SC2034
ROUTER_LAN_IP=10.221.0.2
# shellcheck disable=SC2034
ISP_ECHO_URL=http://10.221.0.2:8080/

# -- assertions (tests run in a subshell with `set -e`; `fail` ends it)

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  if [ "$2" != "$3" ]; then
    fail "$1: expected [$2], got [$3]"
  fi
  echo "  $1: [$3]"
}

# expect_match WHAT REGEX ACTUAL
expect_match() {
  if ! [[ $3 =~ $2 ]]; then
    fail "$1: expected to match /$2/, got [$3]"
  fi
  echo "  $1: [$3]"
}

# retry SECONDS COMMAND...: until it succeeds, or fail.
retry() {
  local timeout=$1
  shift
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# -- the demo profile

# demo_value KEY: a top-level-or-section string/number value from settings.toml.
demo_value() {
  sed -n "s/^$1 = \"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" "$LAB_DEMO_SETTINGS" | head -n 1
}

# The gateway_env table of the demo profile, as KEY=VALUE lines.
demo_gateway_env() {
  awk '/^\[stack.gateway_env\]/ { on = 1; next } /^\[/ { on = 0 }
       on && /=/ { key = $1; sub(/^[^=]*= *"/, ""); sub(/" *$/, ""); print key "=" $0 }' "$LAB_DEMO_SETTINGS"
}

# -- gateway

# gateway_create NAME CONTROL_PORT WEBUI_PORT VERSION [AUTH_TOML_FILE|-] [extra docker create args...]
# Creates (not starts) a gateway like the app does: env from the demo profile,
# the WireGuard secrets and the auth config delivered as files, not env.
gateway_create() {
  local name=$1 cport=$2 wport=$3 version=$4 auth=${5:--}
  shift 5 || shift $#
  local endpoint public_key addresses pf_provider
  endpoint=$(demo_value endpoint)
  public_key=$(demo_value public_key)
  pf_provider=$(demo_value port_forwarding_provider)
  addresses=$(sed -n 's/^addresses = \["\(.*\)"\]$/\1/p' "$LAB_DEMO_SETTINGS" | sed 's/", *"/,/g')
  local env_args=(
    -e VPN_SERVICE_PROVIDER=custom -e VPN_TYPE=wireguard
    -e WIREGUARD_PUBLIC_KEY="$public_key"
    -e WIREGUARD_ENDPOINT_IP="${endpoint%:*}" -e WIREGUARD_ENDPOINT_PORT="${endpoint##*:}"
    -e WIREGUARD_ADDRESSES="$addresses"
    -e VPN_PORT_FORWARDING=on -e VPN_PORT_FORWARDING_PROVIDER="${pf_provider:-protonvpn}"
    -e LAB_GLUETUN_VERSION="$version"
  )
  local line
  while IFS= read -r line; do
    env_args+=(-e "$line")
  done < <(demo_gateway_env)
  docker create --name "$name" --label "$LAB_LABEL" \
    --cap-add NET_ADMIN --device /dev/net/tun \
    --sysctl net.ipv6.conf.all.disable_ipv6=1 --sysctl net.ipv6.conf.default.disable_ipv6=1 \
    --network tvpn-lab-lan \
    -p "127.0.0.1:$wport:$wport" -p "127.0.0.1:$cport:8000" \
    "${env_args[@]}" "$@" tvpn-lab/gateway:latest >/dev/null

  local tmp
  tmp=$(mktemp -d)
  mkdir -p "$tmp/secrets" "$tmp/gluetun/auth"
  chmod 0755 "$tmp/secrets" "$tmp/gluetun" "$tmp/gluetun/auth"
  tr -d '\n' <"$LAB_KEYS/client.key" >"$tmp/secrets/wireguard_private_key"
  tr -d '\n' <"$LAB_KEYS/psk" >"$tmp/secrets/wireguard_preshared_key"
  chmod 0400 "$tmp/secrets/"*
  docker cp "$tmp/secrets/." "$name:/run/secrets" >/dev/null
  if [ "$auth" != - ]; then
    cp "$auth" "$tmp/gluetun/auth/config.toml"
    chmod 0400 "$tmp/gluetun/auth/config.toml"
    docker cp "$tmp/gluetun" "$name:/gluetun" >/dev/null
  fi
  rm -rf "$tmp"
}

# api PORT METHOD PATH [curl args...]: prints "<status> <body>" (body newlines kept).
api() {
  local port=$1 method=$2 path=$3
  shift 3
  curl -s --max-time 8 -o /tmp/.lab-api-body.$$ -w '%{http_code}' -X "$method" "$@" \
    "http://127.0.0.1:$port$path" >/tmp/.lab-api-code.$$ || true
  printf '%s %s' "$(cat /tmp/.lab-api-code.$$)" "$(cat /tmp/.lab-api-body.$$ 2>/dev/null)"
  rm -f /tmp/.lab-api-body.$$ /tmp/.lab-api-code.$$
}

# gateway_wait_ready PORT [curl auth args...]: VPN running and a public IP known.
gateway_wait_ready() {
  local port=$1
  shift
  local deadline=$((SECONDS + 40)) status ip
  while [ "$SECONDS" -lt "$deadline" ]; do
    status=$(api "$port" GET /v1/vpn/status "$@")
    ip=$(api "$port" GET /v1/publicip/ip "$@")
    if [ "$status" = '200 {"status":"running"}' ] && [[ $ip == *'"public_ip":"'[0-9]* ]]; then
      return 0
    fi
    sleep 0.5
  done
  echo "gateway not ready: status=[$status] ip=[$ip]" >&2
  return 1
}

# -- the lab VPN server's NAT-PMP (lab-natpmp)

# natpmp CMD...: the knob, e.g. `natpmp set-port 41000`, `natpmp status`.
natpmp() {
  docker exec tvpn-lab-vpn lab-natpmp "$@"
}

# in_ns CONTAINER CMD...: run a command in a container sharing the gateway's namespace.
in_ns() {
  local c=$1
  shift
  docker exec "$c" "$@"
}

echo_log_count() {
  docker logs tvpn-lab-echo 2>/dev/null | wc -l
}

# echo_log_since N: echo service log lines after the first N.
echo_log_since() {
  docker logs tvpn-lab-echo 2>/dev/null | tail -n +"$(($1 + 1))"
}

dns_log_since() {
  docker logs tvpn-lab-dns 2>&1 | tail -n +"$(($1 + 1))"
}

dns_log_count() {
  docker logs tvpn-lab-dns 2>&1 | wc -l
}

# lan_host CMD...: run a command on a throwaway host of the LAN (tvpn-lab-lan),
# behind nothing but the router's LAN address.
lan_host() {
  docker run --rm --network tvpn-lab-lan --label "$LAB_LABEL" tvpn-lab/tools:latest "$@"
}
