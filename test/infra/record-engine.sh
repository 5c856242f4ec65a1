#!/usr/bin/env bash
# Records what an engine of the test matrix tells the generated scripts, for the tests that hold
# the scripts' readers to real output without an engine (test/tools/engine-recordings.test.ts):
#   OUT/ENGINE.info.json        the Engine API's /info, the fields lib.sh reads (compact, as sent)
#   OUT/ENGINE.docker-info.txt  lib.sh's `docker info --format` line (buildx's folder as $PLUGINS)
#   OUT/ENGINE.build-*.log      `docker build` logs with plain progress: cold, warm, a code change,
#                               and a stage built again although nothing it copies changed
# Usage (the engine running, as test/infra/setup-test-env.sh starts it):
#   bash test/infra/record-engine.sh ENGINE [OUT]   (OUT defaults to test/recordings/engines)
set -euo pipefail
engine=${1:?usage: record-engine.sh ENGINE [OUT]}
out=${2:-$(cd "$(dirname "$0")/../recordings/engines" && pwd)}
state=${GEN_CIRCLE_TEST_STATE:-/var/tmp/gen-circle-test}
bin="$state/engines/$engine/bin"
[ -f "$bin/docker-env" ] || { echo "record-engine: $bin/docker-env is missing: run test/infra/setup-test-env.sh $engine" >&2; exit 2; }
set -a
# shellcheck source=/dev/null
. "$bin/docker-env"
set +a
export PATH="$bin:$PATH"

format='{{.ServerVersion}} {{json .DriverStatus}} plugins:{{range .ClientInfo.Plugins}}{{if not .Err}} {{.Name}}{{end}}{{end}} buildx-path:{{range .ClientInfo.Plugins}}{{if and (not .Err) (eq .Name "buildx")}}{{.Path}}{{end}}{{end}}'
line=$(docker info --format "$format")
plugins="${DOCKER_CONFIG}/cli-plugins"
printf '%s\n' "${line//$plugins/\$PLUGINS}" >"$out/$engine.docker-info.txt"
curl -fsS --unix-socket "${DOCKER_HOST#unix://}" http://localhost/info |
  node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(JSON.stringify({ ServerVersion: d.ServerVersion, Driver: d.Driver, DriverStatus: d.DriverStatus }) + "\n")' \
    >"$out/$engine.info.json"

# Build logs: a dependency stage and a code stage, from the busybox the setup imports.
work=$(mktemp -d "$state/work/record-XXXXXX")
trap 'rm -rf "$work"; docker rmi -f gc-record:1 >/dev/null 2>&1 || true' EXIT
token="$$-$RANDOM"
cat >"$work/Dockerfile" <<DOCKERFILE
FROM gen-circle-test/busybox AS deps
RUN echo setup $token >/setup
COPY deps.txt /app/
RUN cat /app/deps.txt >/app/installed
FROM deps
COPY code.txt /app/
RUN wc -c /app/code.txt
DOCKERFILE
# Contents of this recording only: no cache of an earlier one matches (the classic builder's cache
# is its images, which a builder prune leaves).
echo "deps $token" >"$work/deps.txt"
echo "code $token" >"$work/code.txt"
build() { # NAME [OPTIONS...]
  local name=$1
  shift
  if docker buildx version >/dev/null 2>&1; then
    BUILDX_NO_DEFAULT_ATTESTATIONS=1 BUILDKIT_PROGRESS=plain docker buildx build --load -t gc-record:1 "$@" "$work" >"$out/$engine.build-$name.log" 2>&1
  else
    docker build -t gc-record:1 "$@" "$work" >"$out/$engine.build-$name.log" 2>&1
  fi
}
docker builder prune -af >/dev/null 2>&1 || true
build cold # after the prune: an empty build cache
build warm
echo "changed $RANDOM" >>"$work/code.txt"
build code
# The first RUN, before anything it copies: built again with nothing changed.
build rerun --no-cache
echo "record-engine: $engine recorded in $out"
