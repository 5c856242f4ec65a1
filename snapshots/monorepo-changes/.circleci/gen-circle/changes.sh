#!/usr/bin/env bash
# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:95c394b97175e555a4108ce38793c2973482cf60efdcccf4edd62fd81a6ef7d2
set -euo pipefail
# Only what changed (changes: in gen-circle.yml): the setup job of CircleCI's dynamic
# configuration. Decides which images this push changed and continues the pipeline with
# continue.yml, a run-<image> parameter each, through CircleCI's API (continuation key on stdin).
# Every image runs for a git tag, on a branch that deploys, when the pipeline itself changed, and
# when there is nothing to compare with; otherwise an image runs when a file under its build
# context, its Dockerfile or its hash inputs changed: on another branch since it left the base
# branch, on the base branch since the build before (pipeline.git.base_revision).
# shellcheck source-path=SCRIPTDIR source=lib.sh
case ${BASH_SOURCE[0]} in */*) . "${BASH_SOURCE[0]%/*}/lib.sh" ;; *) . ./lib.sh ;; esac

base='develop'
continuation="$GC_ROOT/"'.circleci/gen-circle/continue.yml'
ids=('api' 'web')
deploy_exact=('main')
deploy_regex=()

# The prefixes whose change makes an image run ("" is the whole repository).
image_paths() {
  case "$1" in
    'api') printf '%s\n' 'services/api' 'services/api/Dockerfile' 'services/api/go.mod' 'services/api/go.sum' ;;
    'web') printf '%s\n' 'services/web' 'services/web/Dockerfile' ;;
  esac
}

# Where to diff from. Another branch: where it left $base, so a push tests everything the branch
# changed (a build before it may have been cancelled or red). $base itself: the build before this one.
since() {
  local rev=${GC_BASE_REVISION:-}
  if [ "${CIRCLE_BRANCH:-}" = "$base" ]; then
    [ -n "$rev" ] && git -C "$GC_ROOT" cat-file -e "$rev^{commit}" 2>/dev/null || return 1
    printf '%s\n' "$rev"
    return
  fi
  git -C "$GC_ROOT" rev-parse -q --verify "origin/$base^{commit}" >/dev/null 2>&1 || git -C "$GC_ROOT" fetch -q origin "$base:refs/remotes/origin/$base" 2>/dev/null || return 1
  git -C "$GC_ROOT" merge-base HEAD "origin/$base"
}

under() { # file, then prefixes: true when the file is one of them or below one ("" is every file)
  local f=$1 p
  shift
  for p in "$@"; do
    if [ -z "$p" ] || [ "$f" = "$p" ] || [ "${f#"$p"/}" != "$f" ]; then return 0; fi
  done
  return 1
}

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  s=${s//$'\n'/\\n}
  printf '"%s"' "$s"
}

every=
if [ -n "${CIRCLE_TAG:-}" ]; then
  every="git tag ${CIRCLE_TAG}: every image"
elif gc_matches "${CIRCLE_BRANCH:-}" "${deploy_exact[@]}" -- "${deploy_regex[@]}"; then
  every="branch ${CIRCLE_BRANCH} deploys: every image"
elif ! from=$(since); then
  every="nothing to compare with (a first build of $base, or no $base to diff against): every image"
fi
changed=()
list="$GC_STATE/changed-files"
mkdir -p "$GC_STATE"
# Both sides of a rename, names as they are (no quoting of unusual bytes), NUL-separated.
if [ -z "$every" ] && ! git -C "$GC_ROOT" -c core.quotePath=false diff --no-renames --name-only -z "$from" HEAD -- >"$list"; then
  every="git diff from ${from:0:12} failed: every image"
elif [ -z "$every" ]; then
  mapfile -d '' -t changed <"$list"
  gc_log "${#changed[@]} file(s) changed since ${from:0:12}"
  for f in "${changed[@]}"; do
    case "$f" in
      gen-circle.yml | .circleci/*) every="$f changed (the pipeline itself): every image" ;;
    esac
  done
fi

params=
for id in "${ids[@]}"; do
  run=false
  if [ -n "$every" ]; then
    run=true
  else
    mapfile -t paths < <(image_paths "$id")
    for f in "${changed[@]}"; do
      if under "$f" "${paths[@]}"; then
        run=true
        gc_log "$id runs: $f changed"
        break
      fi
    done
    [ "$run" = true ] || gc_log "$id: nothing of it changed; its jobs do not run"
  fi
  params+="${params:+, }\"run-$id\": $run"
done
[ -z "$every" ] || gc_log "$every"

# CircleCI's API (a Server installation: set GC_CIRCLECI_API to its https://HOST/api/v2).
api=${GC_CIRCLECI_API:-https://circleci.com/api/v2}
case "$api" in
  https://* | http://localhost[:/]* | http://127.0.0.1[:/]*) ;;
  *) gc_die "GC_CIRCLECI_API must be an https:// URL (plain http only on this machine), got '$api'" ;;
esac
[ -n "${CIRCLE_CONTINUATION_KEY:-}" ] || gc_die "CIRCLE_CONTINUATION_KEY is not set: this job runs in CircleCI's setup workflow only (turn on dynamic configuration in the project's advanced settings)"
mkdir -p "$GC_STATE"
response="$GC_STATE/continue-response.json"
status=$(
  printf '{"continuation-key": %s, "configuration": %s, "parameters": {%s}}' \
    "$(json_string "$CIRCLE_CONTINUATION_KEY")" "$(json_string "$(cat "$continuation")")" "$params" |
    curl -sS --retry 5 --retry-connrefused -o "$response" -w '%{http_code}' -X POST \
      -H 'Content-Type: application/json' -H 'Accept: application/json' --data-binary @- "$api/pipeline/continue"
) || gc_die "could not reach $api to continue the pipeline"
[ "$status" = 200 ] || gc_die "continuing the pipeline: HTTP $status: $(cat "$response")"
gc_log "pipeline continued with {$params}"
