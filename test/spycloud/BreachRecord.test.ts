import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { decodeBreachRecord, decodeFailureReason } from "../../src/spycloud/BreachRecord.js"

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

/** `{a: {a: ... "x"}}`, `depth` levels: about 6 KB of JSON at 3,000 levels. */
const nested = (depth: number): unknown => {
  let value: unknown = "x"
  for (let level = 0; level < depth; level++) value = { a: value }
  return value
}

const reasonOf = (input: unknown): string => {
  const decoded = decodeBreachRecord(input)
  if (Either.isRight(decoded)) throw new Error("expected the record to be rejected")
  return decodeFailureReason(input, decoded.left)
}

describe("decodeFailureReason", () => {
  it("describes a deeply nested value by its first level instead of overflowing the stack", () => {
    for (const depth of [3_000, 100_000]) {
      expect(reasonOf({ ...RECORD, document_id: nested(depth) })).toBe(
        "document_id: expected string, got an object with 1 key"
      )
      expect(reasonOf({ ...RECORD, source_id: nested(depth) })).toMatch(/^source_id: .*got an object with 1 key$/)
      expect(reasonOf({ ...RECORD, severity: [nested(depth)] })).toMatch(/^severity: .*got a list of 1 item$/)
    }
  })

  it("names the field and bounds the value it quotes", () => {
    const { document_id: _, ...withoutId } = RECORD
    expect(reasonOf(withoutId)).toBe("document_id: is missing")
    expect(reasonOf({ ...RECORD, spycloud_publish_date: "yesterday" }))
      .toBe(`spycloud_publish_date: expected an ISO-8601 date or date-time, got "yesterday"`)
    const long = reasonOf({ ...RECORD, spycloud_publish_date: "y".repeat(1_000_000) })
    expect(long.length).toBeLessThan(300)
    expect(long).toContain("999920 more characters")
    expect(reasonOf({ ...RECORD, severity: "high" })).toMatch(/^severity: .*got "high"$/)
  })
})
