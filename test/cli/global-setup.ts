import { ensureFreshBuild } from "../build-fresh.js";

/** The CLI tests run bin/gen-circle.js, which runs dist/: built again when its sources changed. */
export default function setup(): void {
  ensureFreshBuild();
}
