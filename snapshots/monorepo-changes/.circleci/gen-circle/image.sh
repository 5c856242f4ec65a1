#!/usr/bin/env bash
# gen-circle: generated from gen-circle.yml; do not edit by hand.
# Regenerate with: npx gen-circle generate
# gen-circle-checksum: sha256:bf2fdce8c798afe00d50d20a3f8473d2367e9ec092a9f920f6cfd04490e3e843
# shellcheck disable=SC2016 # values from the spec are literal: single-quoted on purpose
set -euo pipefail
# Builds and caches the image. Cache strategy: save-load.
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
# Cache strategy save-load: the image as an archive in CircleCI's cache under its hash's key (with
# BuildKit's cache records where the engine needs them). Defines image_key, image_built, image_warm,
# image_ready and image_save.
hash=$("$GC_SCRIPTS/hash.sh" "$GC_ID")
cache_ref="$GC_NAME:cache-$hash"
cache_dir="$GC_STATE/cache/$GC_ID"
key_file="$GC_STATE/hash/$GC_ID"
unpacked="$GC_STATE/buildkit/$GC_ID"
marker="$GC_STATE/built/$GC_ID"
# The engine is asked once per job, by `key` (each docker call costs); the later steps of the job
# read its answer from the key file, as long as that is for this hash.
if [ "$cmd" != key ] && [ -s "$key_file" ]; then
  while read -r field value; do
    case "$field" in
      hash) [ "$value" = "$hash" ] || break ;;
      transport) GC_TRANSPORT=$value ;;
    esac
  done <"$key_file"
  GC_ENGINE="engine not recorded"
  GC_BUILDX=
  { IFS= read -r GC_ENGINE && IFS= read -r GC_BUILDX; } <"$key_file.engine" 2>/dev/null || true
fi
if [ "$cmd" = key ]; then
  # Whether this hash's cache image is in the engine already (a local run; a machine that keeps
  # its images): asked beside the engine's probe, so that ready need not ask (each call costs).
  mkdir -p "${key_file%/*}"
  { if gc_image_exists "$cache_ref"; then echo "$hash yes"; else echo "$hash no"; fi; } >"$key_file.present.tmp" &
  present_pid=$!
fi
gc_engine
# With buildx, its own command (the `docker build` alias looks the plugin up once more: 0.1 s a
# build, measured), by its path where gc_engine found it, and --load, so that the image lands in
# the engine whatever the default builder.
if [ -n "${GC_BUILDX:-}" ]; then
  build_cmd=("$GC_BUILDX" build --load)
else
  case "$GC_ENGINE" in *", buildx"*) build_cmd=(docker buildx build --load) ;; esac
fi
# No inline cache metadata where BuildKit's own records are the cache: the metadata costs 0.1 s or
# more a build (measured on the example) and nothing reads it.
[ "$GC_TRANSPORT" != buildkit ] || inline_cache=false

# Archives are zstd where the machine has it (measured: about half gzip's save and load time at
# the same size; gen-circle's docs/benchmarks.md), else gzip. An archive is named HASH.KIND.tar.EXT:
# KIND is the transport that made it, so a job skips an archive its engine cannot use (one restored
# by key prefix from another engine). Both hold `docker save` of the image; buildkit's has beside it
# HASH.buildkit.cache.tar, BuildKit's cache records without the layers the image holds.
if command -v zstd >/dev/null; then
  ext=tar.zst
else
  ext=tar.gz
fi
archive="$cache_dir/$hash.$GC_TRANSPORT.$ext"

records_of() { # a buildkit archive: the file of its BuildKit cache records
  printf '%s\n' "${1%.tar.*}.cache.tar"
}

