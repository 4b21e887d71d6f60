import type { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as DirectorySink from "../../src/importer/DirectorySink.js"
import type { StixBundle } from "../../src/stix/StixObject.js"

const bundle = (n: number): StixBundle => ({
  type: "bundle",
  id: `bundle--00000000-0000-4000-8000-00000000000${n}`,
  objects: [{ type: "identity", id: "identity--115e787b-4b83-59ef-b350-aeb7b1736c74", name: "SpyCloud" }]
})

const options = (directory: string, retentionDays = 7): DirectorySink.DirectorySinkOptions => ({
  directory,
  connector: { id: "c0ffee00-0000-4000-8000-000000000001", name: "SpyCloud Test", scope: "spycloud" },
  applicantId: Option.none(),
  retentionDays
})

const run = <A, E>(effect: Effect.Effect<A, E, FileSystem.FileSystem>) =>
  effect.pipe(Effect.provide(NodeFileSystem.layer))

describe("DirectorySink", () => {
  it.live("writes pycti's DIRECTORY_BUNDLE envelope under pycti's file names, never two with the same name", () =>
    run(Effect.gen(function*() {
      const directory = join(mkdtempSync(join(tmpdir(), "bundles-")), "out")
      const sink = yield* DirectorySink.make(options(directory))
      for (let i = 0; i < 5; i++) yield* sink.send(bundle(i), Option.none())
      const files = readdirSync(directory).sort()
      expect(files).toHaveLength(5)
      for (const file of files) expect(file).toMatch(/^spycloud_test-\d{8}-\d{6}-\d+\.\d{6}\.json$/)
      const envelope = JSON.parse(readFileSync(join(directory, files[0]!), "utf8"))
      expect(envelope).toEqual({
        bundle_type: "DIRECTORY_BUNDLE",
        applicant_id: null,
        connector: {
          id: "c0ffee00-0000-4000-8000-000000000001",
          name: "SpyCloud Test",
          type: "EXTERNAL_IMPORT",
          scope: "spycloud",
          auto: false,
          validate_before_import: false
        },
        entities_types: [],
        bundle: bundle(0),
        update: false
      })
    })))

  it.live("takes several bundles at once, each complete under its own name", () =>
    run(Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "bundles-"))
      const sink = yield* DirectorySink.make(options(directory))
      const concurrency = sink.concurrentSends ?? 1
      expect(concurrency).toBeGreaterThan(1)
      yield* Effect.forEach([0, 1, 2, 3, 4, 5], (n) => sink.send(bundle(n), Option.none()), { concurrency })
      const files = readdirSync(directory).sort()
      expect(files).toHaveLength(6)
      const written = files.map((file) =>
        (JSON.parse(readFileSync(join(directory, file), "utf8")) as {
          bundle: StixBundle
        }).bundle.id
      )
      // File names follow the order the bundles were handed over.
      expect(written).toEqual([0, 1, 2, 3, 4, 5].map((n) => bundle(n).id))
    })))

  it.live("writes the file as UTF-8: Latin-1, other scripts, emoji and lone control characters survive", () =>
    run(Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "bundles-"))
      const sink = yield* DirectorySink.make(options(directory))
      const name = "José Müller — 山田太郎 🔑 \u0007 \"quoted\" \\ back"
      const unicode: StixBundle = { ...bundle(1), objects: [{ ...bundle(1).objects[0]!, name }] }
      yield* sink.send(unicode, Option.none())
      const [file] = readdirSync(directory).filter((entry) => entry.endsWith(".json"))
      const bytes = readFileSync(join(directory, file!))
      expect(new TextDecoder("utf-8", { fatal: true }).decode(bytes)).toContain("José Müller — 山田太郎 🔑")
      expect(JSON.parse(bytes.toString("utf8")).bundle.objects[0].name).toBe(name)
    })))

  it.live("removes its own bundle files older than the retention, and nothing else", () =>
    run(Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "bundles-"))
      const old = join(directory, "spycloud_test-20200101-000000-1577836800.000000.json")
      const recent = join(directory, "spycloud_test-20200102-000000-1577923200.000000.json")
      const foreign = join(directory, "other-20200101-000000-1577836800.000000.json")
      const state = join(directory, ".spycloud-connector-state.json")
      for (const file of [old, recent, foreign, state]) writeFileSync(file, "{}")
      const eightDaysAgo = (Date.now() - 8 * 86_400_000) / 1000
      for (const file of [old, foreign, state]) utimesSync(file, eightDaysAgo, eightDaysAgo)
      yield* DirectorySink.make(options(directory, 7))
      expect(readdirSync(directory).sort()).toEqual(
        [
          ".spycloud-connector-state.json",
          "other-20200101-000000-1577836800.000000.json",
          "spycloud_test-20200102-000000-1577923200.000000.json"
        ]
      )
    })))

  it.live("retention 0 keeps every file", () =>
    run(Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "bundles-"))
      const old = join(directory, "spycloud_test-20200101-000000-1577836800.000000.json")
      writeFileSync(old, "{}")
      utimesSync(old, 0, 0)
      yield* DirectorySink.make(options(directory, 0))
      expect(readdirSync(directory)).toEqual(["spycloud_test-20200101-000000-1577836800.000000.json"])
    })))

  it.live("matches the exact bundle-file pattern: a file merely starting like one is kept", () =>
    run(Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "bundles-"))
      const keep = [
        "spycloud_test-20200101-000000-1577836800.000000.json.keep-me.json",
        "spycloud_test-20200101-000000-1577836800.1.json",
        "spycloud_test-20200101-000000-1577836800.000000.json.bak"
      ]
      const removed = [
        "spycloud_test-20200101-000000-1577836800.000000.json",
        "spycloud_test-20200101-000000-1.000000.json.tmp"
      ]
      for (const name of [...keep, ...removed]) {
        writeFileSync(join(directory, name), "{}")
        utimesSync(join(directory, name), 0, 0)
      }
      yield* DirectorySink.make(options(directory, 7))
      expect(readdirSync(directory).sort()).toEqual([...keep].sort())
    })))

  it.live("creates its folder 0700 and its files 0600 under umask 022", () =>
    run(Effect.gen(function*() {
      const previous = process.umask(0o022)
      try {
        const directory = join(mkdtempSync(join(tmpdir(), "bundles-")), "new", "out")
        const sink = yield* DirectorySink.make(options(directory))
        yield* sink.send(bundle(1), Option.none())
        expect(statSync(directory).mode & 0o777).toBe(0o700)
        for (const file of readdirSync(directory)) expect(statSync(join(directory, file)).mode & 0o777).toBe(0o600)
      } finally {
        process.umask(previous)
      }
    })))
})
