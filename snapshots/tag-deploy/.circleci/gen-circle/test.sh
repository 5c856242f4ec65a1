#!/usr/bin/env bash
# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:3669c4c9d395b4b5f95ed2cd1cdc1c166405b8ed349a02f117a6ae460ea7b97a
# shellcheck disable=SC2016 # values from the spec are literal: single-quoted on purpose
set -euo pipefail
# Runs the tests inside this commit's image, with the services on a private docker network.
# Usage: test.sh run IMAGE     services + tests in the container; results copied out
#        test.sh self IMAGE    the image's self-tests, run on this host with $IMAGE set
# Works with a remote engine (CircleCI's setup_remote_docker): no bind mounts, no published
# ports; results come out with `docker cp`. Containers and the network are removed on exit,
# on failure and on Ctrl-C.
# shellcheck source-path=SCRIPTDIR source=lib.sh
case ${BASH_SOURCE[0]} in */*) . "${BASH_SOURCE[0]%/*}/lib.sh" ;; *) . ./lib.sh ;; esac

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
  entrypoint=()
  split_globs=()
  split_by=
  case "$GC_ID" in
    'lib')
      test_shell='make test'
      results=''
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
    'lib')
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
    docker image inspect "$image" >/dev/null 2>&1 || gc_retry "pull $image" docker pull -q "$image" >/dev/null
  fi
  if [ -n "$dir" ] && [ ! -s "$dir/image.tar.gz" ]; then
    # A cache that cannot be written (a full disk) is a warning: the tests need the image, not it.
    if mkdir -p "$dir" && docker save "$image" | gzip -1 >"$dir/image.tar.gz.partial"; then
      mv "$dir/image.tar.gz.partial" "$dir/image.tar.gz"
    else
      rm -f "$dir/image.tar.gz.partial"
      gc_warn "could not save $image to the cache folder $dir (is its disk full?): the next job pulls it"
    fi
  fi
}

start_service() { # name image cache-dir, then: docker run options (-e, --network-alias)..., --, command...
  local name=$1 image=$2 dir=$3
  shift 3
  local -a opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    opts+=("$1")
    shift
  done
  shift
  ensure_image "$image" "$dir"
  local container="$run_id-$name"
  containers+=("$container")
  gc_log "starting service $name ($image)"
  docker run -d --name "$container" --network "$network" --network-alias "$name" "${opts[@]}" "$image" "$@" >/dev/null
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
    'lib')
      ;;
  esac
}

# split_tests: this node's share of the test files (test.split), in $test_files, space-separated.
# CircleCI's own `circleci tests run` where the CLI is on PATH: timings come from earlier runs'
# stored JUnit results, and "Rerun failed tests" gives each node only its failed files (tests run
# writes the share to a file, as CircleCI documents for runners it does not start itself).
# Elsewhere the same shares by name or file size, here.
split_tests() {
  local index=${CIRCLE_NODE_INDEX:-0} total=${CIRCLE_NODE_TOTAL:-1} all share f
  all=$(
    cd "$GC_ROOT/$GC_CONTEXT"
    shopt -s globstar nullglob
    local g
    for g in "${split_globs[@]}"; do
      # shellcheck disable=SC2206 # the glob is expanded here on purpose
      local -a m=($g)
      for f in "${m[@]}"; do [ -f "$f" ] && printf '%s\n' "$f"; done
    done | LC_ALL=C sort -u
  )
  [ -n "$all" ] || gc_die "test.split matched no files under $GC_CONTEXT (globs: ${split_globs[*]})"
  while IFS= read -r f; do
    case "$f" in
      *[[:space:]]*) gc_die "test file '$f' has a space in its name: TEST_FILES is space-separated" ;;
      *[\'\"\\]*) gc_die "test file '$f' has a quote or a backslash in its name, which xargs (circleci tests run) reads as quoting" ;;
    esac
  done <<<"$all"
  if command -v circleci >/dev/null 2>&1; then
    local list="$GC_STATE/split-$GC_ID.txt"
    mkdir -p "$GC_STATE"
    rm -f "$list"
    (cd "$GC_ROOT/$GC_CONTEXT" && printf '%s\n' "$all" | circleci tests run --command=">$(printf '%q' "$list") xargs echo" --split-by="$split_by") ||
      gc_die "circleci tests run could not split the test files"
    # No file, or a blank one: a rerun of failed tests with none on this node.
    share=
    [ ! -f "$list" ] || share=$(tr ' ' '\n' <"$list")
  else
    if [ "$split_by" = timings ]; then
      gc_log "no circleci CLI here: splitting by file size instead of timings"
      split_by=filesize
    fi
    share=$(
      cd "$GC_ROOT/$GC_CONTEXT"
      while IFS= read -r f; do
        if [ "$split_by" = filesize ]; then printf '%s %s\n' "$(wc -c <"$f")" "$f"; else printf '0 %s\n' "$f"; fi
      done <<<"$all" | awk -v n="$total" -v me="$index" '
        { size[NR] = $1; name[NR] = substr($0, index($0, " ") + 1) }
        END {
          # name: round robin in name order; filesize: largest first, each to the lightest node
          for (i = 1; i <= NR; i++) order[i] = i
          if (size[1] != "") for (i = 2; i <= NR; i++) for (j = i; j > 1 && size[order[j]] + 0 > size[order[j-1]] + 0; j--) { t = order[j]; order[j] = order[j-1]; order[j-1] = t }
          for (i = 1; i <= NR; i++) {
            k = order[i]; best = 0
            for (b = 1; b < n; b++) if (load[b] < load[best] || (load[b] == load[best] && count[b] < count[best])) best = b
            load[best] += size[k]; count[best]++
            if (best == me) print name[k]
          }
        }' | LC_ALL=C sort
    )
  fi
  test_files=$(printf '%s\n' "$share" | awk 'NF' | tr '\n' ' ')
  test_files=${test_files% }
  gc_log "node $index of $total: $(awk 'NF' <<<"$share" | wc -l | tr -d ' ') of $(wc -l <<<"$all" | tr -d ' ') test files ($split_by)"
}

copy_out() { # container-path host-dir: a folder's contents, or a warning
  local from=$1 to=$2
  rm -rf "$to"
  mkdir -p "$to"
  docker cp "$run_id-test:$from/." "$to" >/dev/null 2>&1 || gc_warn "nothing to copy from $from in the test container"
}

run_tests() {
  configure
  if [ ${#split_globs[@]} -gt 0 ]; then
    split_tests
    if [ -z "$test_files" ]; then
      # An empty TEST_FILES would make most runners run everything.
      gc_log "node ${CIRCLE_NODE_INDEX:-0} has no test files to run (more nodes than files, or a rerun of failed tests with none here)"
      return 0
    fi
  fi
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  network=$run_id
  docker network create "$network" >/dev/null
  services
  local -a args=(create --name "$run_id-test" --network "$network" "${test_env[@]}")
  [ ${#split_globs[@]} -eq 0 ] || args+=(-e "TEST_FILES=$test_files")
  args+=(-e "CI=${CI:-}" -e "CIRCLE_NODE_INDEX=${CIRCLE_NODE_INDEX:-0}" -e "CIRCLE_NODE_TOTAL=${CIRCLE_NODE_TOTAL:-1}")
  [ -z "$workdir" ] || args+=(--workdir "$workdir")
  [ -z "$user" ] || args+=(--user "$user")
  args+=("${entrypoint[@]}")
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
