#!/usr/bin/env bash
# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:99dc418ea53fda8b4cd65626d4532b12f2c7549e28a658ce9b52eb6d5b3d87ef
# shellcheck disable=SC2016 # values from the spec are literal: single-quoted on purpose
set -euo pipefail
# Builds, caches and hands over the image. Cache strategy: save-load.
# Usage: image.sh warm IMAGE          make sure the cache holds the image for this hash
#        image.sh ready IMAGE         build this commit's image (tagged $GC_COMMIT_REF)
#        image.sh export IMAGE [DIR]  save this commit's image to DIR/IMAGE.tar
#        image.sh import IMAGE [DIR]  load it back (deploy job)
#   DIR defaults to $GEN_CIRCLE_STATE/workspace (/tmp/gen-circle/workspace: the workspace root).
# A cache that is missing, corrupt or unreachable is a warning and a rebuild, never a failure.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 2 ] || { echo "usage: image.sh warm|ready|export|import IMAGE [DIR]" >&2; exit 2; }
cmd=$1
gc_image "$2"


build() { # build this commit's image; arguments: images to reuse layers from
  local -a args=(build --file "$GC_ROOT/$GC_DOCKERFILE" --tag "$GC_COMMIT_REF")
  # BuildKit reuses a --cache-from image's layers only when it carries inline cache metadata.
  args+=(--build-arg BUILDKIT_INLINE_CACHE=1 "${GC_BUILD_ARGS[@]}")
  [ -z "$GC_TARGET" ] || args+=(--target "$GC_TARGET")
  local from
  for from in "$@"; do args+=(--cache-from "$from"); done
  local start
  start=$(gc_now)
  gc_log "building $GC_COMMIT_REF${1:+ (reusing layers of $*)}"
  docker "${args[@]}" "$GC_ROOT/$GC_CONTEXT"
  gc_log "built in $(gc_since "$start")"
}

hash=$("$GC_SCRIPTS/hash.sh" "$GC_ID")
cache_ref="$GC_NAME:cache-$hash"
cache_dir="$GC_STATE/cache/$GC_ID"

# Archives are zstd where the machine has it (measured: about half gzip's save and load time at
# the same size; see the README), else gzip. The file name says which, so a job loads any.
if command -v zstd >/dev/null; then
  ext=tar.zst
else
  ext=tar.gz
fi
archive="$cache_dir/$hash.$ext"

archive_for() { # hash: the archive of that hash, whichever compression it has
  local f
  for f in "$cache_dir/$1.tar.zst" "$cache_dir/$1.tar.gz"; do
    if [ -s "$f" ]; then
      printf '%s\n' "$f"
      return 0
    fi
  done
  return 1
}

unpack() { # an archive to stdout
  case "$1" in
    *.zst) zstd -dc -q "$1" ;;
    *) if command -v pigz >/dev/null; then pigz -dc "$1"; else gzip -dc "$1"; fi ;;
  esac
}

pack() { # stdin to a compressed stdout, as the archive's name says
  case "$archive" in
    *.zst) zstd -3 -T0 -q ;;
    *) if command -v pigz >/dev/null; then pigz -1; else gzip -1; fi ;;
  esac
}

load_archive() { # file: load it, setting $loaded_ref; a broken archive is a warning, and it is removed
  local file=$1 out line
  loaded_ref=
  if out=$(unpack "$file" | docker load -q); then
    # The tag as loaded, not as the file name suggests: an archive restored by key prefix may
    # hold the image under an earlier name. Any loaded image is a sound --cache-from source.
    while IFS= read -r line; do
      case "$line" in "Loaded image: "*) loaded_ref=${line#Loaded image: } ;; esac
    done <<<"$out"
    [ -n "$loaded_ref" ] && return 0
  fi
  gc_warn "cached archive $file is corrupt, truncated or unreadable here: ignoring it and rebuilding"
  rm -f "$file"
  return 1
}

save_archive() { # compressed, atomically: a save killed half-way leaves only a *.partial file
  local tmp="$archive.partial.$$"
  trap 'rm -f "$tmp"' EXIT
  local start
  start=$(gc_now)
  docker save "$cache_ref" | pack >"$tmp"
  mv "$tmp" "$archive"
  trap - EXIT
  gc_log "saved $archive ($(du -h "$archive" | cut -f1)) in $(gc_since "$start")"
}

prepare_cache_dir() {
  mkdir -p "$cache_dir"
  rm -f "$cache_dir"/*.partial.* # left by a killed save: never trusted
}

case "$cmd" in
  warm)
    prepare_cache_dir
    if found=$(archive_for "$hash"); then
      gc_log "cache hit: $found holds the image for hash $hash; nothing to build or save"
      exit 0
    fi
    reuse=()
    for old in "$cache_dir"/*.tar.*; do
      [ -e "$old" ] || continue
      if load_archive "$old"; then reuse+=("$loaded_ref"); fi
    done
    [ ${#reuse[@]} -gt 0 ] || gc_log "cache miss for hash $hash: building from scratch"
    build "${reuse[@]}"
    docker tag "$GC_COMMIT_REF" "$cache_ref"
    save_archive
    for old in "$cache_dir"/*.tar.*; do
      [ "$old" = "$archive" ] || rm -f "$old"
    done
    ;;
  ready)
    prepare_cache_dir
    reuse=()
    if docker image inspect "$cache_ref" >/dev/null 2>&1; then
      reuse=("$cache_ref") # already in this engine (a local run): no load needed
    elif found=$(archive_for "$hash"); then
      start=$(gc_now)
      if load_archive "$found"; then
        reuse=("$loaded_ref")
        gc_log "loaded $loaded_ref in $(gc_since "$start")"
      fi
    else
      for old in "$cache_dir"/*.tar.*; do
        [ -e "$old" ] || continue
        if load_archive "$old"; then reuse+=("$loaded_ref"); fi
      done
      gc_warn "no cached image for hash $hash (did the build job run?): building${reuse[*]:+ with layers of ${reuse[*]}}"
    fi
    build "${reuse[@]}"
    ;;
  export)
    dir=${3:-$GC_STATE/workspace}
    mkdir -p "$dir"
    docker save "$GC_COMMIT_REF" -o "$dir/$GC_ID.tar.partial"
    mv "$dir/$GC_ID.tar.partial" "$dir/$GC_ID.tar"
    gc_log "exported $GC_COMMIT_REF to $dir/$GC_ID.tar"
    ;;
  import)
    dir=${3:-$GC_STATE/workspace}
    [ -s "$dir/$GC_ID.tar" ] || gc_die "$dir/$GC_ID.tar is missing: the test job exports it only on branches and tags that deploy"
    docker load -q -i "$dir/$GC_ID.tar" >/dev/null
    docker image inspect "$GC_COMMIT_REF" >/dev/null 2>&1 || gc_die "$dir/$GC_ID.tar does not hold $GC_COMMIT_REF (was it built from another commit?)"
    gc_log "loaded $GC_COMMIT_REF"
    ;;
  *)
    echo "image.sh: unknown command '$cmd' (warm, ready, export, import)" >&2
    exit 2
    ;;
esac
