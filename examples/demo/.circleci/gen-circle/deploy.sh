#!/usr/bin/env bash
# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:f852082ae89aba56acaeb142cf1c049d77537ceaca7021e66cc28ed66a0b1444
# shellcheck disable=SC2016 # values from the spec are literal: single-quoted on purpose
set -euo pipefail
# Tags this commit's image by a deploy rule of gen-circle.yml and pushes it.
# Usage: deploy.sh IMAGE RULE            push the tested image (built in this job) with the rule's tags
#        deploy.sh IMAGE RULE candidate  push it once as ci-<commit> (node 0 of parallel test nodes)
#        deploy.sh IMAGE RULE promote    give ci-<commit> the rule's tags in the registry: a copy
#                                        of its manifest, no layer pulled or pushed (the deploy job)
# The workflow's filters already run a rule's job only on its branches or tags; this script checks
# again, so that nothing is pushed from a branch or tag that no rule names, even by hand, and fails
# when it disagrees with them.
# The password is read from the variable the spec names and reaches docker on stdin only.
# shellcheck source-path=SCRIPTDIR source=lib.sh
case ${BASH_SOURCE[0]} in */*) . "${BASH_SOURCE[0]%/*}/lib.sh" ;; *) . ./lib.sh ;; esac

[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: deploy.sh IMAGE RULE [candidate|promote]" >&2; exit 2; }
gc_image "$1"
rule=$2
mode=${3:-push}
case "$mode" in
  push | candidate | promote) ;;
  *) echo "deploy.sh: unknown mode '$mode' (candidate, promote; none to push)" >&2; exit 2 ;;
esac

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
  'app:1')
    repository='localhost:5000/gen-circle-demo/app'
    host='localhost:5000'
    tags=('{sha}' 'build-{build}' 'latest')
    branch_exact=('main')
    ;;
  'app:2')
    repository='localhost:5000/gen-circle-demo/app'
    host='localhost:5000'
    tags=('{branch}')
    branch_regex=('release-.*')
    ;;
  'app:3')
    repository='localhost:5000/gen-circle-demo/app'
    host='localhost:5000'
    tags=('{tag}')
    tag_regex=('v[0-9]+(\.[0-9]+)*')
    ;;
  *) gc_die "no deploy rule $rule for image $GC_ID" ;;
esac

sha=$(gc_sha)
branch=$(gc_branch)
git_tag=${CIRCLE_TAG:-}
build=${CIRCLE_BUILD_NUM:-local}


# A job started for this rule whose branch or tag the rule does not match here is a failure, never
# a green job that pushed nothing: CircleCI (Java regexes) and this check (POSIX ERE) disagree.
if [ ${#tag_exact[@]} -gt 0 ] || [ ${#tag_regex[@]} -gt 0 ]; then
  if [ -z "$git_tag" ] || ! gc_matches "$git_tag" "${tag_exact[@]}" -- "${tag_regex[@]}"; then
    gc_die "git tag '${git_tag}' is not one that rule $rule deploys: nothing pushed (the rule's filters and this check disagree, or the script was run by hand on another tag)"
  fi
elif [ -z "$branch" ] || ! gc_matches "$branch" "${branch_exact[@]}" -- "${branch_regex[@]}"; then
  gc_die "branch '${branch}' is not one that rule $rule deploys: nothing pushed (the rule's filters and this check disagree, or the script was run by hand on another branch)"
fi

# The registry's HTTP API (distribution spec), for a tag made from another in the registry itself:
# a manifest read and written again under the new tag, so no layer is pulled or pushed.
# gc_registry_auth HOST USER_VAR PASS_VAR: where the API is, and how to log in to it. Registries
# on this machine (localhost, 127.0.0.0/8) answer plain http, as docker lets them; others https.
gc_registry_auth() {
  gc_api_host=$1
  gc_api_user=${2:+${!2:-}}
  gc_api_pass_var=$3
  case "$1" in
    localhost | localhost:* | 127.* | '[::1]'*) gc_api_base="http://$1" ;;
    docker.io | index.docker.io | registry-1.docker.io) gc_api_base=https://registry-1.docker.io ;;
    *) gc_api_base="https://$1" ;;
  esac
  gc_api_auth=
}

# The repository's path in the API: without the host (docker.io/library/x for a bare name).
gc_api_path() {
  local repo=$1
  case "$repo" in
    "$gc_api_host"/*) repo=${repo#"$gc_api_host"/} ;;
  esac
  case "$gc_api_host:$repo" in
    docker.io:*/* | index.docker.io:*/*) ;;
    docker.io:* | index.docker.io:*) repo="library/$repo" ;;
  esac
  printf '%s\n' "$repo"
}

# A curl config line's quoted value (curl's own escapes: backslash and double quote).
gc_curl_quote() {
  local v=${1//\\/\\\\}
  printf '"%s"' "${v//\"/\\\"}"
}

# gc_api METHOD URL OUT [CURL ARGS...]: one request; the answer's body in OUT, its headers in
# OUT.h, the status printed. Credentials and tokens go to curl on stdin, never on its command line.
gc_api() {
  local method=$1 url=$2 out=$3 rc=0
  shift 3
  {
    [ -z "$gc_api_auth" ] || printf 'header = %s\n' "$(gc_curl_quote "Authorization: $gc_api_auth")"
  } | curl -sS --config - -X "$method" -D "$out.h" -o "$out" -w '%{http_code}' --connect-timeout 20 --max-time 120 "$@" "$url" 2>"$out.err" || rc=$?
  case $rc in
    0) ;;
    7) echo "connection refused: $url" >&2; return 1 ;;
    28) echo "timed out: $url" >&2; return 1 ;;
    52 | 55 | 56) echo "connection reset: $url" >&2; return 1 ;;
    *) cat "$out.err" >&2; return 1 ;;
  esac
}

# After a 401: the login the registry asks for (WWW-Authenticate), basic or a bearer token from
# its token service, for pull and push on the repository.
gc_api_login() {
  local headers=$1 path=$2 challenge realm service token_out status
  challenge=$(tr -d '\r' <"$headers" | sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: *//p' | head -n 1)
  if [ -z "$gc_api_user" ] || [ -z "${!gc_api_pass_var:-}" ]; then
    echo "401 unauthorized: set the registry's credentials" >&2
    return 1
  fi
  case "$challenge" in
    [Bb]asic*)
      gc_api_auth="Basic $(printf '%s:%s' "$gc_api_user" "${!gc_api_pass_var}" | base64 | tr -d '\n')"
      ;;
    [Bb]earer*)
      realm=$(printf '%s' "$challenge" | sed -n 's/.*realm="\([^"]*\)".*/\1/p')
      service=$(printf '%s' "$challenge" | sed -n 's/.*service="\([^"]*\)".*/\1/p')
      token_out="$GC_STATE/api.token.$$"
      status=$(printf 'user = %s\n' "$(gc_curl_quote "$gc_api_user:${!gc_api_pass_var}")" |
        curl -sS --config - -o "$token_out" -w '%{http_code}' -G --data-urlencode "service=$service" --data-urlencode "scope=repository:$path:pull,push" "$realm") || status=000
      [ "$status" = 200 ] || { rm -f "$token_out"; echo "$status from the token service $realm" >&2; return 1; }
      token=$(sed -n 's/.*"\(access_\)\{0,1\}token" *: *"\([^"]*\)".*/\2/p' "$token_out" | head -n 1)
      rm -f "$token_out"
      gc_api_auth="Bearer $token"
      ;;
    *) echo "401 unauthorized, and no login the registry asks for" >&2; return 1 ;;
  esac
}

