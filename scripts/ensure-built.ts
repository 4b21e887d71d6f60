/**
 * The demo and the benchmark run what ships: `dist/`, rebuilt first when it is missing or older than what
 * it is built from.
 */
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const ROOT = resolve(fileURLToPath(import.meta.url), "../..")
export const BINARY = join(ROOT, "dist", "main.js")

const BUILD_INPUTS = ["src", "package.json", "tsconfig.json", "tsconfig.build.json"]

const newestModification = (path: string): number => {
  const info = statSync(path)
  if (!info.isDirectory()) return info.mtimeMs
  let newest = info.mtimeMs
  for (const name of readdirSync(path)) newest = Math.max(newest, newestModification(join(path, name)))
  return newest
}

/** Runs `npm run build` unless `dist/main.js` is newer than everything it is built from. */
export const ensureBuilt = (log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): void => {
  const sources = Math.max(...BUILD_INPUTS.map((name) => join(ROOT, name)).filter(existsSync).map(newestModification))
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= sources) return
  log(existsSync(BINARY) ? "dist/ is older than its sources: npm run build" : "dist/ is missing: npm run build")
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" })
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status ?? build.signal})`)
}
