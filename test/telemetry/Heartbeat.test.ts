import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { beat } from "../../src/telemetry/Heartbeat.js"

describe("Heartbeat", () => {
  it.effect("writes the time 0600 and never through a symbolic link, at its name or its temporary name", () =>
    Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "heartbeat-"))
      const victim = join(directory, "victim")
      writeFileSync(victim, "untouched")
      const path = join(directory, "spycloud-connector.alive")
      symlinkSync(victim, path)
      symlinkSync(victim, `${path}.${process.pid}.tmp`)
      yield* beat(path)
      expect(readFileSync(victim, "utf8")).toBe("untouched")
      expect(lstatSync(path).isSymbolicLink()).toBe(false)
      expect(readFileSync(path, "utf8")).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z\n$/)
      expect(statSync(path).mode & 0o777).toBe(0o600)
    }))
})
