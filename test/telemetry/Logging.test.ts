import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { registerSecrets } from "../../src/lib/SecretScrubber.js"
import * as Logging from "../../src/telemetry/Logging.js"

const capture = (
  options: { json: boolean; level: "debug" | "info" | "warning" | "error" },
  program: Effect.Effect<void>
) => {
  const lines: Array<string> = []
  Effect.runSync(
    program.pipe(Effect.provide(Logging.layer({ name: "SpyCloud", ...options, write: (line) => lines.push(line) })))
  )
  return lines
}

describe("Logging", () => {
  it("writes pycti's JSON lines: timestamp, level, name, message, attributes", () => {
    const [line] = capture(
      { json: true, level: "info" },
      Effect.logInfo("Initiate work", { work_id: "w-1", records: 3 }).pipe(Effect.annotateLogs("pass", 2))
    )
    const entry = JSON.parse(line!)
    expect(Object.keys(entry)).toEqual(["timestamp", "level", "name", "message", "attributes"])
    expect(entry.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    expect(entry).toMatchObject({
      level: "INFO",
      name: "SpyCloud",
      message: "Initiate work",
      attributes: { pass: 2, work_id: "w-1", records: 3 }
    })
  })

  it("writes LEVEL:name:message text with the attributes when JSON logging is off", () => {
    const lines = capture({ json: false, level: "debug" }, Effect.logWarning("Window split", { window: "2024-01-01" }))
    expect(lines).toEqual(["WARNING:SpyCloud:Window split (window=2024-01-01)\n"])
  })

  it("drops lines below the configured level", () => {
    const lines = capture(
      { json: true, level: "warning" },
      Effect.all([Effect.logDebug("d"), Effect.logInfo("i"), Effect.logWarning("w"), Effect.logError("e")])
    )
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(["WARNING", "ERROR"])
  })

  it("escapes control characters in text logs, so a value cannot forge a line", () => {
    const lines = capture(
      { json: false, level: "info" },
      Effect.logInfo("Skipped record", { document_id: "a\nERROR:SpyCloud:forged\u001b[2J" })
    )
    expect(lines).toEqual(["INFO:SpyCloud:Skipped record (document_id=a\\nERROR:SpyCloud:forged\\u001b[2J)\n"])
  })

  it("bounds long and deeply nested attributes", () => {
    let deep: unknown = "x"
    for (let level = 0; level < 100_000; level++) deep = { a: deep }
    const lines = capture({ json: true, level: "info" }, Effect.logInfo("Big", { long: "y".repeat(100_000), deep }))
    expect(lines[0]!.length).toBeLessThan(10_000)
    expect(JSON.parse(lines[0]!).attributes.deep).toBe("an object with 1 key")
  })

  it("scrubs every registered secret and visible credentials from both formats", () => {
    registerSecrets("LogSecret-31", "quo\"te-Secret")
    for (const json of [true, false]) {
      const text = capture(
        { json, level: "info" },
        Effect.logInfo("echo LogSecret-31", { body: "quo\"te-Secret", url: "https://u:UrlPass9@h.example/" })
      ).join("")
      expect(text).not.toContain("LogSecret-31")
      expect(text).not.toContain("te-Secret")
      expect(text).not.toContain("UrlPass9")
    }
  })
})
