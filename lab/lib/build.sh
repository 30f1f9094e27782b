# shellcheck shell=bash
# `scripts/lab build`: base images from debootstrap, then the lab images with
# `docker build`. Sourced by scripts/lab (which sets LAB_DIR, STATE_DIR, LAB_LABEL).

LAB_IMAGES_DIR="$LAB_DIR/images"
LAB_CACHE_DIR="$STATE_DIR/cache"

# Mirror of the host's apt sources (deb822 or one-line format), unless
# TVPN_LAB_MIRROR says otherwise.
lab_debian_mirror() {
  if [ -n "${TVPN_LAB_MIRROR:-}" ]; then
    printf '%s\n' "$TVPN_LAB_MIRROR"
    return
  fi
  local uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $2 !~ /security/ && $2 ~ /^http/ { print $2; exit }' /etc/apt/sources.list)
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

lab_security_mirror() {
  if [ -n "${TVPN_LAB_SECURITY_MIRROR:-}" ]; then
    printf '%s\n' "$TVPN_LAB_SECURITY_MIRROR"
    return
  fi
  local uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian-security}"
}

lab_image_exists() {
  docker image inspect "$1" >/dev/null 2>&1
}

# debootstrap SUITE into a trimmed tarball under .state/cache (kept, so that a
# rebuild only re-imports it).
lab_make_rootfs_tar() {
  local suite=$1 tar=$2
  local mirror rootfs
  mirror=$(lab_debian_mirror)
  rootfs="$LAB_CACHE_DIR/rootfs-$suite"
  tvpn_as_root rm -rf "$rootfs"
  mkdir -p "$LAB_CACHE_DIR"
  tvpn_log "  debootstrap $suite from $mirror"
  local log="$LAB_CACHE_DIR/debootstrap-$suite.log"
  # Newer suites may be signed by keys the host's default keyring lacks:
  # try the default, then the full archive keyring, then no check at all.
  if ! tvpn_as_root debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$log" 2>&1; then
    tvpn_as_root rm -rf "$rootfs"
    if ! tvpn_as_root debootstrap --variant=minbase \
      --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
      "$suite" "$rootfs" "$mirror" >>"$log" 2>&1; then
      tvpn_log "  debootstrap $suite: signature check failed, retrying with --no-check-gpg"
      tvpn_as_root rm -rf "$rootfs"
      tvpn_as_root debootstrap --variant=minbase --no-check-gpg \
        "$suite" "$rootfs" "$mirror" >>"$log" 2>&1 ||
        tvpn_die "debootstrap $suite failed; see $log"
    fi
  fi

  local security
  security=$(lab_security_mirror)
  tvpn_as_root sh -c "
    set -e
    cd '$rootfs'
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
      '$mirror' '$suite' '$mirror' '$suite' '$security' '$suite' > etc/apt/sources.list
    printf 'APT::Install-Recommends \"false\";\nAPT::Install-Suggests \"false\";\nAcquire::Languages \"none\";\n' \
      > etc/apt/apt.conf.d/90tvpn-lab
    printf 'path-exclude=/usr/share/doc/*\npath-include=/usr/share/doc/*/copyright\npath-exclude=/usr/share/man/*\npath-exclude=/usr/share/info/*\npath-exclude=/usr/share/locale/*\npath-exclude=/usr/share/lintian/*\n' \
      > etc/dpkg/dpkg.cfg.d/90tvpn-lab-nodoc
    rm -rf var/cache/apt/* var/lib/apt/lists/* var/log/* tmp/* \
      usr/share/man/* usr/share/info/* usr/share/locale/* usr/share/lintian/*
    find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    : > etc/resolv.conf
    rm -f etc/hostname etc/machine-id var/lib/dbus/machine-id
  "
  tvpn_as_root tar -C "$rootfs" --numeric-owner -cf "$tar.tmp" .
  tvpn_as_root chown "$(id -u):$(id -g)" "$tar.tmp"
  mv "$tar.tmp" "$tar"
  tvpn_as_root rm -rf "$rootfs"
}

lab_build_base() {
  local suite=$1 image="tvpn-lab/base:$1"
  if [ "$LAB_FORCE" != 1 ] && lab_image_exists "$image"; then
    tvpn_log "- $image: exists"
    return
  fi
  local start=$SECONDS
  if [ "${TVPN_LAB_USE_REGISTRY:-0}" = 1 ]; then
    tvpn_log "- $image: from debian:$suite-slim (registry)"
    printf 'FROM debian:%s-slim\nLABEL %s\n' "$suite" "$LAB_LABEL" |
      docker build -q -t "$image" - >/dev/null
  else
    local tar="$LAB_CACHE_DIR/base-$suite.tar"
    if [ "$LAB_FRESH" = 1 ] || [ ! -s "$tar" ]; then
      tvpn_log "- $image: debootstrap (cached in ${tar#"$ROOT_DIR"/})"
      lab_make_rootfs_tar "$suite" "$tar"
    else
      tvpn_log "- $image: importing cached rootfs"
    fi
    docker import \
      --change 'CMD ["/bin/bash"]' \
      --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "LABEL $LAB_LABEL" \
      "$tar" "$image" >/dev/null
  fi
  tvpn_log "  $image ready in $((SECONDS - start)) s"
}

# The content hash of an image's inputs: its build context, its build args
# and the image it is built FROM (so a changed tools image rebuilds the
# gateway on top of it). Kept as a label; a different hash means rebuild.
lab_context_hash() {
  local dir=$1
  shift
  local from base_arg parent_id=""
  from=$(sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$dir/Dockerfile" | head -n 1)
  case $from in
    *'$'*)
      base_arg=$(printf '%s\n' "$@" | sed -n 's/^BASE=//p' | head -n 1)
      from=${base_arg:-$(sed -n 's/^ARG BASE=//p' "$dir/Dockerfile" | head -n 1)}
      ;;
  esac
  if [ -n "$from" ]; then
    parent_id=$(docker image inspect -f '{{.Id}}' "$from" 2>/dev/null || true)
  fi
  {
    (cd "$dir" && find . -type f ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    printf 'args %s\nfrom %s\n' "$*" "$parent_id"
  } | sha256sum | cut -c1-16
}

# lab_docker_build IMAGE DIR [docker build args...]
lab_docker_build() {
  local image=$1 dir=$2
  shift 2
  local hash
  hash=$(lab_context_hash "$dir" "$@")
  if [ "$LAB_FORCE" != 1 ] && lab_image_exists "$image" &&
    [ "$(docker image inspect -f '{{index .Config.Labels "dev.torrentvpn.lab.context"}}' "$image" 2>/dev/null)" = "$hash" ]; then
    tvpn_log "- $image: up to date"
    return
  fi
  local start=$SECONDS log
  log="$LAB_CACHE_DIR/build-$(printf '%s' "$image" | tr '/:' '__').log"
  mkdir -p "$LAB_CACHE_DIR"
  tvpn_log "- $image: docker build"
  local extra=()
  if [ "$LAB_FRESH" = 1 ]; then
    extra+=(--no-cache)
  fi
  if ! docker build ${extra[@]+"${extra[@]}"} --label "$LAB_LABEL" \
    --label "dev.torrentvpn.lab.context=$hash" -t "$image" "$@" "$dir" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    tvpn_die "building $image failed; see $log"
  fi
  tvpn_log "  $image ready in $((SECONDS - start)) s"
}

lab_build() {
  LAB_FORCE=0
  LAB_FRESH=0
  local arg
  for arg in "$@"; do
    case $arg in
      --force) LAB_FORCE=1 ;;
      --fresh) LAB_FORCE=1 LAB_FRESH=1 ;;
      *) tvpn_die "build: unknown option $arg (use --force or --fresh)" ;;
    esac
  done
  ensure_docker || exit 1
  # debootstrap needs Linux; Docker Desktop can pull debian:*-slim instead.
  if tvpn_is_macos && [ -z "${TVPN_LAB_USE_REGISTRY:-}" ]; then
    export TVPN_LAB_USE_REGISTRY=1
  fi
  # The legacy builder is enough and is the only one a bare docker.io CLI has.
  if ! docker buildx version >/dev/null 2>&1; then
    export DOCKER_BUILDKIT=0
  fi
  local start=$SECONDS
  if [ "$LAB_FORCE" = 1 ]; then
    tvpn_log "building lab images (forced)"
  else
    tvpn_log "building lab images"
  fi
  if [ "${TVPN_LAB_USE_REGISTRY:-0}" != 1 ]; then
    ensure_apt_packages debootstrap debian-archive-keyring
  fi
  # The two debootstraps are network bound: run them side by side.
  if [ "$LAB_FORCE" = 1 ] || ! lab_image_exists tvpn-lab/base:trixie; then
    lab_build_base trixie &
    local trixie_pid=$!
    lab_build_base bookworm
    wait "$trixie_pid" || tvpn_die "building tvpn-lab/base:trixie failed"
  else
    lab_build_base bookworm
    lab_build_base trixie
  fi
  # qbittorrent:5.1 (trixie) is independent of the bookworm chain: build it in
  # parallel with tools -> gateway and qbittorrent:4.5 -> seeder.
  lab_docker_build tvpn-lab/qbittorrent:5.1 "$LAB_IMAGES_DIR/qbittorrent" \
    --build-arg BASE=tvpn-lab/base:trixie &
  local qb51_pid=$!
  lab_docker_build tvpn-lab/tools:latest "$LAB_IMAGES_DIR/tools"
  lab_docker_build tvpn-lab/gateway:latest "$LAB_IMAGES_DIR/gateway"
  lab_docker_build tvpn-lab/qbittorrent:4.5 "$LAB_IMAGES_DIR/qbittorrent" \
    --build-arg BASE=tvpn-lab/base:bookworm
  lab_docker_build tvpn-lab/seeder:latest "$LAB_IMAGES_DIR/seeder"
  wait "$qb51_pid" || tvpn_die "building tvpn-lab/qbittorrent:5.1 failed"
  tvpn_log "lab images ready in $((SECONDS - start)) s"
}
