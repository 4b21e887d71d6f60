import { describe, expect, it } from "@effect/vitest"
import { Either, Option } from "effect"
import { checkpointKey, readCheckpoint, withCheckpoint } from "../../src/importer/Checkpoints.js"
import { checkpointText, dayOf, dayText, instantText } from "../../src/importer/Days.js"

describe("checkpoints", () => {
  it("uses the official connector's keys for publish dates, and the same pattern for modification dates", () => {
    expect(checkpointKey("publish", Option.none())).toBe("last_import_date")
    expect(checkpointKey("publish", Option.some("email"))).toBe("email_last_import_date")
    expect(checkpointKey("modification", Option.none())).toBe("last_modification_date")
    expect(checkpointKey("modification", Option.some("subdomain"))).toBe("subdomain_last_modification_date")
  })

  it("reads the values Python's isoformat() writes, and writes them the same way", () => {
    const day = dayOf(Date.parse("2024-12-04T00:00:00Z"))
    for (
      const value of [
        "2024-12-04T00:00:00+00:00",
        "2024-12-04T13:45:10.123456+00:00",
        "2024-12-04",
        "2024-12-04T00:00:00Z"
      ]
    ) {
      expect(readCheckpoint({ last_import_date: value }, "last_import_date")).toEqual(Either.right(Option.some(day)))
    }
    expect(readCheckpoint({}, "last_import_date")).toEqual(Either.right(Option.none()))
    expect(withCheckpoint({ other: 1 }, "email_last_import_date", day)).toEqual({
      other: 1,
      email_last_import_date: "2024-12-04T00:00:00+00:00"
    })
    expect(checkpointText(day)).toBe("2024-12-04T00:00:00+00:00")
  })

  it("refuses a value that is not a date instead of starting over", () => {
    const result = readCheckpoint({ last_import_date: "yesterday" }, "last_import_date")
    expect(Either.isLeft(result)).toBe(true)
    expect(Either.getLeft(result).pipe(Option.getOrThrow)).toContain("state key \"last_import_date\"")
  })

  it("formats days and instants as SpyCloud's since/until accept them", () => {
    expect(dayText(dayOf(Date.parse("2024-02-29T23:59:59Z")))).toBe("2024-02-29")
    expect(instantText(Date.parse("2024-02-29T23:59:59.999Z"))).toBe("2024-02-29T23:59:59Z")
  })
})
