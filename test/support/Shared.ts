/**
 * `../shared` (reference schemas beside the repository) is always present in CI and usually absent in a
 * user's fresh clone. Tests that need it use `describeWithShared`: skipped, with a printed reason, when
 * it is absent; in CI (CI=true) its absence is an error, so those tests can never silently vanish there.
 */
import { describe } from "vitest"
import { SHARED_DIR, sharedAvailable } from "./SharedPaths.js"

export { REPO_ROOT, SHARED_DIR, sharedAvailable, sharedPath } from "./SharedPaths.js"

if (!sharedAvailable && process.env.CI === "true") {
  throw new Error(`CI=true but the reference folder ${SHARED_DIR} is missing; it must sit beside the repository`)
}

let warned = false
/** `describe`, or a skipped `describe` with a clear message when ../shared is absent. */
export const describeWithShared = (name: string, body: () => void) => {
  if (sharedAvailable) return describe(name, body)
  if (!warned) {
    warned = true
    process.stderr.write(`[skip] ${SHARED_DIR} not found: tests that need ../shared are skipped\n`)
  }
  return describe.skip(`${name} (skipped: ../shared not found beside the repository)`, body)
}
