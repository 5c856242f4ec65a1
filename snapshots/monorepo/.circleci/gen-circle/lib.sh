# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:7ffa665e590c282d65657805f5f17a8b6312cd33ae6d93c216ae7292a83e380d
# shellcheck shell=bash disable=SC2016 # values from the spec are literal: single-quoted on purpose
# Shared by the gen-circle scripts (sourced): settings of each image, logging, git facts.
# Runs on CircleCI and by hand: CircleCI's variables are read with local fallbacks.

GC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GC_SCRIPTS="$GC_ROOT/.circleci/gen-circle"
GC_STATE=${GEN_CIRCLE_STATE:-${TMPDIR:-/tmp}/gen-circle}
GC_IMAGES='api, frontend, migrations'
export GC_ROOT GC_SCRIPTS GC_STATE

gc_log() { printf 'gen-circle: %s\n' "$*" >&2; }
gc_warn() { printf 'gen-circle: warning: %s\n' "$*" >&2; }
gc_die() {
  printf 'gen-circle: error: %s\n' "$*" >&2
  exit 1
}

# Seconds since the epoch, with a fraction where date has one (for step timings in logs).
gc_now() { date +%s.%N 2>/dev/null || date +%s; }
# "1.2 s" since a gc_now reading.
gc_since() { awk -v a="$1" -v b="$(gc_now)" 'BEGIN { printf "%.1f s", b - a }'; }

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
  case "$GC_ID" in
    'api')
      GC_NAME='acme/api'
      GC_DOCKERFILE='services/api/Dockerfile'
      GC_CONTEXT='services/api'
      GC_CACHE_REPO=''
      ;;
    'frontend')
      GC_NAME='acme/web'
      GC_DOCKERFILE='services/web/Dockerfile'
      GC_CONTEXT='services/web'
      GC_CACHE_REPO=''
      ;;
    'migrations')
      GC_NAME='acme/migrations'
      GC_DOCKERFILE='db/Dockerfile.migrations'
      GC_CONTEXT='.'
      GC_CACHE_REPO=''
      ;;
    *) gc_die "unknown image '$GC_ID' (known: $GC_IMAGES)" ;;
  esac
  GC_COMMIT_REF="$GC_NAME:ci-$(gc_sha)"
  export GC_ID GC_NAME GC_DOCKERFILE GC_CONTEXT GC_TARGET GC_CACHE_REPO GC_COMMIT_REF
}

# docker login with the password on stdin, from the environment variables it names.
gc_login() {
  local host=$1 user_var=$2 pass_var=$3
  if [ -z "${!user_var:-}" ] || [ -z "${!pass_var:-}" ]; then
    gc_warn "not logging in to $host: set $user_var and $pass_var (e.g. in a CircleCI context)"
    return 1
  fi
  printf '%s' "${!pass_var}" | docker login --username "${!user_var}" --password-stdin "$host" >/dev/null
}
