#!/usr/bin/env bash
# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:72df532bd79064e9e08e41bd543fd1a90b63c14d0d9745e1dd686ee2941a4a1b
# shellcheck disable=SC2016 # values from the spec are literal: single-quoted on purpose
set -euo pipefail
# Tags this commit's image by a deploy rule of gen-circle.yml and pushes it.
# Usage: deploy.sh IMAGE RULE
# The workflow's filters already run a rule's job only on its branches or tags; this script checks
# again, so that nothing is pushed from a branch or tag that no rule names, even by hand, and fails
# when it disagrees with them.
# The password is read from the variable the spec names and reaches docker on stdin only.
# shellcheck source-path=SCRIPTDIR source=lib.sh
case ${BASH_SOURCE[0]} in */*) . "${BASH_SOURCE[0]%/*}/lib.sh" ;; *) . ./lib.sh ;; esac

[ $# -eq 2 ] || { echo "usage: deploy.sh IMAGE RULE" >&2; exit 2; }
gc_image "$1"
rule=$2

repository=
host=
login_user=
login_pass=
tags=()
branch_exact=()
branch_regex=()
tag_exact=()
tag_regex=()
case "$GC_ID:$rule" in
  'api:1')
    repository='myorg/api'
    host='docker.io'
    login_user='DOCKERHUB_USERNAME'
    login_pass='DOCKERHUB_TOKEN'
    tags=('{sha}' 'latest')
    branch_exact=('main')
    ;;
  *) gc_die "no deploy rule $rule for image $GC_ID" ;;
esac

sha=$(gc_sha)
branch=$(gc_branch)
git_tag=${CIRCLE_TAG:-}
build=${CIRCLE_BUILD_NUM:-local}

matches() { # value, then exact names, then --, then regexes (whole match)
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

# A job started for this rule whose branch or tag the rule does not match here is a failure, never
# a green job that pushed nothing: CircleCI (Java regexes) and this check (POSIX ERE) disagree.
if [ ${#tag_exact[@]} -gt 0 ] || [ ${#tag_regex[@]} -gt 0 ]; then
  if [ -z "$git_tag" ] || ! matches "$git_tag" "${tag_exact[@]}" -- "${tag_regex[@]}"; then
    gc_die "git tag '${git_tag}' is not one that rule $rule deploys: nothing pushed (the rule's filters and this check disagree, or the script was run by hand on another tag)"
  fi
elif [ -z "$branch" ] || ! matches "$branch" "${branch_exact[@]}" -- "${branch_regex[@]}"; then
  gc_die "branch '${branch}' is not one that rule $rule deploys: nothing pushed (the rule's filters and this check disagree, or the script was run by hand on another branch)"
fi

if [ -n "$login_user" ]; then
  gc_login "$host" "$login_user" "$login_pass" || gc_die "cannot push to $host without credentials"
fi

hash=$("$GC_SCRIPTS/hash.sh" "$GC_ID")
# The tags come in the order to push them: the ones that never move (a commit's, a release's)
# first, the moving ones (latest, a branch's) last. A push that fails for good stops the deploy
# there, and the log says what was pushed and what was not.
pushed=()
left=()
for template in "${tags[@]}"; do
  t=$template
  t=${t//\{sha\}/$sha}
  t=${t//\{short_sha\}/${sha:0:7}}
  t=${t//\{branch\}/$(gc_tag_slug "$branch")}
  t=${t//\{tag\}/$(gc_tag_slug "$git_tag")}
  t=${t//\{build\}/$build}
  t=${t//\{hash\}/$hash}
  left+=("$t")
done
while [ ${#left[@]} -gt 0 ]; do
  t=${left[0]}
  docker tag "$GC_COMMIT_REF" "$repository:$t"
  gc_log "pushing $repository:$t"
  if ! gc_retry "push $repository:$t" docker push "$repository:$t"; then
    gc_die "deploy of rule $rule failed at $repository:$t: pushed ${pushed[*]:-nothing}; not pushed: ${left[*]}"
  fi
  pushed+=("$t")
  left=("${left[@]:1}")
done
gc_log "pushed $repository: ${pushed[*]}"
