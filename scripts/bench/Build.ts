/**
 * The benchmark measures what ships: `dist/`, rebuilt first when it is missing or older than the sources.
 */
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"

const newestModification = (path: string): number => {
  const info = statSync(path)
  if (!info.isDirectory()) return info.mtimeMs
  let newest = info.mtimeMs
  for (const name of readdirSync(path)) newest = Math.max(newest, newestModification(join(path, name)))
  return newest
}

/** Runs `npm run build` unless `dist/main.js` is newer than everything it is built from. */
export const ensureBuilt = (root: string, log: (line: string) => void): void => {
  const binary = join(root, "dist", "main.js")
  const inputs = ["src", "package.json", "tsconfig.json", "tsconfig.build.json"].map((name) => join(root, name))
  const sources = Math.max(...inputs.filter(existsSync).map(newestModification))
  if (existsSync(binary) && statSync(binary).mtimeMs >= sources) return
  log(existsSync(binary) ? "dist/ is older than src/: npm run build" : "dist/ is missing: npm run build")
  const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" })
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status ?? build.signal})`)
}