archive_for() { # hash: the archive of that hash and this engine's transport, whatever compression
  local f
  for f in "$cache_dir/$1.$GC_TRANSPORT.tar.zst" "$cache_dir/$1.$GC_TRANSPORT.tar.gz"; do
    if [ -s "$f" ] && { [ "$GC_TRANSPORT" != buildkit ] || [ -s "$(records_of "$f")" ]; }; then
      printf '%s\n' "$f"
      return 0
    fi
  done
  return 1
}

older_archives() { # the archives of other hashes this engine can use (--cache-from sources)
  local f
  for f in "$cache_dir"/*."$GC_TRANSPORT".tar.*; do
    [ -e "$f" ] && [ "$f" != "$archive" ] && printf '%s\n' "$f"
  done
  return 0
}

unpack() { # an archive to stdout [as the name NAME says it is compressed]
  case "${2:-$1}" in
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

broken() { # file: a restored archive this engine cannot read is a warning, and it is removed
  gc_warn "cached archive $1 is corrupt, truncated or unreadable here: ignoring it and rebuilding"
  rm -f "$1" "$(records_of "$1")"
  return 1
}

# open FILE: make an archive usable as a cache source, setting $source (the --cache-from value).
open_archive() {
  local file=$1 out line dir
  source=
  case "$GC_TRANSPORT" in
    image)
      out=$(unpack "$file" | docker load -q) || broken "$file" || return 1
      # The tag as loaded, not as the file name suggests: an archive restored by key prefix may
      # hold the image under an earlier name. Any loaded image is a sound --cache-from source.
      while IFS= read -r line; do
        case "$line" in "Loaded image: "*) source=${line#Loaded image: } ;; esac
      done <<<"$out"
      [ -n "$source" ] || broken "$file" || return 1
      ;;
    buildkit)
      # The image into the engine's content store, where BuildKit finds the layers its cache
      # records name: only the records go through the client (a few KB), not the layers again.
      dir="$unpacked/$(basename "$file")"
      rm -rf "$dir"
      mkdir -p "$dir"
      # zstd and gzip check their own checksums: a truncated or corrupt archive fails here.
      if ! tar -x -C "$dir" -f "$(records_of "$file")" || [ ! -s "$dir/index.json" ] || ! unpack "$file" | docker load -q >/dev/null; then
        rm -rf "$dir"
        broken "$file" || return 1
      fi
      source="type=local,src=$dir"
      ;;
  esac
}

unsaved() { # the partial files of a save that failed
  rm -f "$@"
  trap - EXIT
  gc_warn "could not save the cache archive $archive (is the disk of $cache_dir full?): nothing saved, the next job rebuilds what it must"
}

# save: the cache of this hash into $archive, compressed and atomically (a save killed half-way
# leaves only a *.partial file, never loaded); then only that archive stays in the cache folder.
# Fails, saying so and leaving nothing, where the archive cannot be written (a full disk).
save_archive() {
  local tmp="$archive.partial.$$" records records_tmp start digest
  records=$(records_of "$archive")
  records_tmp="$records.partial.$$"
  trap 'rm -f "$tmp" "$records_tmp"' EXIT
  start=$(gc_now)
  docker tag "$GC_COMMIT_REF" "$cache_ref"
  # A save that cannot be written whole (a full disk) leaves nothing that a later job trusts: the
  # partial files go, the job says so and goes on (its tests decide whether it is green).
  if ! docker save "$cache_ref" | pack >"$tmp"; then
    unsaved "$tmp" "$records_tmp"
    return 1
  fi
  if [ "$GC_TRANSPORT" = buildkit ]; then
    # BuildKit's cache records without the layers the saved image holds (the same blobs: both
    # exports compress alike), so the archive is not twice the image. Records first: an archive
    # without its records is never found (archive_for).
    while IFS= read -r digest; do
      case "$digest" in ?*) rm -f "$unpacked/export/blobs/sha256/$digest" ;; esac
    done < <(unpack "$tmp" "$archive" | tar -t | sed -n 's|^blobs/sha256/||p')
    if ! tar -C "$unpacked/export" -cf "$records_tmp" . || ! mv "$records_tmp" "$records"; then
      unsaved "$tmp" "$records_tmp"
      return 1
    fi
  fi
  if ! mv "$tmp" "$archive"; then
    unsaved "$tmp" "$records_tmp" "$records"
    return 1
  fi
  trap - EXIT
  rm -rf "$unpacked/export"
  gc_log "saved $archive ($(du -h "$archive" | cut -f1)) in $(gc_since "$start")"
  local old
  for old in "$cache_dir"/*.tar.* "$cache_dir"/*.cache.tar; do
    [ ! -e "$old" ] || [ "$old" = "$archive" ] || [ "$old" = "$records" ] || rm -f "$old"
  done
}

write_marker() { # after the archive: a marker never promises an archive that was not saved
  mkdir -p "${marker%/*}"
  cp "$key_file" "$marker.tmp"
  mv "$marker.tmp" "$marker"
}

in_engine() { # is the cache image of this hash in the engine? (as key found it, else asked now)
  local h answer
  if [ -s "$key_file.present" ] && read -r h answer <"$key_file.present" && [ "$h" = "$hash" ]; then
    [ "$answer" = yes ]
  else
    docker image inspect "$cache_ref" >/dev/null 2>&1
  fi
}

prepare_cache_dir() {
  mkdir -p "$cache_dir"
  rm -f "$cache_dir"/*.partial.* # left by a killed save: never trusted
}

no_transport() {
  gc_warn "this engine ($GC_ENGINE) cannot reuse a cached image: with the containerd image store, --cache-from IMAGE names a registry reference, and BuildKit's cache export needs buildx (and BuildKit: not DOCKER_BUILDKIT=0). Building without a cache; install docker-buildx, or use cache: registry"
}

image_key() {
  # The cache key's file: the hash and the transport, so that an engine never restores under
  # its exact key an archive that only another engine can use.
  mkdir -p "${key_file%/*}"
  printf 'hash %s\ntransport %s\n' "$hash" "$GC_TRANSPORT" >"$key_file.tmp"
  mv "$key_file.tmp" "$key_file"
  # The archive's generation, in the key it is saved under: 0 until a stale one is replaced.
  printf '0\n' >"$key_file.gen"
  rm -f "$key_file.stale"
  # Beside it, not in it: an engine upgrade must not change the key.
  printf '%s\n%s\n' "$GC_ENGINE" "$GC_BUILDX" >"$key_file.engine"
  wait "$present_pid" || true
  mv "$key_file.present.tmp" "$key_file.present"
  # The machine's architecture, in every cache key instead of CircleCI's {{ arch }} (which has
  # the CPU model: two hosts of one architecture would not share a cache).
  machine=$(uname -s -m)
  printf '%s\n' "$machine" >"${key_file%/*}/machine"
  gc_log "hash $hash; cache transport on this engine: $GC_TRANSPORT ($GC_ENGINE${GC_BUILDX:+; buildx run as $GC_BUILDX}; asked $GC_ASKED); machine $machine"
}

image_built() {
  # The marker (saved after the archive, under the same hash and transport) says the cache
  # holds this hash, so the build job ends without downloading the archive.
  if [ -s "$marker" ] && cmp -s "$marker" "$key_file"; then
    gc_log "cache hit: the marker for hash $hash ($GC_TRANSPORT) is in the cache; nothing to build or save"
    exit 0
  fi
  exit 1
}

image_warm() {
  prepare_cache_dir
  if [ "$GC_TRANSPORT" = none ]; then
    no_transport
    exit 0
  fi
  if found=$(archive_for "$hash"); then
    gc_log "cache hit: $found holds the cache for hash $hash; nothing to build or save"
    write_marker
    exit 0
  fi
  reuse=()
  while IFS= read -r old; do
    if open_archive "$old"; then reuse+=("$source"); fi
  done < <(older_archives)
  [ ${#reuse[@]} -gt 0 ] || gc_log "cache miss for hash $hash: building from scratch"
  if [ "$GC_TRANSPORT" = buildkit ]; then
    rm -rf "$unpacked/export"
    build_opts=(--cache-to "type=local,dest=$unpacked/export,mode=max")
  fi
  build "${reuse[@]}"
  if save_archive; then
    rm -rf "$unpacked"
    write_marker
  fi
  rm -rf "$unpacked"
}

image_ready() {
  prepare_cache_dir
  reuse=()
  restored=
  if [ "$GC_TRANSPORT" = none ]; then
    no_transport
  elif [ "$GC_TRANSPORT" = image ] && in_engine; then
    reuse=("$cache_ref") # already in this engine (a local run): no load needed
    restored="$cache_ref, already in the engine"
  elif found=$(archive_for "$hash"); then
    start=$(gc_now)
    if open_archive "$found"; then
      reuse=("$source")
      restored=$found
      gc_log "restored $found as $source in $(gc_since "$start")"
    fi
  else
    while IFS= read -r old; do
      if open_archive "$old"; then reuse+=("$source"); fi
    done < <(older_archives)
    gc_log "cache miss for hash $hash: building${reuse[*]:+ with layers of ${reuse[*]}}"
    if [ "$GC_TRANSPORT" = buildkit ]; then
      # Kept for image.sh save: BuildKit's cache can only be exported by the build itself.
      rm -rf "$unpacked/export"
      build_opts=(--cache-to "type=local,dest=$unpacked/export,mode=max")
    fi
  fi
  build "${reuse[@]}"
  [ -z "$restored" ] || check_reuse "$restored"
  find "$unpacked" -mindepth 1 -maxdepth 1 ! -name export -exec rm -rf {} + 2>/dev/null || true
}

# heal: the archive restored for this hash went unused (check_reuse), so every later job would
# rebuild in full until the key expired (CircleCI never overwrites a key). Save this build's image
# as a new generation of the hash's key, which the next restore prefers (the newest match).
heal() {
  if [ "${CIRCLE_NODE_INDEX:-0}" != 0 ]; then
    gc_log "the cache for hash $hash is stale: node 0 saves a fresh one"
    return 0
  fi
  if [ "$GC_TRANSPORT" = buildkit ]; then
    # BuildKit's records come only from a build: this one again, every step cached by now.
    rm -rf "$unpacked/export"
    build_opts=(--cache-to "type=local,dest=$unpacked/export,mode=max")
    build
  fi
  if save_archive; then
    printf '%s-%s\n' "${CIRCLE_BUILD_NUM:-local}" "$(date +%s%N)" >"$key_file.gen"
    gc_log "the cache for hash $hash was stale: saved a fresh archive as a new generation of its key, which the next pipeline restores first"
  fi
}

image_save() {
  prepare_cache_dir
  if [ "$GC_TRANSPORT" = none ]; then
    no_transport
  elif found=$(archive_for "$hash"); then
    if [ "$(cat "$key_file.stale" 2>/dev/null)" = "$hash" ]; then
      heal
    else
      gc_log "cache hit: $found holds the cache for hash $hash; nothing to save"
    fi
  elif [ "${CIRCLE_NODE_TOTAL:-1}" -gt 1 ]; then
    gc_log "no archive for hash $hash on this test node: the build job saves it"
  elif [ "$GC_TRANSPORT" = buildkit ] && [ ! -s "$unpacked/export/index.json" ]; then
    gc_warn "no BuildKit cache export for hash $hash (run image.sh ready first): nothing saved"
  else
    docker image inspect "$GC_COMMIT_REF" >/dev/null 2>&1 || gc_die "$GC_COMMIT_REF is not built: run image.sh ready first"
    save_archive || true # said by save_archive: the job goes on
  fi
  rm -rf "$unpacked"
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
