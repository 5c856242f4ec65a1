import type { CacheStrategy } from "../spec/types.js";

/**
 * A cache strategy: everything the pipeline does differently for it is read from its entry here,
 * never by comparing its name. Adding one is an entry in {@link STRATEGIES} and a partial,
 * `templates/scripts/partials/<partial>.hbs`, that defines image.sh's strategy functions:
 * `image_warm`, `image_ready` and `image_save` always; `image_key` and `image_built` where `archive`
 * (the config's restore and marker steps call them).
 */
export interface Strategy {
  name: CacheStrategy;
  /** A build may reuse a cache restored for its hash; with parallel nodes a build job fills it once. */
  reusesCache: boolean;
  /** The image travels as an archive in CircleCI's cache, under the hash's key (keys.ts), with a marker. */
  archive: boolean;
  /** Service images are kept in CircleCI's cache too (they travel the way the image does). */
  cachesServices: boolean;
  /** CircleCI's Docker layer caching on the executor (machine) or the remote engine (docker). */
  layerCaching: boolean;
  /** The image.sh partial that defines the strategy's functions. */
  partial: string;
  /** gen-circle-save-image's description: what a save does on a miss. */
  saveDescription: string;
  /** gen-circle-warm-image's description: what the build job of parallel nodes does. */
  warmDescription: string;
}

const ARCHIVE = {
  reusesCache: true,
  archive: true,
  cachesServices: true,
  layerCaching: false,
  partial: "image-save-load",
  saveDescription: "On a cache miss, save the image's layers as a compressed archive (atomically) under this hash; on a hit there is nothing to save.",
  warmDescription:
    "Make sure the cache holds the image for this hash: stop early when its marker says so; else build with --cache-from the newest archive, save the archive, then the marker.",
};
const REGISTRY = {
  reusesCache: true,
  archive: false,
  cachesServices: false,
  layerCaching: false,
  partial: "image-registry",
  saveDescription: "On a cache miss, push the image as the cache tags of this hash and branch; on a hit there is nothing to push.",
  warmDescription:
    "Make sure the registry holds the image for this hash: skip when it does; else build with --cache-from the branch's and the default branch's cache tags and push.",
};
// No cache of gen-circle's own: nothing is saved or warmed (the descriptions are never emitted, as
// the commands that carry them are used only where a cache is reused).
const NO_CACHE = {
  reusesCache: false,
  archive: false,
  cachesServices: false,
  partial: "image-none",
  saveDescription: "Nothing to save: this strategy keeps no cache of its own.",
  warmDescription: "Nothing to warm: this strategy keeps no cache of its own.",
};

/** Every cache strategy of the spec's `cache.strategy`, by name. */
export const STRATEGIES: Record<CacheStrategy, Strategy> = {
  "save-load": { name: "save-load", ...ARCHIVE },
  registry: { name: "registry", ...REGISTRY },
  "layer-caching": { name: "layer-caching", ...NO_CACHE, layerCaching: true },
  none: { name: "none", ...NO_CACHE, layerCaching: false },
};
