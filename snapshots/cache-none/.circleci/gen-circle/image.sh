#!/usr/bin/env bash
# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:f05d313244bd995020477e01fbbd267fca3c27766a708fbdbb5ee401bd5e3aed
# shellcheck disable=SC2016 # values from the spec are literal: single-quoted on purpose
set -euo pipefail
# Builds and caches the image. Cache strategy: none.
# Usage: image.sh key IMAGE           hash the inputs; write the cache key files (save-load)
#        image.sh built IMAGE         exit 0 when the cache marker says the cache has this hash
#        image.sh warm IMAGE          make sure the cache holds the image for this hash
#        image.sh ready IMAGE         build this commit's image (tagged $GC_COMMIT_REF)
#        image.sh save IMAGE          after ready, on a cache miss: save the image's cache
#   GC_STATE is /tmp/gen-circle, the folder the config's cache keys and paths name
#   (GEN_CIRCLE_STATE overrides it for runs by hand).
# A cache that is missing, corrupt or unreachable is a warning and a rebuild, never a failure; a
# cache that was restored and still not used by the build is a warning too.
# shellcheck source-path=SCRIPTDIR source=lib.sh
case ${BASH_SOURCE[0]} in */*) . "${BASH_SOURCE[0]%/*}/lib.sh" ;; *) . ./lib.sh ;; esac

[ $# -ge 2 ] || { echo "usage: image.sh key|built|warm|ready|save IMAGE" >&2; exit 2; }
cmd=$1
gc_image "$2"
build_log="$GC_STATE/build/$GC_ID.log"

# build [CACHE-FROM...]: build this commit's image, reusing layers of the given --cache-from
# sources (images, registry references or type=local folders). Extra build options in build_opts;
# the command in build_cmd; inline_cache=false leaves out the inline cache metadata.
build_opts=()
build_cmd=(docker build)
inline_cache=true
# shellcheck disable=SC2120 # without a cache there is nothing to reuse
build() {
  local -a args=("${build_cmd[@]}" --file "$GC_ROOT/$GC_DOCKERFILE" --tag "$GC_COMMIT_REF")
  # BuildKit reuses a --cache-from image's layers only when it carries inline cache metadata.
  [ "$inline_cache" = false ] || args+=(--build-arg BUILDKIT_INLINE_CACHE=1)
  args+=("${GC_BUILD_ARGS[@]}" "${build_opts[@]}")
  [ -z "$GC_TARGET" ] || args+=(--target "$GC_TARGET")
  local from
  for from in "$@"; do args+=(--cache-from "$from"); done
  local start
  start=$(gc_now)
  gc_log "building $GC_COMMIT_REF${1:+ (reusing layers of $*)}"
  mkdir -p "${build_log%/*}"
  # Plain progress: each step says whether it came from the cache (read by check_reuse). No
  # provenance attestation unless the spec asks for one (image.provenance): BuildKit attaches one by
  # default where the store can hold it, at about 0.2 s a build (measured on the example). Said with
  # buildx's variable (read by buildx 0.10.4 and later; older ones ignore it, and before 0.10 add
  # none), not --provenance=false, which buildx before 0.10 rejects as an unknown flag. It reaches
  # `docker build` too, the buildx alias on Docker 23 and later. (A pipeline's first part runs in a
  # subshell: the variable stays there.)
  # The build's own status decides; a log that cannot be written (a full disk where the state
  # folder is) only costs the check of the cache's use (check_reuse reads the log).
  local -a status
  local attempt
  for attempt in 1 2; do
    if {
      if [ "$GC_PROVENANCE" = true ]; then unset BUILDX_NO_DEFAULT_ATTESTATIONS; else export BUILDX_NO_DEFAULT_ATTESTATIONS=1; fi
      BUILDKIT_PROGRESS=plain "${args[@]}" "$GC_ROOT/$GC_CONTEXT" 2>&1
    } | tee "$build_log"; then
      break
    fi
    status=("${PIPESTATUS[@]}")
    if [ "${status[0]}" = 0 ]; then
      gc_warn "could not write the build log $build_log (is its disk full?)"
      : >"$build_log" 2>/dev/null || true
      break
    fi
    # Two builds of one commit at once on one engine (two local runs; CI gives each job a machine
    # of its own): the containerd store refuses the second image record with this name. The other
    # build made the same image: building again names it.
    if [ "$attempt" = 1 ] && grep -qF "\"$GC_COMMIT_REF\": already exists" "$build_log" 2>/dev/null; then
      gc_log "another build named $GC_COMMIT_REF at the same moment: building again"
      continue
    fi
    gc_die "the build of $GC_COMMIT_REF failed (its output is above)"
  done
  gc_log "built in $(gc_since "$start")"
}

# Cache strategy none: no cache of gen-circle's own (layer-caching leaves it to CircleCI's
# Docker layer caching). Defines image_warm, image_ready and image_save.
image_warm() {
  gc_log "cache strategy none: nothing to warm"
}

image_ready() {
  # shellcheck disable=SC2119
  build
}

image_save() {
  gc_log "cache strategy none: nothing to save"
}

case "$cmd" in
  key | built | warm | ready | save)
    # The strategy's partial defines the commands it has (image_key and image_built: save-load).
    if ! declare -F "image_$cmd" >/dev/null; then
      echo "image.sh: unknown command '$cmd' (key, built, warm, ready, save)" >&2
      exit 2
    fi
    "image_$cmd"
    ;;
  *)
    echo "image.sh: unknown command '$cmd' (key, built, warm, ready, save)" >&2
    exit 2
    ;;
esac
