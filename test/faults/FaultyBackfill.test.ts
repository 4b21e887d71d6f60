/**
 * Backfills from 1970 through the faults a real gateway mixes (issue 13) and through days too heavy to read
 * whole, with undocumented severity codes (issue 17): one `once` of the built binary must deliver every
 * valid record. `scripts/fault-runs.ts` prints the request counts and wall times of the same runs.
 */
import { describe, expect, it } from "@effect/vitest"
import { heavyDaysWithUnknownSeverities, mixedFaults, runBackfill } from "../support/FaultyBackfill.js"
import { summaryNumber } from "../support/OfflineRun.js"

describe("backfills through a faulty gateway", () => {
  it.each([11, 12, 13])(
    "504 above 2,000 hits with 5xx, throttling, resets, truncated bodies and lost cursors (seed %i): one once delivers every record",
    async (seed) => {
      const result = await runBackfill(mixedFaults(seed), { faultSeed: seed })
      expect(result.code, result.stderr.split("\n").slice(-5).join("\n")).toBe(0)
      expect(result.faultsInjected).toBeGreaterThan(20)
      expect(result.status504).toBeGreaterThan(0)
      expect(result.missing).toEqual([])
      expect(summaryNumber(result.stdout, "records imported")).toBeGreaterThanOrEqual(result.expected)
    },
    300_000
  )

  it(
    "504 above 2,500 hits on days that must be split, with severities 15, 27 and 40: every record arrives",
    async () => {
      const result = await runBackfill(heavyDaysWithUnknownSeverities(17))
      expect(result.code, result.stderr.split("\n").slice(-5).join("\n")).toBe(0)
      expect(result.status504).toBeGreaterThan(0)
      expect(result.missing).toEqual([])
      expect(result.stdout).toMatch(/by severity .*15: \d+.*27: \d+.*40: \d+/)
    },
    300_000
  )
})
