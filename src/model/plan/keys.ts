import { hashOf } from "../../hash/manifest.js";
import type { Image, Spec } from "../../spec/types.js";

/** Where generated scripts live, relative to the repository root. */
export const SCRIPTS_DIR = ".circleci/gen-circle";
/** State the scripts keep on the CI machine (hash files, cache archives). */
export const STATE = "/tmp/gen-circle";
export const RESULTS_DIR = "test-results";
export const ARTIFACTS_DIR = "artifacts";

// Cache keys carry no {{ arch }}: on CircleCI it includes the CPU model, so two jobs of one workflow
// on different hosts get different keys. The machine file (`uname -s -m`, written by image.sh key)
// keeps archives of one architecture together. Ids are [a-z][a-z0-9_-]*, so the "." after the
// version keeps the marker and service keys from ever starting with an image's key prefix.
export const MACHINE = `{{ checksum "${STATE}/hash/machine" }}`;
export const hashSum = (id: string) => `{{ checksum "${STATE}/hash/${id}" }}`;
export const imageKeyPrefix = (spec: Spec, id: string) => `gen-circle-v${spec.cache.version}-${id}-${MACHINE}-`;
export const imageKey = (spec: Spec, id: string) => `${imageKeyPrefix(spec, id)}${hashSum(id)}`;
/**
 * The key an archive is saved under: its hash's key and a generation (image.sh writes `.gen`: 0,
 * or a new value when the archive restored for this very hash went unused and a fresh one is
 * saved). Restoring by the hash's key as a prefix takes the newest generation: CircleCI restores
 * the most recent match, even where a key matches exactly.
 */
export const imageSaveKey = (spec: Spec, id: string) => `${imageKey(spec, id)}-{{ checksum "${STATE}/hash/${id}.gen" }}`;
export const builtKey = (spec: Spec, id: string) => `gen-circle-v${spec.cache.version}.built-${id}-${MACHINE}-${hashSum(id)}`;
export const serviceCacheDir = (image: string) => `${STATE}/services/${hashOf(image).slice(0, 12)}`;

/** Cache keys and folders of the services that keep their image in CircleCI's cache. */
export function serviceCaches(spec: Spec, images: Image[]): { image: string; key: string; dir: string }[] {
  const out = new Map<string, { image: string; key: string; dir: string }>();
  for (const img of images)
    for (const s of img.services)
      if (s.cache) {
        const key = `gen-circle-v${spec.cache.version}.service-${MACHINE}-${hashOf(s.image).slice(0, 12)}`;
        out.set(key, { image: s.image, key, dir: serviceCacheDir(s.image) });
      }
  return [...out.values()];
}
