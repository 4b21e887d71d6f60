import type { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as FileState from "../../src/importer/FileState.js"

const tempFile = () => join(mkdtempSync(join(tmpdir(), "state-")), "nested", "state.json")
const run = <A, E>(effect: Effect.Effect<A, E, FileSystem.FileSystem>) =>
  effect.pipe(Effect.provide(NodeFileSystem.layer))

describe("FileState", () => {
  it.effect("has no state before the first save, then keeps what was saved across instances", () =>
    run(Effect.gen(function*() {
      const path = tempFile()
      const first = yield* FileState.make(path)
      expect(yield* first.get).toEqual(Option.none())
      yield* first.set({ last_import_date: "2024-12-04T00:00:00+00:00" })
      expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ last_import_date: "2024-12-04T00:00:00+00:00" })
      expect(existsSync(`${path}.tmp`)).toBe(false)
      const second = yield* FileState.make(path)
      expect(yield* second.get).toEqual(Option.some({ last_import_date: "2024-12-04T00:00:00+00:00" }))
    })))

  it.effect("reads a state written by the official connector (pycti's JSON)", () =>
    run(Effect.gen(function*() {
      const path = tempFile().replace("/nested", "")
      writeFileSync(path, "{\"email_last_import_date\": \"2024-11-30T00:00:00+00:00\", \"other\": 1}")
      const state = yield* FileState.make(path)
      expect(yield* state.get).toEqual(Option.some({ email_last_import_date: "2024-11-30T00:00:00+00:00", other: 1 }))
    })))

  it.effect("a corrupt file is a clear error, never an empty state", () =>
    run(Effect.gen(function*() {
      for (const content of ["{\"last_import_date\": ", "[1, 2]", "42"]) {
        const path = tempFile().replace("/nested", "")
        writeFileSync(path, content)
        const state = yield* FileState.make(path)
        const result = yield* Effect.either(state.get)
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) {
          expect(result.left.message).toContain(path)
          expect(result.left.message).toContain("delete it to start again from SPYCLOUD_IMPORT_START_DATE")
        }
      }
    })))

  it.effect("a file holding null is no state", () =>
    run(Effect.gen(function*() {
      const path = tempFile().replace("/nested", "")
      writeFileSync(path, "null")
      expect(yield* (yield* FileState.make(path)).get).toEqual(Option.none())
    })))
})
