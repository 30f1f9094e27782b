# shellcheck shell=bash
# `scripts/lab up|down|status|env`: the lab's networks and services, the
# WireGuard keys and the demo profile (written by `tvpn lab-demo`). Sourced
# by scripts/lab.

LAB_NET_INTERNET="tvpn-lab-internet"
LAB_NET_LAN="tvpn-lab-lan"
LAB_SUBNET_INTERNET=10.222.0.0/24
LAB_SUBNET_LAN=10.221.0.0/24
LAB_ROUTER_LAN_IP=10.221.0.2
LAB_REAL_IP=10.222.0.2
LAB_EXIT_IP=10.222.0.3
LAB_ECHO_IP=10.222.0.10
LAB_SEEDER_IP=10.222.0.20
LAB_DNS_IP=10.222.0.53
# The router's relay to the echo service, on its LAN side: the real IP as the
# host sees it (lab-router, lab-relay).
LAB_ISP_ECHO_URL=http://10.221.0.2:8080/
LAB_KEYS_DIR="$STATE_DIR/keys"
LAB_DEMO_CONFIG="$STATE_DIR/demo-config"
LAB_IMAGES=(tvpn-lab/base:bookworm tvpn-lab/base:trixie tvpn-lab/tools:latest tvpn-lab/gateway:latest
  tvpn-lab/qbittorrent:4.5 tvpn-lab/qbittorrent:5.1 tvpn-lab/seeder:latest)

lab_docker_run_service() {
  # lab_docker_run_service NAME IP [docker create args...] -- IMAGE [CMD...]
  local name=$1 ip=$2
  shift 2
  docker create --name "$name" --hostname "$name" --label "$LAB_LABEL" \
    --network "$LAB_NET_INTERNET" --ip "$ip" --dns "$LAB_DNS_IP" "$@" >/dev/null
}

