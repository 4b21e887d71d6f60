/** Builds dist/ when it is missing or older than a file under src/ (for the demo and the benchmark). */
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const ROOT = resolve(fileURLToPath(import.meta.url), "../..")
export const BINARY = join(ROOT, "dist", "main.js")

const newestSource = (directory: string): number =>
  readdirSync(directory, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(directory, entry.name)
    return Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }, 0)

export const ensureBuilt = (): void => {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestSource(join(ROOT, "src"))) return
  process.stdout.write("Building the connector (npm run build)...\n")
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" })
}
