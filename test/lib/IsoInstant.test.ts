import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { isoTimestamp, parseIsoInstant } from "../../src/lib/IsoInstant.js"

const reference = (text: string) => parseIsoInstant(text)?.toISOString()

const digits = (count: number) =>
  FastCheck.array(FastCheck.constantFrom(..."0123456789"), { minLength: count, maxLength: count }).map((d) =>
    d.join("")
  )

/** Texts shaped like a canonical UTC instant, with any digits (so also month 13, February 30, hour 24). */
const canonicalShaped = FastCheck.tuple(
  FastCheck.oneof(digits(4), FastCheck.constantFrom("2024", "2023", "1900", "2000", "1000", "0999", "0004")),
  FastCheck.oneof(digits(2), FastCheck.constantFrom("01", "02", "12", "13", "00")),
  FastCheck.oneof(digits(2), FastCheck.constantFrom("28", "29", "30", "31", "00")),
  FastCheck.oneof(digits(2), FastCheck.constantFrom("00", "23", "24")),
  FastCheck.oneof(digits(2), FastCheck.constantFrom("00", "59", "60")),
  FastCheck.oneof(digits(2), FastCheck.constantFrom("00", "59", "60")),
  FastCheck.constantFrom("", ".000", ".123", ".5", ".1234", ".12"),
  FastCheck.constantFrom("Z", "z", "+00:00", "+0200", "", " Z"),
  FastCheck.constantFrom("T", "t", " ", "_")
).map(([y, mo, d, h, mi, s, fraction, zone, t]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${fraction}${zone}`)

describe("isoTimestamp", () => {
  it.each([
    ["2024-11-30T13:45:10Z", "2024-11-30T13:45:10.000Z"],
    ["2024-11-30T13:45:10.250Z", "2024-11-30T13:45:10.250Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["2023-02-29T00:00:00Z", undefined],
    ["2024-11-30T24:00:00Z", undefined],
    ["2024-11-30", "2024-11-30T00:00:00.000Z"],
    [" 2024-11-30T13:45:10Z ", "2024-11-30T13:45:10.000Z"],
    ["2024-11-30T13:45:10+02:00", "2024-11-30T11:45:10.000Z"],
    ["not a date", undefined]
  ])("%j is %j", (text, expected) => {
    expect(isoTimestamp(text)).toBe(expected)
  })

  it("agrees with parseIsoInstant and toISOString on canonical-looking texts", () => {
    FastCheck.assert(FastCheck.property(canonicalShaped, (text) => isoTimestamp(text) === reference(text)), {
      numRuns: 20_000
    })
  })

  it("agrees with parseIsoInstant and toISOString on any text", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.string({ unit: "binary", maxLength: 30 }),
        (text) => isoTimestamp(text) === reference(text)
      ),
      { numRuns: 2_000 }
    )
  })

  it("agrees on every second of a leap day and a year's month ends", () => {
    for (
      const day of ["2024-02-28", "2024-02-29", "2024-03-01", "2100-02-29", "2000-02-29", "2023-04-31", "2023-12-31"]
    ) {
      for (const time of ["00:00:00", "23:59:59", "12:30:00"]) {
        for (const fraction of ["", ".999"]) {
          const text = `${day}T${time}${fraction}Z`
          expect(isoTimestamp(text)).toBe(reference(text))
        }
      }
    }
  })
})
