#!/usr/bin/env bash
# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:02a58d331e8fd45e260c521f7a86db3e2501044d8d68a4fbc71d01d95182ef9d
# shellcheck disable=SC2016 # values from the spec are literal: single-quoted on purpose
set -euo pipefail
# Runs the tests inside this commit's image, with the services on a private docker network.
# Usage: test.sh run IMAGE     services + tests in the container; results copied out
#        test.sh self IMAGE    the image's self-tests, run on this host with $IMAGE set
# Works with a remote engine (CircleCI's setup_remote_docker): no bind mounts, no published
# ports; results come out with `docker cp`. Containers and the network are removed on exit,
# on failure and on Ctrl-C.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 2 ] || { echo "usage: test.sh run|self IMAGE" >&2; exit 2; }
cmd=$1
gc_image "$2"
results_dir="$GC_ROOT/test-results/$GC_ID"
artifacts_dir="$GC_ROOT/artifacts/$GC_ID"

# Settings of each image's test run; services are "name|image" entries set up in start_services.
configure() {
  test_shell=
  test_exec=()
  test_env=()
  results=
  artifacts=
  workdir=
  user=
  case "$GC_ID" in
    'app')
      test_shell='sh /app/tests/run.sh'
      test_env+=(-e 'DATABASE_URL=http://db:8080')
      test_env+=(-e 'RESULTS=/results')
      test_env+=(-e 'EXPECTED_MARKER')
      test_env+=(-e 'BREAK_TEST')
      results='/results'
      artifacts=''
      workdir=''
      user=''
      ;;
  esac
}

self_test_one() { # command: run on this host, in the repository, with $IMAGE set
  gc_log "self-test: $1"
  bash -euo pipefail -c "$1"
}

self_test() {
  IMAGE=$GC_COMMIT_REF
  export IMAGE
  cd "$GC_ROOT"
  case "$GC_ID" in
    'app')
      ;;
  esac
}

run_id="gc-$GC_ID-${CIRCLE_BUILD_NUM:-local}-${CIRCLE_NODE_INDEX:-0}-$$"
network=
containers=()

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ ${#containers[@]} -gt 0 ]; then docker rm -f "${containers[@]}" >/dev/null 2>&1 || true; fi
  if [ -n "$network" ]; then docker network rm "$network" >/dev/null 2>&1 || true; fi
  exit "$status"
}

ensure_image() { # image [cache folder]: present locally, from the cache archive or a pull
  local image=$1 dir=${2:-}
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    if [ -n "$dir" ] && [ -s "$dir/image.tar.gz" ]; then
      gzip -dc "$dir/image.tar.gz" | docker load -q >/dev/null || gc_warn "cached $image is unreadable: pulling it"
    fi
    docker image inspect "$image" >/dev/null 2>&1 || docker pull -q "$image" >/dev/null
  fi
  if [ -n "$dir" ] && [ ! -s "$dir/image.tar.gz" ]; then
    mkdir -p "$dir"
    docker save "$image" | gzip -1 >"$dir/image.tar.gz.partial"
    mv "$dir/image.tar.gz.partial" "$dir/image.tar.gz"
  fi
}

start_service() { # name image cache-dir, then: -e args..., --, command...
  local name=$1 image=$2 dir=$3
  shift 3
  local -a env=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    env+=("$1")
    shift
  done
  shift
  ensure_image "$image" "$dir"
  local container="$run_id-$name"
  containers+=("$container")
  gc_log "starting service $name ($image)"
  docker run -d --name "$container" --network "$network" --network-alias "$name" "${env[@]}" "$image" "$@" >/dev/null
}

wait_ready() { # name timeout interval probe
  local name=$1 timeout=$2 interval=$3 probe=$4 container="$run_id-$1"
  local deadline=$((SECONDS + timeout))
  until docker exec "$container" sh -c "$probe" >/dev/null 2>&1; do
    if [ "$(docker inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" != true ]; then
      gc_log "service $name stopped before it was ready; its logs:"
      docker logs --tail 100 "$container" >&2 || true
      gc_die "service $name exited"
    fi
    if [ $SECONDS -ge $deadline ]; then
      gc_log "service $name was not ready after ${timeout}s; its logs:"
      docker logs --tail 100 "$container" >&2 || true
      gc_die "service $name did not become ready (probe: $probe)"
    fi
    sleep "$interval"
  done
  gc_log "service $name is ready"
}

setup_service() { # name command
  gc_log "setting up service $1"
  docker exec "$run_id-$1" sh -c "$2"
}

services() {
  case "$GC_ID" in
    'app')
      start_service 'db' 'gen-circle-test/httpd:latest' '' --
      start_service 'kv' 'gen-circle-test/httpd:latest' '' --
      wait_ready 'db' 30 1 'wget -q -O /dev/null http://127.0.0.1:8080/hello'
      wait_ready 'kv' 60 1 'wget -q -O /dev/null http://127.0.0.1:8080/hello'
      setup_service 'kv' 'echo seeded > /www/seeded'
      ;;
  esac
}

copy_out() { # container-path host-dir: a folder's contents, or a warning
  local from=$1 to=$2
  rm -rf "$to"
  mkdir -p "$to"
  docker cp "$run_id-test:$from/." "$to" >/dev/null 2>&1 || gc_warn "nothing to copy from $from in the test container"
}

run_tests() {
  configure
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  network=$run_id
  docker network create "$network" >/dev/null
  services
  local -a args=(create --name "$run_id-test" --network "$network" "${test_env[@]}")
  args+=(-e "CI=${CI:-}" -e "CIRCLE_NODE_INDEX=${CIRCLE_NODE_INDEX:-0}" -e "CIRCLE_NODE_TOTAL=${CIRCLE_NODE_TOTAL:-1}")
  [ -z "$workdir" ] || args+=(--workdir "$workdir")
  [ -z "$user" ] || args+=(--user "$user")
  if [ -n "$test_shell" ]; then
    args+=("$GC_COMMIT_REF" sh -c "$test_shell")
  else
    args+=("$GC_COMMIT_REF" "${test_exec[@]}")
  fi
  containers+=("$run_id-test")
  docker "${args[@]}" >/dev/null
  gc_log "running tests in $GC_COMMIT_REF"
  local status=0
  # In the background, so that Ctrl-C reaches our trap at once (wait returns on a signal) and
  # the cleanup removes the container even when its process ignores SIGINT.
  docker start -a "$run_id-test" &
  wait "$!" || status=$?
  [ -z "$results" ] || copy_out "$results" "$results_dir"
  [ -z "$artifacts" ] || copy_out "$artifacts" "$artifacts_dir"
  if [ "$status" -ne 0 ]; then
    gc_log "tests failed (exit $status)"
  else
    gc_log "tests passed"
  fi
  return "$status"
}

case "$cmd" in
  run) run_tests ;;
  self) self_test ;;
  *)
    echo "test.sh: unknown command '$cmd' (run, self)" >&2
    exit 2
    ;;
esac
