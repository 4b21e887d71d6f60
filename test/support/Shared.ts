/**
 * `../shared` (reference schemas beside the repository) is always present in CI and usually absent in a
 * user's fresh clone. Tests that need it use `describeWithShared`: skipped, with a printed reason, when
 * it is absent; in CI (CI=true) its absence is an error, so those tests can never silently vanish there.
 */
import { existsSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe } from "vitest"

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
export const SHARED_DIR = process.env.SHARED_DIR ?? resolve(REPO_ROOT, "../shared")
export const sharedAvailable = existsSync(resolve(SHARED_DIR, "docs"))

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

export const sharedPath = (...parts: Array<string>) => resolve(SHARED_DIR, ...parts)
