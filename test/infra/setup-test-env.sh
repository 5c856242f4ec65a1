#!/usr/bin/env bash
# Prepares this machine for gen-circle's tests: installs what is missing (Debian, as root), starts
# the engines of the test matrix named on the command line (default: all three; see below), two
# local registries (one plain, one with basic auth), and imports into each engine the base images
# the tests build FROM (no image can be pulled here). `--tools` installs only what the unit tests
# need. Idempotent: an engine or registry that already answers is used as it is.
#   setup-test-env.sh [--tools] [all | debian-20.10 | docker-28-overlay2 | docker-28-containerd ...]
set -euo pipefail

state=${GEN_CIRCLE_TEST_STATE:-/var/tmp/gen-circle-test}
# Every docker call below names its engine: a caller's DOCKER_HOST or context must not choose it.
unset DOCKER_HOST DOCKER_CONTEXT
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$state"
log() { printf 'setup-test-env: %s\n' "$*" >&2; }

# One setup at a time (the test projects may call it together): the second finds all running.
exec 9>"$state/setup.lock"
flock 9

# --tools: only what the unit tests need (shellcheck, zstd, git, java, pre-commit); no engine, no registry.
case " $* " in *" --tools "*) tools_only=true ;; *) tools_only=false ;; esac
need_pkgs=()
command -v shellcheck >/dev/null || need_pkgs+=(shellcheck)
command -v zstd >/dev/null || need_pkgs+=(zstd)
command -v git >/dev/null || need_pkgs+=(git)
command -v java >/dev/null || need_pkgs+=(default-jdk-headless) # CircleCI's regex dialect, for test/tools/regex.test.ts
command -v pre-commit >/dev/null || need_pkgs+=(pre-commit) # the framework our hooks are for, test/tools/precommit.test.ts
if ! $tools_only; then
  { command -v dockerd >/dev/null && [ -x /usr/bin/docker ]; } || need_pkgs+=(docker.io)
  command -v docker-registry >/dev/null || need_pkgs+=(docker-registry)
  dpkg -s busybox-static >/dev/null 2>&1 || need_pkgs+=(busybox-static) # static: copied into base images
  command -v htpasswd >/dev/null || need_pkgs+=(apache2-utils)
  command -v curl >/dev/null || need_pkgs+=(curl)
  command -v debootstrap >/dev/null || need_pkgs+=(debootstrap) # the Docker 28 engines' root
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing ${need_pkgs[*]}: run this script as root, or: apt-get install -y ${need_pkgs[*]}"
    exit 1
  fi
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$state/apt.log" 2>&1
  apt-get install -y -qq "${need_pkgs[@]}" >>"$state/apt.log" 2>&1 || { cat "$state/apt.log" >&2; exit 1; }
fi

# The engines under test. Each gets a folder $state/engines/NAME/bin holding its `docker` client:
# the scripts and the tests' helpers both find docker through that folder on PATH, never by a
# pinned path.
#   debian-20.10          Debian bookworm's docker.io 20.10 (classic builder; BuildKit without buildx)
#   docker-28-overlay2    Debian forky's docker.io 28.5 + buildx 0.29, overlay2 store (test/infra/modern-engine.sh)
#   docker-28-containerd  the same with the containerd image store (Docker 29's and Desktop's default)
ALL_ENGINES="debian-20.10 docker-28-overlay2 docker-28-containerd"
engines=()
for a in "$@"; do
  case "$a" in
    --tools) ;;
    all) read -r -a engines <<<"$ALL_ENGINES" ;;
    debian-20.10 | docker-28-overlay2 | docker-28-containerd) engines+=("$a") ;;
    *) log "unknown engine '$a' (one of: $ALL_ENGINES, all; or --tools)"; exit 2 ;;
  esac
