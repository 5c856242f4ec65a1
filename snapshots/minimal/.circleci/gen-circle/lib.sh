# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:d1cbc4bb37af6d75200b7d1292cced902803f03cdf54121114b563abd819b278
# shellcheck shell=bash disable=SC2016 # values from the spec are literal: single-quoted on purpose
# Shared by the gen-circle scripts (sourced): settings of each image, logging, git facts.
# Runs on CircleCI and by hand: CircleCI's variables are read with local fallbacks.

# The repository root, two folders above this file's. (Parameter expansions and builtins, here and
# in the timings below, where dirname, date and awk would each be a process: a job runs these
# scripts a dozen times, and a process start costs 1 to 5 ms on a CI machine.)
case ${BASH_SOURCE[0]} in */*) GC_ROOT=${BASH_SOURCE[0]%/*}/../.. ;; *) GC_ROOT=../.. ;; esac
GC_ROOT=$(cd "$GC_ROOT" && pwd)
GC_SCRIPTS="$GC_ROOT/.circleci/gen-circle"
# One state folder whatever TMPDIR says: the config's cache keys and paths name /tmp/gen-circle.
GC_STATE=${GEN_CIRCLE_STATE:-/tmp/gen-circle}
GC_IMAGES='myapp'
export GC_ROOT GC_SCRIPTS GC_STATE

# A branch or tag against a rule's names: the value, then exact names, then --, then regexes
# (a whole match, as CircleCI's filters mean it).
gc_matches() {
  local value=$1 m
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    [ "$value" != "$1" ] || return 0
    shift
  done
  [ $# -eq 0 ] || shift
  for m in "$@"; do
    [[ $value =~ ^($m)$ ]] && return 0
  done
  return 1
}
gc_log() { printf 'gen-circle: %s\n' "$*" >&2; }
gc_warn() { printf 'gen-circle: warning: %s\n' "$*" >&2; }
gc_die() {
  printf 'gen-circle: error: %s\n' "$*" >&2
  exit 1
}

# Microseconds since the epoch, for step timings in logs: bash 5's EPOCHREALTIME (its decimal
# point is the locale's), else whole seconds from date.
gc_now() {
  local t=${EPOCHREALTIME:-}
  if [ -n "$t" ]; then printf '%s\n' "${t//[!0-9]/}"; else printf '%s000000\n' "$(date +%s)"; fi
}
# "1.2 s" since a gc_now reading.
gc_since() {
  local d=$(($(gc_now) - $1 + 50000)) # rounded to the tenth
  [ "$d" -ge 0 ] || d=0                # a clock set back
  printf '%d.%d s' $((d / 1000000)) $((d % 1000000 / 100000))
}

gc_sha() {
  if [ -n "${CIRCLE_SHA1:-}" ]; then
    printf '%s\n' "$CIRCLE_SHA1"
  else
    git -C "$GC_ROOT" rev-parse HEAD 2>/dev/null || printf 'local\n'
  fi
}

gc_branch() {
  if [ -n "${CIRCLE_TAG:-}" ]; then
    printf '\n'
  elif [ -n "${CIRCLE_BRANCH:-}" ]; then
    printf '%s\n' "$CIRCLE_BRANCH"
  else
    git -C "$GC_ROOT" symbolic-ref --short -q HEAD 2>/dev/null || printf '\n'
  fi
}

# A branch or tag name as a docker tag: [A-Za-z0-9_.-], not starting with '.' or '-', <= 128.
gc_tag_slug() {
  local s=$1
  s=${s//[^A-Za-z0-9_.-]/-}
  while [[ $s == [.-]* ]]; do s=${s:1}; done
  printf '%s\n' "${s:0:128}"
}

# Sets the GC_* settings of one image (read by the scripts that source this file).
# shellcheck disable=SC2034
gc_image() {
  GC_ID=$1
  GC_BUILD_ARGS=()
  GC_TARGET=
  GC_PROVENANCE=false
  case "$GC_ID" in
    'myapp')
      GC_NAME='myorg/myapp'
      GC_DOCKERFILE='Dockerfile'
      GC_CONTEXT='.'
      GC_CACHE_REPO=''
      ;;
    *) gc_die "unknown image '$GC_ID' (known: $GC_IMAGES)" ;;
  esac
  GC_COMMIT_REF="$GC_NAME:ci-$(gc_sha)"
  export GC_ID GC_NAME GC_DOCKERFILE GC_CONTEXT GC_TARGET GC_PROVENANCE GC_CACHE_REPO GC_COMMIT_REF
}

# The engine, as the scripts see it. Its contract, which the rest of the scripts rely on:
#   gc_engine            sets, once per script: GC_TRANSPORT (image, buildkit or none: what reuses
#                        cached layers), GC_ENGINE (what was found, for logs: "Docker 28.5.2,
#                        containerd image store, buildx"), GC_BUILDX (buildx's path where builds may
#                        run it directly, else empty) and GC_ASKED (what answered); fails when the
#                        engine does not answer
#   gc_image_exists REF  exit 0 when the engine has the image REF
# The plain path asks docker (docker info, docker image inspect). The Engine API over its socket
# (curl) answers the same questions faster, and only where the docker on PATH would ask that
# same socket (gc_api_socket): both paths give the same answer on every engine of the test matrix.
# Whether a file is a script (#!): a command that may not be what it wraps.
gc_is_script() {
  local magic=
  IFS= read -r -n 2 magic <"$1" 2>/dev/null || true
  [ "$magic" = '#!' ]
}

# Whether the docker on PATH is the CLI itself, with no TLS settings in the environment: where the
# scripts may go round it (buildx by its own path, the API socket). A wrapper script may add flags
# (-H, --context) that only it knows; and buildx run by itself ignores DOCKER_TLS_VERIFY and
# DOCKER_CERT_PATH (docker/compose#12679), which docker hands to it.
gc_docker_plain() {
  local docker
  [ -z "${DOCKER_TLS_VERIFY:-}${DOCKER_CERT_PATH:-}${DOCKER_TLS:-}" ] && docker=$(command -v docker) && ! gc_is_script "$docker"
}

# The engine's socket, where the scripts may ask the Engine API themselves (curl: 0.02 s, where
# docker info takes 0.15-0.25 s with Docker 28's client, which starts each CLI plugin to list
# them): only where the docker on PATH would ask that socket too. That is DOCKER_HOST unset or
# unix://, no context (DOCKER_CONTEXT, or currentContext in the config), no extra plugin folders,
# and gc_docker_plain. GEN_CIRCLE_ENGINE_API=0: never.
gc_api_socket() {
  local host=${DOCKER_HOST:-unix:///var/run/docker.sock}
  [ "${GEN_CIRCLE_ENGINE_API:-}" != 0 ] && [[ $host == unix://* ]] && [ -S "${host#unix://}" ] || return 1
  [ -z "${DOCKER_CONTEXT:-}" ] && command -v curl >/dev/null && gc_docker_plain || return 1
  ! grep -qs -e '"currentContext"' -e '"cliPluginsExtraDirs"' "${DOCKER_CONFIG:-${HOME:-}/.docker}/config.json" || return 1
  printf '%s\n' "${host#unix://}"
}

# Whether the engine has an image: over the API socket where gc_api_socket allows, else docker.
gc_image_exists() {
  local sock code
  if sock=$(gc_api_socket) &&
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 --unix-socket "$sock" "http://localhost/images/$1/json"); then
    case "$code" in 200) return 0 ;; 404) return 1 ;; esac
  fi
  docker image inspect "$1" >/dev/null 2>&1
}

# gc_engine's question, answered over the API socket, as docker info's format there puts it:
# the engine's version and store from /info, and buildx where docker's plugin manager looks
# first (the config folder's cli-plugins, then the system folders; docker/cli's manager.go).
# Fails where it cannot tell as surely: no socket to ask, or the containerd image store with no
# buildx in those folders (a build of docker may set another folder, and there buildx decides the
# transport): docker info tells then. (On the overlay2 store a buildx it would not find here only
# means that builds go through `docker build`.)
# shellcheck disable=SC2034 # GC_ASKED: read by image.sh
gc_engine_api() {
  local sock json dir buildx=
  sock=$(gc_api_socket) || return 1
  json=$(curl -fsS --max-time 60 --unix-socket "$sock" http://localhost/info 2>/dev/null) || return 1
  [[ $json =~ \"ServerVersion\":\"([^\"]+)\" ]] || return 1
  status="${BASH_REMATCH[1]} "
  case "$json" in *'["driver-type","io.containerd.snapshotter'*) status+="io.containerd.snapshotter " ;; esac
  for dir in "${DOCKER_CONFIG:-${HOME:-}/.docker}/cli-plugins" /usr/local/lib/docker/cli-plugins \
    /usr/local/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins /usr/libexec/docker/cli-plugins; do
    if [ -f "$dir/docker-buildx" ] && [ -x "$dir/docker-buildx" ]; then
      buildx=$dir/docker-buildx
      break
    fi
  done
  if [ -n "$buildx" ]; then
    status+="plugins: buildx buildx-path:$buildx"
  else
    case "$status" in *io.containerd.snapshotter*) return 1 ;; esac
    status+="plugins: buildx-path:"
  fi
  GC_ASKED="the API socket $sock"
}

# What reuses cached layers on this engine (GC_TRANSPORT), found out once per script:
#   image     docker save/load, then --cache-from IMAGE: the overlay2 image store, with the classic
#             builder or BuildKit (which needs the image's inline cache metadata)
#   buildkit  BuildKit's cache exported to a local folder (--cache-to/--cache-from type=local): the
#             containerd image store (Docker 29's default on fresh installs, Docker Desktop's), where
#             --cache-from IMAGE names a registry reference and ignores the image store
#   none      the containerd image store without buildx, or with the legacy builder
#             (DOCKER_BUILDKIT=0, which fails on a --cache-from image there): nothing works there
# GEN_CIRCLE_CACHE_TRANSPORT overrides it (e.g. buildkit for a docker-container builder).
# shellcheck disable=SC2034 # read by the scripts that source this file
gc_engine() {
  [ -z "${GC_TRANSPORT:-}" ] || return 0
  local status buildx_path
  GC_ASKED="docker info"
  case "${GEN_CIRCLE_ENGINE_API:-}" in
    "" | 0 | 1) ;;
    *) gc_die "GEN_CIRCLE_ENGINE_API must be 0 (always ask docker info) or 1, got '$GEN_CIRCLE_ENGINE_API'" ;;
  esac
  # Else one call (each costs 0.1 s with a current client): the engine, its store, and the
  # client's working plugins (buildx among them: what `docker buildx version` would tell, for
  # free), with buildx's path last (a path may hold spaces).
  gc_engine_api || status=$(docker info --format '{{.ServerVersion}} {{json .DriverStatus}} plugins:{{range .ClientInfo.Plugins}}{{if not .Err}} {{.Name}}{{end}}{{end}} buildx-path:{{range .ClientInfo.Plugins}}{{if and (not .Err) (eq .Name "buildx")}}{{.Path}}{{end}}{{end}}' 2>/dev/null) ||
    gc_die "the Docker engine does not answer (docker info failed)"
  buildx_path=${status##* buildx-path:}
  status=${status% buildx-path:*}
  status+=" "
  GC_ENGINE="Docker ${status%% *}"
  case "$status" in
    *io.containerd.snapshotter*)
      GC_ENGINE+=", containerd image store"
      if [ "${DOCKER_BUILDKIT:-}" = 0 ]; then
        GC_ENGINE+=", legacy builder (DOCKER_BUILDKIT=0)"
        GC_TRANSPORT=none
      elif [[ ${status##* plugins:} == *" buildx "* ]]; then
        GC_ENGINE+=", buildx"
        GC_TRANSPORT=buildkit
      else
        GC_ENGINE+=", no buildx"
        GC_TRANSPORT=none
      fi
      ;;
    *)
      GC_ENGINE+=", overlay2 image store"
      GC_TRANSPORT=image
      # Where `docker build` is buildx already (Docker 23 and later with the plugin, BuildKit not
      # turned off): the scripts then call buildx by name, one plugin lookup fewer.
      local major=${status%%.*}
      if [[ $major =~ ^[0-9]+$ ]] && [ "$major" -ge 23 ] && [ "${DOCKER_BUILDKIT:-}" != 0 ] &&
        [[ ${status##* plugins:} == *" buildx "* ]]; then
        GC_ENGINE+=", buildx"
      fi
      ;;
  esac
  # buildx run by its own path where builds go through it: `docker buildx build` first runs the
  # plugin to read its metadata, then again to build (0.2 s a build with a current client,
  # measured). Only where gc_docker_plain: the CLI itself hands buildx nothing but the environment
  # and config that buildx reads as well.
  GC_BUILDX=
  case "$GC_ENGINE" in
    *", buildx"*)
      if [ -n "$buildx_path" ] && [ -x "$buildx_path" ] && gc_docker_plain; then
        GC_BUILDX=$buildx_path
      fi
      ;;
  esac
  case "${GEN_CIRCLE_CACHE_TRANSPORT:-}" in
    "") ;;
    image | buildkit | none) GC_TRANSPORT=$GEN_CIRCLE_CACHE_TRANSPORT ;;
    *) gc_die "GEN_CIRCLE_CACHE_TRANSPORT must be image, buildkit or none, got '$GEN_CIRCLE_CACHE_TRANSPORT'" ;;
  esac
}

# gc_transient FILE: whether what a failed docker command wrote (FILE) is a failure worth trying
# again, printing it in a word: a rate limit (429, toomanyrequests), a registry's server error
# (5xx, or an error answer the containerd store's client reports without its status), or a
# connection reset, closed or timed out. A refusal (unauthorized, denied, not found,
# manifest unknown) is not: that one fails at once.
gc_transient() {
  local text
  text=$(<"$1")
  # A 401 or 403 status as a word of its own (`unexpected status from PUT request ...: 401`),
  # even where the closed connection that came with it is reported too.
  [[ $text =~ (^|[^0-9A-Za-z])40[13]([^0-9A-Za-z]|$) ]] && return 1
  case "$text" in
    *nauthorized* | *denied* | *"not found"* | *"manifest unknown"* | *"name unknown"* | *"401 "* | *"403 "*) return 1 ;;
    *toomanyrequests* | *"429 "* | *"Too Many Requests"*) printf '429\n' ;;
    *"500 "* | *"Internal Server Error"*) printf '500\n' ;;
    *"502 "* | *"Bad Gateway"*) printf '502\n' ;;
    *"503 "* | *"Service Unavailable"*) printf '503\n' ;;
    *"504 "* | *"Gateway Timeout"*) printf '504\n' ;;
    # The containerd store's client says a reset mid-upload as a write on a closed connection.
    *"connection reset"* | *"broken pipe"* | *EOF* | *"connection refused"* | *"closed network connection"*) printf 'connection lost\n' ;;
    # The containerd store's client says only this of a registry's error answer (no status).
    *"error from registry"*) printf 'registry error\n' ;;
    *"timeout"* | *"Timeout"* | *"timed out"*) printf 'timed out\n' ;;
    *) return 1 ;;
  esac
}

# gc_retry WHAT COMMAND [ARGS...]: runs COMMAND; a transient failure (gc_transient) is tried again
# after a backoff, at most GEN_CIRCLE_RETRIES times (default 4), each retry said in the log:
#   gen-circle: retry 2/4 after 4.1 s: push myorg/app:ab12: 503
# The backoff doubles from GEN_CIRCLE_RETRY_MS (default 2000 ms), at most 60 s, with jitter (a
# random part of up to half of it): a rate limit waits four times as long, as the docker client
# does not show a registry's Retry-After. The engine itself retries a layer's transfer (dockerd
# 5 times on the overlay2 store; containerd and BuildKit their own way): this wraps the whole
# command, whose failure means those retries were spent or never applied (a manifest, a login).
# COMMAND's stdout passes through; its stderr is shown when it fails for good, unless --quiet
# (where the caller says what a failure means, e.g. a cache tag that is not there yet).
gc_retry() {
  local quiet=false max=${GEN_CIRCLE_RETRIES:-4} base=${GEN_CIRCLE_RETRY_MS:-2000} attempt=0 what err reason ms rc
  if [ "$1" = --quiet ]; then
    quiet=true
    shift
  fi
  what=$1
  shift
  [[ $max =~ ^[0-9]+$ ]] || gc_die "GEN_CIRCLE_RETRIES must be a whole number of retries, got '$max'"
  [[ $base =~ ^[1-9][0-9]*$ ]] || gc_die "GEN_CIRCLE_RETRY_MS must be a whole number of milliseconds above 0, got '$base'"
  mkdir -p "$GC_STATE"
  err="$GC_STATE/retry.$$.$RANDOM"
  while :; do
    if "$@" 2>"$err"; then
      rm -f "$err"
      return 0
    else
      rc=$?
    fi
    if ! reason=$(gc_transient "$err") || [ "$attempt" -ge "$max" ]; then
      $quiet || cat "$err" >&2
      rm -f "$err"
      [ "$attempt" -eq 0 ] || gc_warn "$what: still failing after $attempt retries"
      return "$rc"
    fi
    attempt=$((attempt + 1))
    ms=$((base << (attempt - 1)))
    [ "$reason" != 429 ] || ms=$((ms * 4))
    [ "$ms" -le 60000 ] || ms=60000
    ms=$((ms / 2 + RANDOM % (ms / 2 + 1)))
    gc_log "retry $attempt/$max after $((ms / 1000)).$((ms % 1000 / 100)) s: $what: $reason"
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  done
}
# docker login with the password on stdin, from the environment variables it names; a transient
# failure is tried again (gc_retry), a refused login fails at once.
gc_login() {
  local host=$1 user_var=$2 pass_var=$3
  if [ -z "${!user_var:-}" ] || [ -z "${!pass_var:-}" ]; then
    gc_warn "not logging in to $host: set $user_var and $pass_var (e.g. in a CircleCI context)"
    return 1
  fi
  gc_retry "login $host" gc_login_once "$host" "${!user_var}" "$pass_var"
}
gc_login_once() { # host, user, the password's variable (its value never on a command line)
  printf '%s' "${!3}" | docker login --username "$2" --password-stdin "$1" >/dev/null
}
