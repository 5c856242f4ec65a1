#!/usr/bin/env bash
# A current Docker Engine for the test matrix: Debian forky's docker.io 28.5 with buildx 0.29, run
# in a chroot beside the host's engine (Debian bookworm's 20.10), on its own socket and bridge, with
# the classic overlay2 store or the containerd image store (Docker 29's default on fresh installs,
# and Docker Desktop's). Both stores can run at once: each is a daemon of its own.
#
#   modern-engine.sh start classic|containerd   # provision (once), start; prints the client's dir
#   modern-engine.sh stop classic|containerd
#   modern-engine.sh bin classic|containerd     # the folder holding that engine's `docker` client
#                                               # and docker-env (its DOCKER_HOST and DOCKER_CONFIG)
#   then: d=$(modern-engine.sh bin containerd); env $(cat "$d/docker-env") "$d/docker" version
#
# Why it is done this way (each point cost a failed start):
# - bookworm's debootstrap has no 'forky' script: the 'sid' script is passed by path.
# - the forky Release file can be past its Valid-Until on these machines' clock: apt-get in the
#   root needs Acquire::Check-Valid-Until=false (debootstrap does not check it).
# - the daemon runs in its own mount namespace with the forky root pivot_root'ed in: in a plain
#   chroot runc cannot pivot_root a container's root, and `docker exec` into a container then
#   sees the host's root file system. The root is a mount point of its own (bound onto itself)
#   for pivot_root; /sys is bound with --rbind (cgroup v1 keeps its per-controller mounts below
#   /sys/fs/cgroup).
# - the host's dockerd owns docker0 and iptables: these daemons get their own bridges and address
#   pools, and no iptables. The host's br_netfilter still sends bridged traffic through FORWARD,
#   whose policy the host's dockerd sets to DROP: one ACCEPT rule per daemon lets its containers
#   reach each other (within its own bridge and pool only; nothing leaves the machine).
# - forky's docker.io does not pull docker-cli: it is installed by name.
# - the client is forky's docker CLI run on this machine's file system (it needs only libc, and
#   bookworm's serves it), so every path is the caller's, in the caller's mount namespace (a
#   `gen-circle run` job's own /tmp included); it reaches its daemon by DOCKER_HOST, and forky's
#   buildx is its CLI plugin through DOCKER_CONFIG's cli-plugins folder (the host's 20.10 client,
#   with a DOCKER_CONFIG of its own, has none).
set -euo pipefail

base=${GEN_CIRCLE_ENGINES:-/var/tmp/gen-circle-engines}
R=$base/forky
log() { printf 'modern-engine: %s\n' "$*" >&2; }

store_settings() { # store → variables of that daemon
  case "$1" in
    classic) tag=gc28 snapshotter=false bridge=gc28br0 cidr=10.123.0.1/24 pool=10.210.0.0/16 ;;
    containerd) tag=gc28c snapshotter=true bridge=gc28cbr0 cidr=10.124.0.1/24 pool=10.211.0.0/16 ;;
    *) log "unknown store '$1' (classic or containerd)"; exit 2 ;;
  esac
  run=/run/$tag
  bin=$base/$tag/bin
}

provision() {
  [[ -x $R/usr/sbin/dockerd && -x $R/usr/libexec/docker/cli-plugins/docker-buildx ]] && return 0
  [ "$(id -u)" = 0 ] || { log "provisioning the forky root needs root"; exit 1; }
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >"$base/apt-host.log" 2>&1 || {
      apt-get update -qq >>"$base/apt-host.log" 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >>"$base/apt-host.log" 2>&1
    }
  }
  # The Debian archive this machine's apt uses (deb822 .sources or one-line .list entries).
  local mirror
  # A file that is not there is no error (pipefail would end the script here without a word).
  mirror=$({ cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } | awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }'
    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } | awk '$1 == "deb" { print ($2 ~ /^\[/ ? $3 : $2) }')
  mirror=$(printf '%s\n' "$mirror" | grep -E '/debian/?$' | head -n 1 || true)
  [ -n "$mirror" ] || { log "no Debian archive in this machine's apt sources"; exit 1; }
  log "provisioning Debian forky with docker.io and docker-buildx in $R from $mirror (about 1.5 min)"
  rm -rf "$R"
  debootstrap --variant=minbase --include=ca-certificates forky "$R" "$mirror" \
    /usr/share/debootstrap/scripts/sid >"$base/debootstrap.log" 2>&1 || {
    tail -n 20 "$base/debootstrap.log" >&2
    exit 1
  }
  cp /etc/resolv.conf "$R/etc/resolv.conf"
  chroot "$R" bash -c 'export DEBIAN_FRONTEND=noninteractive
    apt-get -o Acquire::Check-Valid-Until=false update -qq &&
    apt-get -o Acquire::Check-Valid-Until=false install -y -qq --no-install-recommends \
      docker.io docker-cli docker-buildx iptables zstd pigz git ca-certificates procps &&
    apt-get clean' >"$base/apt.log" 2>&1 || {
    tail -n 20 "$base/apt.log" >&2
    exit 1
  }
}

mounts() {
  mountpoint -q "$R" || { mount --bind "$R" "$R"; mount --make-rprivate "$R"; }
  local m
  for m in proc dev tmp sys; do
    mkdir -p "$R/$m"
    mountpoint -q "$R/$m" || mount --rbind "/$m" "$R/$m"
  done
}