# Every kind of manifest: an index (several platforms, attestations) is copied as it is.
gc_manifest_types='application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'

# gc_manifest_get REPOSITORY TAG: the manifest into $GC_STATE/api.manifest (its type in
# gc_manifest_type), logging in when the registry asks.
gc_manifest_get() {
  local path status out="$GC_STATE/api.manifest"
  path=$(gc_api_path "$1")
  mkdir -p "$GC_STATE"
  status=$(gc_api GET "$gc_api_base/v2/$path/manifests/$2" "$out" -H "Accept: $gc_manifest_types") || return 1
  if [ "$status" = 401 ]; then
    gc_api_login "$out.h" "$path" || return 1
    status=$(gc_api GET "$gc_api_base/v2/$path/manifests/$2" "$out" -H "Accept: $gc_manifest_types") || return 1
  fi
  [ "$status" = 200 ] || { echo "$status from the registry reading the manifest of $1:$2" >&2; return 1; }
  gc_manifest_type=$(tr -d '\r' <"$out.h" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | tail -n 1)
}

# gc_manifest_put REPOSITORY TAG: the manifest read last, under TAG.
gc_manifest_put() {
  local path status out="$GC_STATE/api.put"
  path=$(gc_api_path "$1")
  status=$(gc_api PUT "$gc_api_base/v2/$path/manifests/$2" "$out" -H "Content-Type: $gc_manifest_type" --data-binary "@$GC_STATE/api.manifest") || return 1
  if [ "$status" = 401 ]; then
    gc_api_login "$out.h" "$path" || return 1
    status=$(gc_api PUT "$gc_api_base/v2/$path/manifests/$2" "$out" -H "Content-Type: $gc_manifest_type" --data-binary "@$GC_STATE/api.manifest") || return 1
  fi
  case "$status" in
    201 | 200) ;;
    *) echo "$status from the registry writing $1:$2: $(head -c 300 "$out")" >&2; return 1 ;;
  esac
}

