import { describe, expect, it } from "@effect/vitest"
import { incidentSeverity } from "../../src/stix/Severity.js"

describe("incidentSeverity", () => {
  it.each([[2, "low"], [5, "medium"], [20, "high"], [25, "critical"], [26, "critical"], [30, "critical"]] as const)(
    "documented code %d is %s, with nothing to report",
    (code, severity) => {
      expect(incidentSeverity(code)).toStrictEqual({ severity, note: undefined })
    }
  )

  it.each(
    [[99, "critical"], [27, "critical"], [25.5, "critical"], [24, "high"], [10, "medium"], [1, "low"], [0, "low"], [
      -3,
      "low"
    ]] as const
  )("unknown code %d maps to %s by threshold and is reported", (code, severity) => {
    expect(incidentSeverity(code)).toStrictEqual({ severity, note: `unknown severity ${code} mapped to ${severity}` })
  })

  it("reports a record without severity", () => {
    expect(incidentSeverity(undefined)).toStrictEqual({ severity: undefined, note: "record has no severity" })
  })
})
