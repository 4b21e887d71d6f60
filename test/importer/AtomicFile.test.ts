import { NodeFileSystem } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { writeFileAtomically } from "../../src/importer/AtomicFile.js"

const write = (path: string, content: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => writeFileAtomically(fs, path, content)).pipe(
    Effect.provide(NodeFileSystem.layer)
  )

describe("writeFileAtomically", () => {
  it.effect("creates the file 0600 under umask 022, and a stricter umask stays stricter", () =>
    Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "atomic-"))
      const previous = process.umask(0o022)
      try {
        yield* write(join(directory, "a.json"), "{}")
        expect(statSync(join(directory, "a.json")).mode & 0o777).toBe(0o600)
        process.umask(0o077)
        yield* write(join(directory, "b.json"), "{}")
        expect(statSync(join(directory, "b.json")).mode & 0o777).toBe(0o600)
        process.umask(0o277)
        yield* write(join(directory, "c.json"), "{}")
        expect(statSync(join(directory, "c.json")).mode & 0o777).toBe(0o400)
      } finally {
        process.umask(previous)
      }
    }))

  it.effect("does not follow a symbolic link planted at the temporary name or at the file's name", () =>
    Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "atomic-"))
      const victim = join(directory, "victim.txt")
      writeFileSync(victim, "untouched")
      const path = join(directory, "state.json")
      symlinkSync(victim, `${path}.tmp`)
      yield* write(path, "first")
      expect(readFileSync(victim, "utf8")).toBe("untouched")
      expect(readFileSync(path, "utf8")).toBe("first")
      // A link at the final name is replaced, not written through.
      const other = join(directory, "other.json")
      symlinkSync(victim, other)
      yield* write(other, "second")
      expect(readFileSync(victim, "utf8")).toBe("untouched")
      expect(lstatSync(other).isSymbolicLink()).toBe(false)
      expect(readFileSync(other, "utf8")).toBe("second")
    }))
})