# The tag the tested image is pushed under once when parallel nodes test it; never moved.
candidate="ci-$sha"

if [ "$mode" = candidate ] && [ "${CIRCLE_NODE_INDEX:-0}" != 0 ]; then
  gc_log "node $CIRCLE_NODE_INDEX of ${CIRCLE_NODE_TOTAL:-1}: node 0 pushes the candidate image"
  exit 0
fi
if [ -n "$login_user" ] && [ "$mode" != promote ]; then
  gc_login "$host" "$login_user" "$login_pass" || gc_die "cannot push to $host without credentials"
fi
if [ "$mode" = candidate ]; then
  docker tag "$GC_COMMIT_REF" "$repository:$candidate"
  gc_log "pushing the candidate $repository:$candidate"
  gc_retry "push $repository:$candidate" docker push "$repository:$candidate" >/dev/null || gc_die "pushing the candidate $repository:$candidate failed"
  exit 0
fi
if [ "$mode" = promote ]; then
  # The registry's API through curl: the password on curl's stdin (--config -), never on its command line.
  gc_registry_auth "$host" "$login_user" "$login_pass"
  gc_retry "look up $repository:$candidate" gc_manifest_get "$repository" "$candidate" ||
    gc_die "no candidate image $repository:$candidate: the test job pushes it once its tests passed"
fi

hash=$("$GC_SCRIPTS/hash.sh" "$GC_ID")
# The tags come in the order to push them: the ones that never move (a commit's, a release's)
# first, the moving ones (latest, a branch's) last. A push that fails for good stops the deploy
# there, and the log says what was pushed and what was not.
pushed=()
left=()
failed=false
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
  if [ "$mode" = promote ]; then
    gc_log "tagging $repository:$t (a copy of $candidate's manifest)"
    gc_retry "tag $repository:$t" gc_manifest_put "$repository" "$t" || failed=true
  else
    docker tag "$GC_COMMIT_REF" "$repository:$t"
    gc_log "pushing $repository:$t"
    gc_retry "push $repository:$t" docker push "$repository:$t" || failed=true
  fi
  if [ "$failed" = true ]; then
    gc_die "deploy of rule $rule failed at $repository:$t: pushed ${pushed[*]:-nothing}; not pushed: ${left[*]}"
  fi
  pushed+=("$t")
  left=("${left[@]:1}")
done
gc_log "pushed $repository: ${pushed[*]}"
