import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
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
})
