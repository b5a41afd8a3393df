#!/usr/bin/env bash
# A Docker engine and the Debian base images that docker/Dockerfile builds from, on a machine that has
# neither (no engine running, no registry to pull from). The docker tests (ctest -L docker) call it.
#   scripts/docker-engine.sh install           apt-get install docker.io and debootstrap when their commands
#                                              are missing (scripts/setup.sh calls it)
#   scripts/docker-engine.sh start STATE_DIR   start dockerd when no engine answers, and wait until it does;
#                                              its pid goes to STATE_DIR/dockerd.pid, its log to
#                                              STATE_DIR/dockerd.log. An engine that already answers is left
#                                              alone (and nothing is written).
#   scripts/docker-engine.sh stop STATE_DIR    stop the dockerd that `start` started, if any; nothing else
#   scripts/docker-engine.sh base-images       make debian:bookworm and debian:bookworm-slim when missing
#
# dockerd runs without iptables rules and without the default bridge, which is what works in a sandbox
# without netfilter; containers then use `--network host` (or no network). Its storage driver is overlay2
# where the kernel lets dockerd mount overlayfs (a container then starts in ~0.15 s), else vfs (each
# container and build step copies the whole image: 1-4 s a container); LEMU_DOCKER_STORAGE_DRIVER picks one. Base images are made with debootstrap (--variant=minbase) from the Debian mirror and imported
# with `docker import`; the root file system is kept as a tarball in $LEMU_CACHE_DIR (default
# ~/.cache/lemu) so that a later run (or an engine whose images were removed) imports it again in seconds.
# Delete the tarballs to take newer Debian packages. LEMU_DEBIAN_MIRROR overrides the mirror
# (default http://deb.debian.org/debian).
set -euo pipefail

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
process_gone() { [ ! -d "/proc/$1" ]; }

# Runs "$@" until it succeeds or `seconds` pass; 0 when it succeeded.
wait_until() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

