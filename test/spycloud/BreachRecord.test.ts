import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { decodeBreachRecord } from "../../src/spycloud/BreachRecord.js"

const RECORD = {
  document_id: "0b5a1b2c-3d4e-4f60-8a7b-9c0d1e2f3a4b",
  source_id: 50001,
  spycloud_publish_date: "2024-11-30T00:00:00Z",
  severity: 20,
  email: "zoe@example.com",
  ip_addresses: ["10.0.0.1"],
  x_unknown: { nested: true }
}

describe("decodeBreachRecord", () => {
  it("keeps every field as sent when the known ones are already in their decoded form", () => {
    expect(Either.getOrThrow(decodeBreachRecord(RECORD))).toEqual(RECORD)
    const { severity: _, ...withoutSeverity } = RECORD
    const decoded = Either.getOrThrow(decodeBreachRecord(withoutSeverity))
    expect(decoded).toEqual(withoutSeverity)
    expect("severity" in decoded).toBe(false)
  })

  it("converts a severity sent as text and keeps the other fields", () => {
    const decoded = Either.getOrThrow(decodeBreachRecord({ ...RECORD, severity: " 25 " }))
    expect(decoded).toEqual({ ...RECORD, severity: 25 })
  })

  it("rejects a record without a usable publish date, also right after one with a valid date", () => {
    expect(Either.isRight(decodeBreachRecord(RECORD))).toBe(true)
    expect(Either.isLeft(decodeBreachRecord({ ...RECORD, spycloud_publish_date: "2024-02-30" }))).toBe(true)
    expect(Either.isLeft(decodeBreachRecord({ ...RECORD, spycloud_publish_date: "yesterday" }))).toBe(true)
    expect(Either.isRight(decodeBreachRecord(RECORD))).toBe(true)
  })
})