done
[ ${#engines[@]} -gt 0 ] || $tools_only || read -r -a engines <<<"${GEN_CIRCLE_TEST_ENGINES:-$ALL_ENGINES}"
$tools_only && exit 0

# is_daemon PID NAME: that process is running as NAME. Pid files outlive their daemons (after a
# reboot, or a session's end) and their number may be anyone's: only a daemon is ever killed.
is_daemon() { [[ $1 =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }

start_debian_engine() {
  local docker=/usr/bin/docker
  # Without docker0 (a Docker 28 start removes it; modern-engine.sh puts it back) it starts no
  # container: restart it, which makes the bridge anew.
  local pid
  if ! ip link show docker0 >/dev/null 2>&1 && pid=$(cat /var/run/docker.pid 2>/dev/null) && is_daemon "$pid" dockerd; then
    log "docker0 is missing: restarting dockerd 20.10"
    kill "$pid" 2>/dev/null || true
    sleep 2
  fi
  if ! timeout 10 "$docker" info >/dev/null 2>&1; then
    log "starting dockerd 20.10 (log: $state/dockerd.log)"
    # The engine does not answer, so a pid file is stale: a dockerd killed with an earlier session
    # (maybe a zombie nobody reaps, which `kill -0` still sees) leaves it and its socket behind.
    for pidfile in /var/run/docker.pid:dockerd /var/run/docker/containerd/containerd.pid:containerd; do
      name=${pidfile##*:} pidfile=${pidfile%:*}
      if [ -f "$pidfile" ]; then
        pid=$(cat "$pidfile")
        if is_daemon "$pid" "$name"; then kill -9 "$pid" 2>/dev/null || true; fi
        rm -f "$pidfile"
      fi
    done
    rm -f /var/run/docker.sock
    # 9>&-: the daemon must not inherit the setup lock (it would hold it for as long as it runs).
    setsid dockerd </dev/null >"$state/dockerd.log" 2>&1 9>&- &
    for _ in $(seq 1 60); do
      timeout 5 "$docker" info >/dev/null 2>&1 && break
      sleep 1
    done
    if ! timeout 10 "$docker" info >/dev/null 2>&1; then
      log "dockerd did not answer within 60 s; its log:"
      tail -n 40 "$state/dockerd.log" >&2 || true
      exit 1
    fi
  fi
  ln -sfn "$docker" "$1/docker"
  mkdir -p "$1/../config"
  printf 'DOCKER_HOST=unix:///var/run/docker.sock\nDOCKER_CONFIG=%s\n' "$(cd "$1/../config" && pwd)" >"$1/docker-env"
}

start_engine() { # name: start it, link its client into $state/engines/NAME/bin
  local bin="$state/engines/$1/bin" client
  mkdir -p "$bin"
  case "$1" in
    debian-20.10) start_debian_engine "$bin" ;;
    docker-28-overlay2 | docker-28-containerd)
      local store=classic
      [ "$1" = docker-28-overlay2 ] || store=containerd
      # Never a silent stop: say which engine failed (modern-engine.sh prints its own cause above).
      client=$(bash "$here/modern-engine.sh" start "$store" 9>&-) || { log "starting $1 failed (logs in /var/tmp/gen-circle-engines)"; return 1; }
      ln -sfn "$client/docker" "$bin/docker"
      cp "$client/docker-env" "$bin/docker-env"
      ;;
  esac
  # `. $state/engines/NAME/env` in a shell: then `docker` is that engine's client (the tests and
  # the benchmark read the same two variables from bin/docker-env).
  # shellcheck disable=SC2016 # $PATH is for the shell that sources the file
  { printf 'export PATH=%q:"$PATH"\n' "$bin"; sed 's/^/export /' "$bin/docker-env"; } >"$state/engines/$1/env"
}

engine_docker() { # NAME ARGS...: that engine's client, with its environment
  local name=$1 line
  local -a vars=()
  shift
  while IFS= read -r line; do vars+=("$line"); done <"$state/engines/$name/bin/docker-env"
  env "${vars[@]}" "$state/engines/$name/bin/docker" "$@"
}

start_registry() { # name port [htpasswd]
  local name=$1 port=$2 auth=${3:-}
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null ||
    curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" 2>/dev/null | grep -q 401; then
    return 0
  fi
  local dir="$state/$name"
  mkdir -p "$dir/data"
  {
    echo "version: 0.1"
    echo "log: {level: warn}"
    echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
    echo "http: {addr: 127.0.0.1:$port}"
    if [ -n "$auth" ]; then
      echo "auth: {htpasswd: {realm: gen-circle-test, path: $auth}}"
    fi
  } >"$dir/config.yml"
  log "starting $name registry on 127.0.0.1:$port"
  setsid docker-registry serve "$dir/config.yml" </dev/null >"$dir/registry.log" 2>&1 9>&- &
  for _ in $(seq 1 30); do
    code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" 2>/dev/null || true)
    case "$code" in 200 | 401) return 0 ;; esac
    sleep 0.5
  done
  log "registry $name did not start; its log:"
  cat "$dir/registry.log" >&2
  exit 1
}

start_registry registry 5000
# The login tests use this one: user "ci", password from the test itself (bcrypt htpasswd).
mkdir -p "$state/registry-auth"
[ -f "$state/registry-auth/htpasswd" ] || htpasswd -Bbn ci gen-circle-secret-pw >"$state/registry-auth/htpasswd"
start_registry registry-auth 5001 "$state/registry-auth/htpasswd"

# Base images, per engine: a busybox root file system, imported (nothing can be pulled here), and a
# service stand-in that really listens (busybox httpd on 8080 serving /www). Both are imported, so
# no builder is needed: the same on every engine and store.
base_images() { # engine name
  local name=$1 root
  if ! engine_docker "$name" image inspect gen-circle-test/busybox:latest >/dev/null 2>&1 ||
    ! engine_docker "$name" image inspect gen-circle-test/httpd:latest >/dev/null 2>&1; then
    log "importing gen-circle-test/busybox and gen-circle-test/httpd into $(engine_docker "$name" version --format '{{.Server.Version}}')"
    root=$(mktemp -d "$state/base-root.XXXXXX")
    mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/www"
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox" # from busybox-static
    for applet in $("$root/bin/busybox" --list); do
      [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    tar -C "$root" --exclude=./www -c . | engine_docker "$name" import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - gen-circle-test/busybox:latest >/dev/null
    echo "hello from kv" >"$root/www/hello"
    tar -C "$root" -c . | engine_docker "$name" import -c 'ENV PATH=/bin' -c 'EXPOSE 8080' \
      -c 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]' - gen-circle-test/httpd:latest >/dev/null
    rm -rf "$root"
  fi
}

for e in "${engines[@]}"; do
  start_engine "$e"
  base_images "$e"
  log "ready: $e ($(engine_docker "$e" version --format '{{.Server.Version}}'))"
done
log "registries on 127.0.0.1:5000 and :5001"
