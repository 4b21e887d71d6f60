import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { dependencyProblems, packageOf, runtimeImports, runtimeSpecifiers } from "../../scripts/check-dependencies.js"
import { REPO_ROOT } from "../support/Shared.js"

const SCRIPT = resolve(REPO_ROOT, "scripts/check-dependencies.ts")
const MANIFEST = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}

const check = (...args: Array<string>) =>
  spawnSync(process.execPath, ["--import", "tsx", SCRIPT, ...args], { cwd: REPO_ROOT, encoding: "utf8" })

/** A copy of package.json without one of its dependencies. */
const manifestWithout = (name: string): string => {
  const { [name]: _removed, ...dependencies } = MANIFEST.dependencies
  const path = join(mkdtempSync(join(tmpdir(), "manifest-")), "package.json")
  writeFileSync(path, JSON.stringify({ ...MANIFEST, dependencies }, null, 2))
  return path
}

describe("scripts/check-dependencies.ts", () => {
  it("passes on this repository: everything production code imports is a dependency", () => {
    const result = check()
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/The \d+ packages src\/ and dist\/ import at run time are all in dependencies/)
  })

  it("fails naming the package and the files when canonicalize is not a dependency", () => {
    const result = check("--package-json", manifestWithout("canonicalize"))
    expect(result.status).toBe(1)
    expect(result.stderr).toContain("canonicalize is imported at run time by src/opencti/OpenCtiState.ts")
    // `npm test` builds first: the compiled file is checked as well.
    if (existsSync(join(REPO_ROOT, "dist"))) expect(result.stderr).toContain("dist/opencti/OpenCtiState.js")
  })

  it("catches the removal of any dependency production code imports", () => {
    const imported = [...runtimeImports().keys()]
    expect(imported).toEqual(expect.arrayContaining(["effect", "amqplib", "@effect/platform", "canonicalize"]))
    for (const name of imported) {
      expect(dependencyProblems(REPO_ROOT, manifestWithout(name)).join("\n")).toContain(`${name} is imported`)
    }
  })

  it("says when the package is only a devDependency", () => {
    const path = manifestWithout("yaml")
    const manifest = JSON.parse(readFileSync(path, "utf8"))
    writeFileSync(path, JSON.stringify({ ...manifest, devDependencies: { ...manifest.devDependencies, yaml: "2" } }))
    expect(dependencyProblems(REPO_ROOT, path)).toEqual([
      expect.stringMatching(/^yaml is imported at run time by src\/.+ but is only in devDependencies$/)
    ])
  })

  it("maps specifiers to packages: subpaths and scopes, builtins and relative files excluded", () => {
    expect(packageOf("effect/MetricPair")).toBe("effect")
    expect(packageOf("@effect/platform/HttpClient")).toBe("@effect/platform")
    expect(packageOf("@effect/cli")).toBe("@effect/cli")
    expect(packageOf("node:fs/promises")).toBeUndefined()
    expect(packageOf("fs")).toBeUndefined()
    expect(packageOf("./Settings.js")).toBeUndefined()
    expect(packageOf("#internal")).toBeUndefined()
  })

  it("counts imports that load code and ignores type-only ones", () => {
    const text = [
      "import type { A } from \"type-only\"",
      "export type { B } from \"type-only-export\"",
      "import { type C } from \"kept-by-verbatim-module-syntax\"",
      "import {",
      "  d,",
      "  e",
      "} from \"multi-line\"",
      "import \"side-effect\"",
      "export * from \"re-export\"",
      "const f = await import(\"dynamic\")",
      "const g = require(\"required\")"
    ].join("\n")
    expect(runtimeSpecifiers("example.ts", text)).toEqual([
      "kept-by-verbatim-module-syntax",
      "multi-line",
      "side-effect",
      "re-export",
      "dynamic",
      "required"
    ])
  })
})
