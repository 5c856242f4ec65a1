#!/usr/bin/env bash
# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:055d6e4e88b88cedb05d15e66029be4dad695022c1aa7545d671ef52b950e393
# shellcheck disable=SC2016 # values from the spec are literal: single-quoted on purpose
set -euo pipefail
# The image hash: which inputs decide when the dependency image must be rebuilt.
# Usage: hash.sh IMAGE [--list]
#   prints 16 hex digits; --list prints the input files instead. (`image.sh key IMAGE` writes
#   the file the cache key's {{ checksum }} reads: this hash and the engine's cache transport.)
# Same definition as `gen-circle hash`: sha256 over a manifest of "sha256  path" lines, paths
# sorted bytewise; globs with globstar and dotglob; a folder counts as every file below it;
# symlinks and .git are left out.
shopt -s globstar dotglob nullglob
case ${BASH_SOURCE[0]} in */*) cd "${BASH_SOURCE[0]%/*}/../.." ;; *) cd ../.. ;; esac

[ $# -ge 1 ] || { echo "usage: hash.sh IMAGE [--list]" >&2; exit 2; }
image=$1
mode=${2:-}
case "$image" in
  'api')
    salt='build context=services/api dockerfile=services/api/Dockerfile target='
    patterns=('services/api/Dockerfile' 'services/api/go.mod' 'services/api/go.sum')
    ;;
  'web')
    salt='build context=services/web dockerfile=services/web/Dockerfile target='
    patterns=('services/web/Dockerfile' 'services/web/package*.json')
    ;;
  *)
    echo "hash.sh: unknown image '$image' (known: api, web)" >&2
    exit 2
    ;;
esac

if command -v sha256sum >/dev/null; then
  sha() { sha256sum; }
else
  sha() { shasum -a 256; }
fi

list_inputs() {
  # An empty IFS keeps spaces in a pattern: its unquoted expansion below is only the glob.
  local IFS= pattern match file
  local -a matches
  for pattern in "${patterns[@]}"; do
    # shellcheck disable=SC2206
    matches=($pattern)
    for match in "${matches[@]}"; do
      match=${match%/}
      case "/$match/" in */.git/*) continue ;; esac
      if [ -L "$match" ]; then
        continue
      elif [ -d "$match" ]; then
        while IFS= read -r -d '' file; do
          printf '%s\0' "${file#./}"
        done < <(find "$match" -name .git -prune -o -type f -print0)
      elif [ -f "$match" ]; then
        printf '%s\0' "$match"
      fi
    done
  done
}

manifest() {
  local file sum
  printf 'gen-circle-hash v1\n%s\n' "$salt"
  while IFS= read -r -d '' file; do
    sum=$(sha <"$file")
    printf '%s  %s\n' "${sum%% *}" "$file"
  done < <(list_inputs | LC_ALL=C sort -zu)
}

if [ "$mode" = --list ]; then
  list_inputs | LC_ALL=C sort -zu | tr '\0' '\n'
  exit 0
fi
sum=$(manifest | sha)
hash=${sum:0:16}
printf '%s\n' "$hash"