lab_generate_keys() {
  # Fresh keys for every `up`, generated inside the tools image.
  local out
  out=$(docker run --rm --network none --label "$LAB_LABEL" tvpn-lab/tools:latest sh -c '
    s=$(wg genkey); c=$(wg genkey)
    echo "$s"; echo "$s" | wg pubkey; echo "$c"; echo "$c" | wg pubkey; wg genpsk')
  local lines=()
  IFS=$'\n' read -r -d '' -a lines <<<"$out" || true
  [ "${#lines[@]}" -eq 5 ] || tvpn_die "key generation failed"
  rm -rf "$LAB_KEYS_DIR"
  (
    umask 077
    mkdir -p "$LAB_KEYS_DIR/vpn-server"
    printf '%s\n' "${lines[0]}" >"$LAB_KEYS_DIR/server.key"
    printf '%s\n' "${lines[1]}" >"$LAB_KEYS_DIR/server.pub"
    printf '%s\n' "${lines[2]}" >"$LAB_KEYS_DIR/client.key"
    printf '%s\n' "${lines[3]}" >"$LAB_KEYS_DIR/client.pub"
    printf '%s\n' "${lines[4]}" >"$LAB_KEYS_DIR/psk"
    # What the VPN server gets: its own key, the PSK, the client's public key.
    cp "$LAB_KEYS_DIR/server.key" "$LAB_KEYS_DIR/psk" "$LAB_KEYS_DIR/client.pub" "$LAB_KEYS_DIR/vpn-server/"
  )
  chmod 0600 "$LAB_KEYS_DIR"/*.key "$LAB_KEYS_DIR"/*.pub "$LAB_KEYS_DIR/psk" "$LAB_KEYS_DIR"/vpn-server/*
}

# lab_wait DESCRIPTION TIMEOUT_S COMMAND...
lab_wait() {
  local what=$1 timeout=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  while ! "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      tvpn_log "  $what: not ready after ${timeout} s"
      return 1
    fi
    sleep 0.3
  done
  tvpn_log "  $what: ok"
}

lab_check_echo() {
  [ "$(docker exec tvpn-lab-echo curl -fsS --max-time 2 "http://$LAB_ECHO_IP/")" = "$LAB_ECHO_IP" ]
}

# The *.lab.test names, and whoami.akamai.net answered with the asker's address.
lab_check_dns() {
  [ "$(docker exec tvpn-lab-echo dig +short +time=1 +tries=1 "@$LAB_DNS_IP" echo.lab.test)" = "$LAB_ECHO_IP" ] &&
    [ "$(docker exec tvpn-lab-echo dig +short +time=1 +tries=1 "@$LAB_DNS_IP" whoami.akamai.net)" = "$LAB_ECHO_IP" ]
}

lab_check_vpn() {
  [ "$(docker exec tvpn-lab-vpn wg show wg0 listen-port)" = 51820 ] &&
    docker exec tvpn-lab-vpn lab-natpmp port >/dev/null
}

lab_check_router() {
  docker logs tvpn-lab-router 2>&1 | grep -q "router ready"
}

lab_check_seeder() {
  local info
  info=$(docker exec tvpn-lab-seeder curl -fsS --max-time 2 http://127.0.0.1:8080/api/v2/torrents/info) || return 1
  # Both torrents seeding (4.5 states: uploading / stalledUP).
  [ "$(grep -o '"state":"\(stalledUP\|uploading\)"' <<<"$info" | wc -l)" -ge 2 ] || return 1
  docker exec tvpn-lab-echo curl -fsS --max-time 2 -o /dev/null "http://$LAB_SEEDER_IP:8081/lab-small.torrent" || return 1
  docker exec tvpn-lab-echo curl -sS --max-time 2 -o /dev/null "http://$LAB_SEEDER_IP:9000/announce"
}

# A throwaway LAN host behind the router must be seen as the "real IP".
lab_check_lan_path() {
  local seen
  seen=$(docker run --rm --network "$LAB_NET_LAN" --cap-add NET_ADMIN --dns "$LAB_DNS_IP" \
    --label "$LAB_LABEL" tvpn-lab/tools:latest sh -c \
    "ip route replace default via $LAB_ROUTER_LAN_IP && curl -fsS --max-time 3 http://$LAB_ECHO_IP/")
  [ "$seen" = "$LAB_REAL_IP" ]
}

# The router's relay: the echo service through it sees the real IP. From the
# host, as the app fetches it; where the host cannot reach container
# addresses (Docker Desktop), from a throwaway LAN host instead.
lab_check_relay() {
  local seen
  if tvpn_is_macos; then
    seen=$(docker run --rm --network "$LAB_NET_LAN" --label "$LAB_LABEL" tvpn-lab/tools:latest \
      curl -fsS --max-time 3 "$LAB_ISP_ECHO_URL")
  else
    seen=$(curl --noproxy '*' -fsS --max-time 3 "$LAB_ISP_ECHO_URL")
  fi
  [ "$seen" = "$LAB_REAL_IP" ]
}

# The tvpn binary with the lab's commands (`--features lab`), built when it
# is missing, lacks them, or is older than the sources.
lab_tvpn() {
  local tvpn="$ROOT_DIR/target/debug/tvpn"
  if [ ! -x "$tvpn" ] || ! "$tvpn" lab-demo --help >/dev/null 2>&1 ||
    [ -n "$(find "$ROOT_DIR/crates" "$ROOT_DIR/Cargo.toml" -newer "$tvpn" \
      \( -name '*.rs' -o -name Cargo.toml \) -print -quit 2>/dev/null)" ]; then
    command -v cargo >/dev/null 2>&1 ||
      tvpn_die "the demo profile is written by tvpn, which needs Rust: install it from rustup (https://rustup.rs), then run this again"
    tvpn_log "building tvpn (cargo build -q -p tvpn-cli --features lab)"
    (cd "$ROOT_DIR" && cargo build -q -p tvpn-cli --features lab) >&2 ||
      tvpn_die "cargo build -p tvpn-cli --features lab failed"
  fi
  printf '%s\n' "$tvpn"
}

# The demo profile ($LAB_DEMO_CONFIG/settings.toml), made and validated by
# `tvpn lab-demo` from the fresh keys, with the client's private key and
# PSK in the OS keyring. When the keyring cannot take them, a warning and
# the profile alone (`TVPN_LAB_SKIP_KEYRING=1` skips the keyring).
lab_write_demo_profile() {
  local tvpn err
  tvpn=$(lab_tvpn) || exit 1
  local demo=("$tvpn" --config-dir "$LAB_DEMO_CONFIG" lab-demo --state-dir "$STATE_DIR")
  if [ "${TVPN_LAB_SKIP_KEYRING:-0}" = 1 ]; then
    tvpn_log "keyring step skipped (TVPN_LAB_SKIP_KEYRING=1)"
  elif err=$("${demo[@]}" 2>&1 >/dev/null); then
    tvpn_log "keyring: client private key and preshared key stored for the demo profile"
    return 0
  else
    tvpn_log "warning: storing the demo keys in the keyring failed: $err"
  fi
  "${demo[@]}" --no-keychain >/dev/null || tvpn_die "tvpn lab-demo could not write the demo profile"
}

lab_require_images() {
  local image missing=0
  for image in "${LAB_IMAGES[@]}"; do
    lab_image_exists "$image" || missing=1
  done
  if [ "$missing" = 1 ]; then
    tvpn_log "some lab images are missing: building them first"
    lab_build
  fi
}

lab_up() {
  [ $# -eq 0 ] || tvpn_die "up takes no arguments"
  ensure_docker || exit 1
  lab_require_images
  local start=$SECONDS
  lab_down --quiet
  tvpn_log "starting the lab"
  mkdir -p "$STATE_DIR"
  lab_generate_keys

  docker network create --driver bridge --internal --label "$LAB_LABEL" \
    --subnet "$LAB_SUBNET_INTERNET" --ip-range 10.222.0.128/25 --gateway 10.222.0.1 \
    "$LAB_NET_INTERNET" >/dev/null
  # Not internal: the gateway publishes its ports on this network. Dynamic
  # addresses come from the upper half, away from the router's .2.
  docker network create --driver bridge --label "$LAB_LABEL" \
    --subnet "$LAB_SUBNET_LAN" --ip-range 10.221.0.128/25 --gateway 10.221.0.1 \
    "$LAB_NET_LAN" >/dev/null

  lab_docker_run_service tvpn-lab-dns "$LAB_DNS_IP" tvpn-lab/tools:latest lab-dns
  lab_docker_run_service tvpn-lab-echo "$LAB_ECHO_IP" tvpn-lab/tools:latest lab-echo
  lab_docker_run_service tvpn-lab-vpn "$LAB_EXIT_IP" --cap-add NET_ADMIN --device /dev/net/tun \
    --sysctl net.ipv4.ip_forward=1 tvpn-lab/tools:latest lab-vpn-server
  docker cp "$LAB_KEYS_DIR/vpn-server/." tvpn-lab-vpn:/lab/keys
  lab_docker_run_service tvpn-lab-router "$LAB_REAL_IP" --cap-add NET_ADMIN \
    --sysctl net.ipv4.ip_forward=1 tvpn-lab/tools:latest lab-router
  docker network connect --ip "$LAB_ROUTER_LAN_IP" "$LAB_NET_LAN" tvpn-lab-router
  lab_docker_run_service tvpn-lab-seeder "$LAB_SEEDER_IP" tvpn-lab/seeder:latest
  docker start tvpn-lab-dns tvpn-lab-echo tvpn-lab-vpn tvpn-lab-router tvpn-lab-seeder >/dev/null

  tvpn_log "waiting for the services"
  local ok=1
  lab_wait "echo $LAB_ECHO_IP:80" 20 lab_check_echo || ok=0
  lab_wait "dns $LAB_DNS_IP:53" 20 lab_check_dns || ok=0
  lab_wait "vpn server $LAB_EXIT_IP:51820, NAT-PMP 10.66.66.1:5351" 20 lab_check_vpn || ok=0
  lab_wait "router $LAB_ROUTER_LAN_IP -> $LAB_REAL_IP" 20 lab_check_router || ok=0
  lab_wait "router path (LAN host seen as $LAB_REAL_IP)" 20 lab_check_lan_path || ok=0
  lab_wait "router relay $LAB_ISP_ECHO_URL (seen as $LAB_REAL_IP)" 20 lab_check_relay || ok=0
  lab_wait "seeder $LAB_SEEDER_IP (WebUI :8080, torrents :8081, tracker :9000)" 60 lab_check_seeder || ok=0
  if [ "$ok" != 1 ]; then
    tvpn_log "the lab did not come up; container logs:"
    local c
    for c in tvpn-lab-dns tvpn-lab-echo tvpn-lab-vpn tvpn-lab-router tvpn-lab-seeder; do
      tvpn_log "--- $c"
      docker logs --tail 20 "$c" 2>&1 | sed 's/^/    /' >&2
    done
    return 1
  fi

  lab_write_demo_profile
  tvpn_log ""
  tvpn_log "lab up in $((SECONDS - start)) s"
  lab_summary
}

lab_summary() {
  cat >&2 <<EOF
  internet $LAB_SUBNET_INTERNET ($LAB_NET_INTERNET, internal)
    router   $LAB_REAL_IP   the user's real IP (masquerades the LAN); $LAB_ISP_ECHO_URL
                         relays to the echo service (the real IP as the host sees it);
                         docker exec tvpn-lab-router lab-router dns-forwarder on|off:
                         a DNS forwarder on $LAB_ROUTER_LAN_IP:53 to the lab DNS
    vpn      $LAB_EXIT_IP   WireGuard $LAB_EXIT_IP:51820, exit IP, ports 30000-65000 -> client,
                         NAT-PMP 10.66.66.1:5351 in the tunnel (docker exec tvpn-lab-vpn lab-natpmp ...)
    echo     $LAB_ECHO_IP  http://$LAB_ECHO_IP/ and /json: the source address seen
    dns      $LAB_DNS_IP  *.lab.test, whoami.akamai.net (-> the asker's address), NXDOMAIN
                         otherwise; logs every query (docker logs tvpn-lab-dns)
    seeder   $LAB_SEEDER_IP  qBittorrent 4.5 :8080 (admin/adminadmin), tracker :9000,
                         http://$LAB_SEEDER_IP:8081/lab-small.torrent, lab-medium.torrent
  lan      $LAB_SUBNET_LAN ($LAB_NET_LAN): router $LAB_ROUTER_LAN_IP (set LAB_UPLINK to it)
  keys     ${LAB_KEYS_DIR#"$ROOT_DIR"/}/ (server.pub, client.key, psk)
  demo     $LAB_DEMO_CONFIG/settings.toml
           eval "\$(scripts/lab env)"
EOF
}

# Every container the lab made or that sits on a lab network, plus those
# sharing such a container's network namespace.
lab_containers() {
  {
    docker ps -aq --no-trunc --filter "label=$LAB_LABEL"
    local net
    for net in "$LAB_NET_INTERNET" "$LAB_NET_LAN"; do
      docker network inspect -f '{{range $id, $c := .Containers}}{{$id}}{{"\n"}}{{end}}' "$net" 2>/dev/null
    done
  } | grep -v '^$' | sort -u
}

lab_down() {
  local quiet=0
  [ "${1:-}" = "--quiet" ] && quiet=1
  ensure_docker || exit 1
  local ids=() id mode
  IFS=$'\n' read -r -d '' -a ids < <(lab_containers) || true
  if [ "${#ids[@]}" -gt 0 ]; then
    # Dependents in `--network container:<lab container>` mode go too.
    local all_ids=()
    IFS=$'\n' read -r -d '' -a all_ids < <(docker ps -aq --no-trunc) || true
    for id in "${all_ids[@]}"; do
      mode=$(docker inspect -f '{{.HostConfig.NetworkMode}}' "$id" 2>/dev/null) || continue
      case $mode in
        container:*)
          local target=${mode#container:} known
          for known in "${ids[@]}"; do
            if [[ $known == "$target"* ]] || [ "$(docker inspect -f '{{.Name}}' "$known" 2>/dev/null)" = "/$target" ]; then
              ids+=("$id")
              break
            fi
          done
          ;;
      esac
    done
    [ "$quiet" = 1 ] || tvpn_log "removing ${#ids[@]} container(s)"
    docker rm -f -v "${ids[@]}" >/dev/null 2>&1 || true
  fi
  local nets=()
  IFS=$'\n' read -r -d '' -a nets < <({
    docker network ls -q --no-trunc --filter "label=$LAB_LABEL"
    docker network inspect -f '{{.Id}}' "$LAB_NET_INTERNET" "$LAB_NET_LAN" 2>/dev/null
  } | grep -v '^$' | sort -u) || true
  if [ "${#nets[@]}" -gt 0 ]; then
    [ "$quiet" = 1 ] || tvpn_log "removing ${#nets[@]} network(s)"
    docker network rm "${nets[@]}" >/dev/null
  fi
  local vols=()
  # The lab's own volumes, and the demo stack's (its qBittorrent password
  # lives in the keyring of the session that made it).
  IFS=$'\n' read -r -d '' -a vols < <({
    docker volume ls -q --filter "label=$LAB_LABEL"
    docker volume ls -q --filter "label=dev.torrentvpn.profile=lab-demo"
  } | grep -v '^$' | sort -u) || true
  if [ "${#vols[@]}" -gt 0 ]; then
    [ "$quiet" = 1 ] || tvpn_log "removing ${#vols[@]} volume(s)"
    docker volume rm "${vols[@]}" >/dev/null
  fi
  [ "$quiet" = 1 ] || tvpn_log "lab down"
}

lab_status() {
  ensure_docker || exit 1
  local ids=()
  IFS=$'\n' read -r -d '' -a ids < <(lab_containers) || true
  echo "containers:"
  if [ "${#ids[@]}" -eq 0 ]; then
    echo "  (none)"
  else
    docker inspect -f '{{printf "  %-28s" (slice .Name 1)}} {{printf "%-10s" .State.Status}}{{if .State.Health}} {{printf "%-10s" .State.Health.Status}}{{else}}           {{end}} {{.Config.Image}}{{range $n, $e := .NetworkSettings.Networks}} {{$n}}={{$e.IPAddress}}{{end}}' \
      "${ids[@]}"
  fi
  echo "networks:"
  local nets
  nets=$(docker network ls --filter "label=$LAB_LABEL" --format '{{.Name}}')
  if [ -n "$nets" ]; then
    printf '%s\n' "$nets" | sed 's/^/  /'
  else
    echo "  (none)"
  fi
  echo "images:"
  local image
  for image in "${LAB_IMAGES[@]}"; do
    if lab_image_exists "$image"; then
      printf '  %-28s present\n' "$image"
    else
      printf '  %-28s missing (scripts/lab build)\n' "$image"
    fi
  done
  if [ "$(docker inspect -f '{{.State.Running}}' tvpn-lab-router 2>/dev/null)" = true ]; then
    echo "router (docker exec tvpn-lab-router lab-router status):"
    docker exec tvpn-lab-router lab-router status 2>&1 | sed 's/^/  /'
  fi
  if [ -f "$LAB_DEMO_CONFIG/settings.toml" ]; then
    echo "demo profile: $LAB_DEMO_CONFIG/settings.toml"
  fi
}

lab_env() {
  cat <<EOF
export TVPN_CONFIG_DIR='$LAB_DEMO_CONFIG'
export TVPN_LAB=1
export TVPN_LAB_ECHO_URL=http://$LAB_ECHO_IP/
export TVPN_LAB_EXIT_IP=$LAB_EXIT_IP
export TVPN_LAB_REAL_IP=$LAB_REAL_IP
export TVPN_LAB_ISP_ECHO_URL=$LAB_ISP_ECHO_URL
export TVPN_LAB_SEEDER=$LAB_SEEDER_IP
export TVPN_LAB_DNS=$LAB_DNS_IP
export TVPN_LAB_NETWORK=$LAB_NET_LAN
export TVPN_LAB_UPLINK=$LAB_ROUTER_LAN_IP
export TVPN_LAB_TORRENT_URL=http://$LAB_SEEDER_IP:8081/lab-small.torrent
EOF
}
