/**
 * Where the repository and `../shared` (reference schemas beside it) are. Free of vitest, so that scripts
 * (the benchmark, the demo) can use the stand-ins that read `../shared` outside a test run.
 */
import { existsSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
export const SHARED_DIR = process.env.SHARED_DIR ?? resolve(REPO_ROOT, "../shared")
export const sharedAvailable = existsSync(resolve(SHARED_DIR, "docs"))

export const sharedPath = (...parts: Array<string>) => resolve(SHARED_DIR, ...parts)
