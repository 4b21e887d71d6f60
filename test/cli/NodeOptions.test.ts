import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { CONNECTOR_NODE_OPTIONS } from "../../src/cli/NodeOptions.js"
import { BINARY } from "../support/Binary.js"
import { REPO_ROOT } from "../support/SharedPaths.js"

const options = CONNECTOR_NODE_OPTIONS.join(" ")

/** Makes many short-lived objects, some surviving a while, as the connector does; prints the largest new space. */
const ALLOCATE = `
const v8 = require("node:v8")
let largest = 0
const kept = []
for (let round = 0; round < 200; round++) {
  const batch = []
  for (let i = 0; i < 50000; i++) batch.push({ i, text: "x" + i })
  kept.push(batch)
  if (kept.length > 20) kept.shift()
  const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space")
  largest = Math.max(largest, young.space_size)
}
process.stdout.write(String(largest / 1048576))
`

describe("the V8 options the connector runs with", () => {
  it("are on the binary's #! line, in the image's ENTRYPOINT and in npm start", () => {
    const [shebang] = readFileSync(BINARY, "utf8").split("\n", 1)
    expect(shebang).toBe(`#!/usr/bin/env -S node ${options}`)
    const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8")
    expect(dockerfile).toContain(`ENTRYPOINT ${JSON.stringify(["node", ...CONNECTOR_NODE_OPTIONS, "dist/main.js"])}`
      .replace(/","/g, "\", \""))
    const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>
    }
    expect(packageJson.scripts.start).toBe(`node ${options} dist/main.js run`)
  })

  it("cap the young generation below what V8 grows it to unasked", () => {
    const semiSpaceMb = Number(/^--max-semi-space-size=(\d+)$/.exec(CONNECTOR_NODE_OPTIONS[0] ?? "")?.[1])
    expect(semiSpaceMb).toBeGreaterThan(0)
    const largestNewSpaceMb = (nodeOptions: ReadonlyArray<string>) =>
      Number(execFileSync(process.execPath, [...nodeOptions, "-e", ALLOCATE], { encoding: "utf8" }))
    // Node 20 reports the young generation as its two semi-spaces (8 against 32 MB here); Node 24's V8 counts
    // more in it (about 25-40 against 128 MB), so the test compares with the uncapped size, not a formula.
    const capped = largestNewSpaceMb(CONNECTOR_NODE_OPTIONS)
    const uncapped = largestNewSpaceMb([])
    expect(capped).toBeLessThan(uncapped / 2)
  })
})
