#!/usr/bin/env bash
# One command on a fresh machine: install, build gen-circle, start a local Docker engine and
# registries, generate the pipeline of examples/demo, then run its test job here the way CircleCI
# would (hash, restore, build this commit, save the cache on a miss, services, tests), twice, so
# that the second run shows the warm path.
#   bash scripts/demo.sh [ENGINE]   ENGINE: debian-20.10 (default), docker-28-overlay2 or
#                                   docker-28-containerd (Docker 28 + buildx, containerd image store)
# State (the cache archive, as CircleCI's cache would hold it): $GEN_CIRCLE_STATE, default
# /tmp/gen-circle-demo. To start cold: rm -rf /tmp/gen-circle-demo.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run -s build
engine=${1:-debian-20.10}
bash test/infra/setup-test-env.sh "$engine"
# That engine's docker client, first on PATH, with its DOCKER_HOST and DOCKER_CONFIG (as the tests do).
# shellcheck source=/dev/null # written by setup-test-env.sh
. "${GEN_CIRCLE_TEST_STATE:-/var/tmp/gen-circle-test}/engines/$engine/env"
cd examples/demo
node ../../bin/gen-circle.js generate
export GEN_CIRCLE_STATE=${GEN_CIRCLE_STATE:-/tmp/gen-circle-demo}
for run in 1 2; do
  echo
  echo "=== pipeline run $run ==="
  export CIRCLE_SHA1="demo$run" CIRCLE_BRANCH=main CIRCLE_BUILD_NUM=$run EXPECTED_MARKER=release-1
  start=$(date +%s)
  echo "--- test job"
  .circleci/gen-circle/image.sh key app
  .circleci/gen-circle/image.sh ready app 2>&1 | grep -E '^gen-circle:' || true
  .circleci/gen-circle/image.sh save app
  .circleci/gen-circle/test.sh run app
  echo "--- run $run took $(($(date +%s) - start)) s; JUnit: examples/demo/test-results/app/junit.xml"
done
echo
echo "state: $GEN_CIRCLE_STATE (rm -rf it to start cold); the generated pipeline: examples/demo/.circleci/"