client() { # the client's folder: forky's docker CLI, and docker-env saying which daemon and plugins
  # `docker` is the CLI itself (a link), as on a machine with Docker installed: a wrapper script
  # would hide it (the scripts then run buildx through docker). The daemon is DOCKER_HOST's, and
  # buildx is found in DOCKER_CONFIG's cli-plugins (the host's 20.10 client never sees it).
  mkdir -p "$bin" "$base/$tag/config/cli-plugins"
  ln -sfn "$R/usr/bin/docker" "$bin/docker"
  ln -sfn "$R/usr/libexec/docker/cli-plugins/docker-buildx" "$base/$tag/config/cli-plugins/docker-buildx"
  printf 'DOCKER_HOST=unix://%s\nDOCKER_CONFIG=%s\n' "$R$run/docker.sock" "$base/$tag/config" >"$bin/docker-env.new"
  mv "$bin/docker-env.new" "$bin/docker-env"
}

answers() { DOCKER_HOST="unix://$R$run/docker.sock" DOCKER_CONFIG="$base/$tag/config" timeout 10 "$bin/docker" info >/dev/null 2>&1; }

# The pid in this daemon's pid file, if that process is still this daemon. A pid file outlives a
# machine's reboot (it is on disk in the forky root), and its number may now be any process's: a
# kill must never reach one that is not ours.
our_pid() {
  local pid
  pid=$(cat "$R$run/docker.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # (The braces: a process that is gone makes the redirection fail, and that says nothing.)
  { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "dockerd .*--pidfile $run/docker.pid" || return 1
  echo "$pid"
}

stop() {
  store_settings "$1"
  local pid
  if pid=$(our_pid); then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$R$run/docker.pid"
}

start() {
  store_settings "$1"
  mkdir -p "$base"
  exec 9>"$base/setup.lock"
  flock 9
  provision
  mounts
  client "$1"
  if answers; then
    echo "$bin"
    return 0
  fi
  # It does not answer: a daemon of ours that hangs is killed; a pid file of a daemon that is gone
  # (killed with an earlier session, or before a reboot) is stale, and its pid someone else's.
  local stale
  if stale=$(our_pid); then kill -9 "$stale" 2>/dev/null || true; fi
  rm -f "$R$run/docker.pid"
  rm -f "$R$run/docker.sock"
  mkdir -p "$R/etc/$tag" "$R$run"
  printf '{"features":{"containerd-snapshotter":%s},"default-address-pools":[{"base":"%s","size":24}]}\n' \
    "$snapshotter" "$pool" >"$R/etc/$tag/daemon.json"
  local net
  for net in "$pool" "${cidr%.*}.0/24"; do
    iptables -C FORWARD -s "$net" -d "$net" -j ACCEPT 2>/dev/null || iptables -I FORWARD -s "$net" -d "$net" -j ACCEPT
  done
  ip link show "$bridge" >/dev/null 2>&1 || {
    ip link add "$bridge" type bridge && ip addr add "$cidr" dev "$bridge" && ip link set "$bridge" up
  }
  # Docker 28 removes a docker0 bridge it finds when it starts, even with --bridge set: the host's
  # engine then fails to start any container. Note its address, and put it back below.
  local host_bridge
  host_bridge=$({ ip -o -4 addr show dev docker0 2>/dev/null || true; } | awk '{ print $4; exit }')
  log "starting Docker 28 ($1 store; log: $base/$tag/dockerd.log)"
  # In a mount namespace of its own with the forky root pivoted in (not merely a chroot: runc
  # cannot pivot_root a container's root in a chroot, and `docker exec` then lands in the host's
  # root file system). 9>&-: the daemon must not inherit the setup lock.
  # shellcheck disable=SC2016 # the inner script's $1 and $@ are its own
  setsid unshare --mount --propagation private -- /bin/sh -c 'set -e; cd "$1"; mkdir -p .host
    pivot_root . .host; cd /; umount -l /.host; shift; exec "$@"' sh "$R" /usr/sbin/dockerd --config-file "/etc/$tag/daemon.json" \
    --host "unix://$run/docker.sock" --exec-root "$run/exec" --pidfile "$run/docker.pid" \
    --bridge "$bridge" --iptables=false --ip6tables=false --data-root "/var/lib/$tag" \
    </dev/null >"$base/$tag/dockerd.log" 2>&1 9>&- &
  for _ in $(seq 1 60); do answers && break; sleep 0.5; done
  answers || {
    log "Docker 28 ($1 store) did not answer within 30 s; its log:"
    tail -n 30 "$base/$tag/dockerd.log" >&2
    exit 1
  }
  if [ -n "$host_bridge" ] && ! ip link show docker0 >/dev/null 2>&1; then
    log "restoring the host engine's docker0 ($host_bridge), removed by Docker 28's start"
    ip link add docker0 type bridge && ip addr add "$host_bridge" dev docker0 && ip link set docker0 up
  fi
  echo "$bin"
}

case "${1:-}:${2:-}" in
  start:classic | start:containerd) start "$2" ;;
  stop:classic | stop:containerd) stop "$2" ;;
  bin:classic | bin:containerd) store_settings "$2" && echo "$bin" ;;
  *) echo "usage: modern-engine.sh start|stop|bin classic|containerd" >&2; exit 2 ;;
esac