cmd_install() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  # the client: Debian's docker.io ships one; another install's `docker` on PATH will do as well
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  ((${#missing[@]})) || return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "docker-engine: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

cmd_start() {
  local state=${1:?usage: docker-engine.sh start STATE_DIR}
  # A pid file whose dockerd is gone (a run that was killed) says nothing any more.
  if [ -f "$state/dockerd.pid" ] && process_gone "$(cat "$state/dockerd.pid")"; then rm -f "$state/dockerd.pid"; fi
  if engine_answers; then
    echo "docker-engine: using the running engine ($(docker version --format '{{.Server.Version}}'))"
    return 0
  fi
  command -v dockerd >/dev/null 2>&1 || cmd_install
  mkdir -p "$state"
  local driver
  for driver in ${LEMU_DOCKER_STORAGE_DRIVER:-overlay2 vfs}; do
    if start_dockerd "$state" "$driver"; then
      echo "docker-engine: started dockerd (pid $(cat "$state/dockerd.pid"); $driver storage, no iptables, no bridge)"
      return 0
    fi
  done
  echo "docker-engine: dockerd did not start; the end of its log:" >&2
  tail -n 30 "$state/dockerd.log" >&2 || true
  return 1
}

# Starts dockerd with a storage driver and waits until it answers (0) or gives up (1: it exited, as dockerd
# does at once when the kernel cannot mount the driver's file system, or did not answer within 60 s).
start_dockerd() {
  local state=$1 driver=$2
  rm -f "$state/dockerd.pid"
  # setsid: dockerd outlives this script (and the test that ran it) until `stop`. It writes its own pid
  # to STATE_DIR/dockerd.pid; its socket belongs to the caller's group, so that a caller who is not root
  # (and used sudo here) can talk to it.
  "${sudo_cmd[@]}" setsid dockerd --storage-driver "$driver" --iptables=false --bridge=none \
    --pidfile "$state/dockerd.pid" --group "$(id -g)" </dev/null >>"$state/dockerd.log" 2>&1 &
  local launcher=$!
  answers_or_gone() { engine_answers || ! kill -0 "$launcher" 2>/dev/null; }
  wait_until 60 answers_or_gone || true
  if engine_answers; then return 0; fi
  echo "docker-engine: dockerd with the $driver storage driver did not start" >&2
  [ -f "$state/dockerd.pid" ] && cmd_stop "$state" >/dev/null
  kill "$launcher" 2>/dev/null || true
  wait "$launcher" 2>/dev/null || true
  return 1
}

cmd_stop() {
  local state=${1:?usage: docker-engine.sh stop STATE_DIR}
  local pidfile="$state/dockerd.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if ! process_gone "$pid"; then
    "${sudo_cmd[@]}" kill -TERM "$pid"
    # dockerd stops its containers and its containerd, then exits
    if ! wait_until 60 process_gone "$pid"; then
      echo "docker-engine: dockerd (pid $pid) still running after 60 s; killing it" >&2
      "${sudo_cmd[@]}" kill -KILL "$pid" || true
    fi
  fi
  rm -f "$pidfile"
  echo "docker-engine: stopped dockerd (pid $pid)"
}

# The official images' apt settings that keep images small: no .deb files kept after an install, no
# translations downloaded.
write_apt_settings() {
  local root=$1
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
}

cmd_base_images() {
  if docker image inspect debian:bookworm >/dev/null 2>&1 && docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
    return 0
  fi
  local cache=${LEMU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lemu}
  local mirror=${LEMU_DEBIAN_MIRROR:-http://deb.debian.org/debian}
  local full="$cache/debian-bookworm.tar" slim="$cache/debian-bookworm-slim.tar"
  mkdir -p "$cache"
  if [ ! -f "$full" ] || [ ! -f "$slim" ]; then
    command -v debootstrap >/dev/null 2>&1 || cmd_install
    local root
    root=$(mktemp -d "$cache/rootfs.XXXXXX")
    chmod 755 "$root" # the image's / (mktemp made it 0700: only root could use the image)
    echo "docker-engine: debootstrap --variant=minbase bookworm from $mirror (about a minute)"
    local started=$SECONDS
    if ! "${sudo_cmd[@]}" debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1; then
      echo "docker-engine: debootstrap failed; the end of $cache/debootstrap.log:" >&2
      tail -n 20 "$cache/debootstrap.log" >&2
      "${sudo_cmd[@]}" rm -rf "$root"
      return 1
    fi
    # As the official images: sources in deb822 form (with updates and security), no package lists and
    # no downloaded .deb files in the image (the first apt-get update fetches the lists).
    "${sudo_cmd[@]}" rm -f "$root/etc/apt/sources.list"
    "${sudo_cmd[@]}" tee "$root/etc/apt/sources.list.d/debian.sources" >/dev/null <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${LEMU_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    "${sudo_cmd[@]}" bash -c "$(declare -f write_apt_settings); write_apt_settings '$root'"
    "${sudo_cmd[@]}" find "$root/var/cache/apt" "$root/var/lib/apt/lists" -type f -delete
    "${sudo_cmd[@]}" tar -C "$root" -c . >"$full.tmp"
    # bookworm-slim: as Debian's slim image, without documentation, manual pages and translations, and
    # dpkg told to leave them out of packages installed later.
    "${sudo_cmd[@]}" tee "$root/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    "${sudo_cmd[@]}" find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    "${sudo_cmd[@]}" rm -rf "$root"/usr/share/{man,groff,info,lintian,linda,locale}/*
    "${sudo_cmd[@]}" tar -C "$root" -c . >"$slim.tmp"
    "${sudo_cmd[@]}" rm -rf "$root"
    mv "$full.tmp" "$full"
    mv "$slim.tmp" "$slim"
    echo "docker-engine: base root file systems cached in $cache ($((SECONDS - started)) s)"
  fi
  # CMD as the official images have it.
  docker image inspect debian:bookworm >/dev/null 2>&1 ||
    docker import --change 'CMD ["bash"]' "$full" debian:bookworm >/dev/null
  docker image inspect debian:bookworm-slim >/dev/null 2>&1 ||
    docker import --change 'CMD ["bash"]' "$slim" debian:bookworm-slim >/dev/null
  echo "docker-engine: imported debian:bookworm and debian:bookworm-slim from $cache"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  base-images) cmd_base_images ;;
  *) echo "usage: docker-engine.sh install | start STATE_DIR | stop STATE_DIR | base-images" >&2; exit 2 ;;
esac
