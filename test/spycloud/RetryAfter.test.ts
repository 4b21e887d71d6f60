import { describe, expect, it } from "@effect/vitest"
import { Duration, Option } from "effect"
import { parseRetryAfter } from "../../src/spycloud/RetryAfter.js"

const NOW = Date.UTC(2025, 2, 10, 8, 0, 0)
const millis = (value: string | undefined) => Option.map(parseRetryAfter(value, NOW), Duration.toMillis)

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(millis("0")).toEqual(Option.some(0))
    expect(millis(" 12 ")).toEqual(Option.some(12_000))
  })

  it("reads an HTTP date relative to now, a past date meaning now", () => {
    expect(millis("Mon, 10 Mar 2025 08:00:30 GMT")).toEqual(Option.some(30_000))
    expect(millis(new Date(NOW + 90_000).toUTCString())).toEqual(Option.some(90_000))
    expect(millis("Mon, 10 Mar 2025 07:00:00 GMT")).toEqual(Option.some(0))
  })

  it("ignores what it cannot read", () => {
    expect(millis(undefined)).toEqual(Option.none())
    expect(millis("")).toEqual(Option.none())
    expect(millis("-5")).toEqual(Option.none())
    expect(millis("1.5")).toEqual(Option.none())
    expect(millis("soon")).toEqual(Option.none())
  })
})
