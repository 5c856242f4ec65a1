#!/usr/bin/env bash
# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:2abcc3e4dde11ddf88eab186c89aee99492baf3c9f69c4e9b27de3c20e27bc3a
# shellcheck disable=SC2016 # values from the spec are literal: single-quoted on purpose
set -euo pipefail
# Builds and caches the image. Cache strategy: registry.
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


# build_log_report LOG: what a build log (`docker build` with plain progress, classic builder or
# BuildKit) says of its steps, as one line "CACHED<TAB>RERUN": CACHED, how many build steps came
# from the cache; RERUN, the first RUN step (its first 100 characters) that ran although no COPY or
# ADD before it in its stage had changed, else empty. Steps are counted per stage; FROM steps and
# BuildKit's internal steps are not build steps.
build_log_report() {
  awk '
    function add(stage, i, instr, id) { if (!(stage in seen)) { seen[stage] = 1; order[++ns] = stage }
      key = stage SUBSEP i; what[key] = instr; ids[key] = id; if (i > max[stage]) max[stage] = i }
    # The classic builder: "Step 3/8 : RUN ...", then " ---> Using cache" when cached.
    /^Step [0-9]+\/[0-9]+ : / { instr = substr($0, index($0, " : ") + 3); split(instr, w, " ")
      if (toupper(w[1]) == "FROM") { cstage++; ci = 0; next }
      ci++; add("classic" cstage, ci, instr, "c" cstage "." ci); last = "c" cstage "." ci; next }
    /^ ---> Using cache$/ { if (last != "") done[last] = "cached"; next }
    # BuildKit (plain progress): "#7 [stage 2/6] RUN ...", then "#7 CACHED" or "#7 DONE 1.2s".
    /^#[0-9]+ \[[^]]*[0-9]+\/[0-9]+\] / { hdr = substr($0, index($0, "[") + 1); hdr = substr(hdr, 1, index(hdr, "]") - 1)
      instr = substr($0, index($0, "] ") + 2); split(instr, w, " ")
      if (toupper(w[1]) == "FROM" || hdr ~ /^internal/) next
      n = split(hdr, h, " "); split(h[n], pos, "/"); stage = (n > 1 ? h[1] : "")
      add("bk" stage, pos[1] + 0, instr, $1); next }
    /^#[0-9]+ CACHED$/ { done[$1] = "cached"; next }
    END {
      for (s = 1; s <= ns; s++) { stage = order[s]; changed = 0
        for (i = 1; i <= max[stage]; i++) { key = stage SUBSEP i; if (!(key in what)) continue
          split(what[key], w, " "); kind = toupper(w[1])
          if (done[ids[key]] == "cached") { cached++; continue }
          if (kind == "COPY" || kind == "ADD") changed = 1
          else if (kind == "RUN" && !changed && rerun == "") rerun = what[key] } }
      printf "%d\t%s\n", cached, substr(rerun, 1, 100) }' "$1"
}

# After a build that had the cache of this very hash at hand: every step before the first changed
# COPY/ADD must have come from the cache. A step that ran anyway means the engine did not use the
# restored cache (a silent full rebuild is the failure this guards against), so say so.
check_reuse() { # what was restored, for the message
  local report cached rerun
  report=$(build_log_report "$build_log")
  cached=${report%%$'\t'*}
  rerun=${report#*$'\t'}
  if [ "$cached" = 0 ]; then
    gc_warn "the cache for hash $hash was restored ($1), but the build used none of it: every step ran again on this engine ($GC_ENGINE)"
  elif [ -n "$rerun" ]; then
    gc_warn "the cache for hash $hash was restored ($1), but this step ran again before anything it copies changed: $rerun"
  else
    return 0
  fi
  # Stale (a base image's tag moved, an engine changed): image.sh save saves a fresh one.
  mkdir -p "$GC_STATE/hash"
  printf '%s\n' "$hash" >"$GC_STATE/hash/$GC_ID.stale"
}
# Cache strategy registry: cache tags in a registry, pulled and pushed by the build. Defines
# image_warm, image_ready and image_save.
hash=$("$GC_SCRIPTS/hash.sh" "$GC_ID")
# Cache tags in $GC_CACHE_REPO: cache-HASH (the image for these inputs) and cache-BRANCH (the
# newest build of a branch, for --cache-from when the hash is new). Inline cache metadata makes
# them a cache source on every engine: BuildKit reads it from the registry (on the containerd
# image store --cache-from names a registry reference), the classic builder from the pulled image.
branch_ref="$GC_CACHE_REPO:cache-$(gc_tag_slug "$(gc_branch)")"
default_ref="$GC_CACHE_REPO:cache-$(gc_tag_slug 'master')"
hash_ref="$GC_CACHE_REPO:cache-$hash"
hit_file="$GC_STATE/build/$GC_ID.hit" # written by ready when it found hash_ref
gc_login 'docker.io' 'DOCKER_LOGIN' 'DOCKER_PASSWORD' || gc_warn "continuing without registry login"

pull() { # a failed pull (missing tag, registry down) is a warning; a transient one is tried again
  if gc_retry --quiet "pull $1" docker pull -q "$1" >/dev/null; then
    return 0
  fi
  gc_warn "could not pull $1 (missing, or the registry is unreachable)"
  return 1
}

push() {
  docker tag "$GC_COMMIT_REF" "$1"
  gc_retry --quiet "push $1" docker push -q "$1" >/dev/null || gc_warn "could not push $1: the next build may rebuild"
}

push_cache() { # this commit's image as the cache of its hash and of its branch
  push "$hash_ref"
  push "$branch_ref"
}

reuse_older() { # a new hash: the newest cache of this branch, else of the default branch, in reuse
  local ref
  for ref in "$branch_ref" "$default_ref"; do
    if pull "$ref"; then
      reuse=("$ref")
      return 0
    fi
  done
}

image_warm() {
  if pull "$hash_ref"; then
    gc_log "cache hit: $hash_ref exists; nothing to build or push"
    exit 0
  fi
  reuse=()
  reuse_older
  build "${reuse[@]}"
  push_cache
}

image_ready() {
  gc_engine
  reuse=()
  mkdir -p "$GC_STATE/build"
  rm -f "$hit_file"
  if docker image inspect "$hash_ref" >/dev/null 2>&1 || pull "$hash_ref"; then
    reuse=("$hash_ref")
    printf '%s\n' "$hash" >"$hit_file"
  else
    reuse_older
  fi
  build "${reuse[@]}"
  [ ! -s "$hit_file" ] || check_reuse "$hash_ref"
}

image_save() {
  if [ "$(cat "$hit_file" 2>/dev/null)" = "$hash" ]; then
    gc_log "cache hit: $hash_ref was there; nothing to push"
    exit 0
  fi
  docker image inspect "$GC_COMMIT_REF" >/dev/null 2>&1 || gc_die "$GC_COMMIT_REF is not built: run image.sh ready first"
  push_cache
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
