import { describe, expect, it } from "@effect/vitest"
import { Duration, Either, Schema } from "effect"
import { IsoDuration, toIsoDuration } from "../../src/config/IsoDuration.js"

const decode = Schema.decodeEither(IsoDuration)

describe("IsoDuration", () => {
  it("reads ISO-8601 durations as pycti does (a year is 365 days, a month 30)", () => {
    const seconds = (text: string) => Duration.toSeconds(Either.getOrThrow(decode(text)))
    expect(seconds("PT5M")).toBe(300)
    expect(seconds("P1D")).toBe(86_400)
    expect(seconds("PT1H30M")).toBe(5_400)
    expect(seconds("P1Y")).toBe(31_536_000)
    expect(seconds("P1M")).toBe(2_592_000)
    expect(seconds("PT0.5S")).toBe(0.5)
    expect(seconds("0")).toBe(0)
  })

  it("rejects negative and non-ISO values with a message saying what is expected", () => {
    for (const text of ["-PT5M", "5m", "PT", "", "1h"]) {
      const result = decode(text)
      expect(Either.isLeft(result)).toBe(true)
    }
  })

  it("prints the shortest ISO form", () => {
    expect(toIsoDuration(Duration.minutes(90))).toBe("PT1H30M")
    expect(toIsoDuration(Duration.days(1))).toBe("P1D")
    expect(toIsoDuration(Duration.millis(500))).toBe("PT0.5S")
    expect(toIsoDuration(Duration.zero)).toBe("0")
    expect(toIsoDuration(Duration.sum(Duration.days(2), Duration.seconds(3)))).toBe("P2DT3S")
  })
})
