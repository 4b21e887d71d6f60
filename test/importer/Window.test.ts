import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { dayOf } from "../../src/importer/Days.js"
import { describeWindow, toQuery, type WindowSpec } from "../../src/importer/Window.js"

const day = (text: string) => dayOf(Date.parse(`${text}T00:00:00Z`))

const window: WindowSpec = {
  field: "publish",
  watchlistType: Option.some("email"),
  first: day("2024-01-01"),
  last: day("2024-01-31"),
  until: Option.none(),
  severity: [20, 25],
  splittable: true
}

describe("Window", () => {
  it("queries whole days: since its first day, until 23:59:59 of its last, whatever until's inclusivity", () => {
    expect(toQuery(window)).toEqual({
      dateField: "publish",
      since: "2024-01-01",
      until: Option.some("2024-01-31T23:59:59Z"),
      severity: [20, 25],
      watchlistType: Option.some("email")
    })
  })

  it("the newest window reads up to a date-time (now − lag)", () => {
    const newest = {
      ...window,
      first: day("2024-02-01"),
      last: day("2024-02-01"),
      until: Option.some(Date.parse("2024-02-01T10:45:30.250Z"))
    }
    expect(toQuery(newest).until).toEqual(Option.some("2024-02-01T10:45:30Z"))
  })

  it("describes itself for logs and failure reasons", () => {
    expect(describeWindow(window)).toBe("published 2024-01-01..2024-01-31 email severity 20,25")
    expect(
      describeWindow({
        ...window,
        field: "modification",
        last: window.first,
        watchlistType: Option.none(),
        severity: []
      })
    )
      .toBe("modified 2024-01-01")
    const others = Array.from({ length: 100 }, (_, code) => code).filter((code) => code % 5 !== 0)
    expect(describeWindow({ ...window, severity: others })).toBe(
      "published 2024-01-01..2024-01-31 email severity 80 codes from 1 to 99"
    )
  })
})
