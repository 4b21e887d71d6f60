/**
 * Fault injection, SpyCloud side (docs/spycloud-api.md, "Errors and status codes" and "Retries and timeouts"): the
 * built binary against a stand-in that misbehaves. Each test checks that nothing is lost: every valid record's
 * incident arrives, or the pass stops with its checkpoint before the unsent data and the next pass delivers the
 * rest.
 */
import { describe, expect, it } from "@effect/vitest"
import { OTHER_SEVERITIES } from "../../src/importer/WindowPlanner.js"
import { runBinary } from "../support/Binary.js"
import {
  expectedIncidents,
  missing,
  occurrences,
  offlineEnv,
  readBundles,
  readState,
  standInsForEachTest,
  summaryNumber,
  tempDirectory,
  watchlistRequests
} from "../support/OfflineRun.js"

const standIn = standInsForEachTest()

describe("SpyCloud failures", () => {
  it("splits windows when SpyCloud answers 504 for large queries, and still delivers everything", async () => {
    const server = await standIn({
      dataset: { records: 8_000, days: 40, seed: 21 },
      faults: { timeoutAboveHits: 1_500 }
    })
    const directory = tempDirectory("once-504")
    const result = await runBinary(["once"], {
      env: offlineEnv(server, directory, { SPYCLOUD_WINDOW_MAX_RECORDS: "100000", SPYCLOUD_MAX_RETRIES: "1" })
    })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/windows\s+\d+\s+\(([1-9]\d*) splits/)
    expect(watchlistRequests(server).some((request) => request.status === 504)).toBe(true)
    expect(missing(expectedIncidents(server), occurrences(readBundles(directory), "incident"))).toEqual([])
  })

  it("delivers everything through random 5xx, throttling with Retry-After, resets, truncated bodies and expired cursors", async () => {
    let expiredCursors = 0
    const server = await standIn({
      dataset: { records: 10_000, days: 30, seed: 31 },
      faults: {
        // Every kind at least once, then at random.
        sequence: [
          "500",
          "ok",
          "502",
          "ok",
          "503",
          "ok",
          "throttle",
          "ok",
          "throttle-date",
          "ok",
          "reset",
          "ok",
          "truncated"
        ],
        when: (context) => context.hasCursor && expiredCursors++ < 2 ? "cursor-expired" : undefined,
        rate: 0.3,
        kinds: ["500", "502", "503", "throttle", "throttle-date", "reset", "truncated", "cursor-expired"],
        maxConsecutive: 2,
        retryAfterSeconds: 1,
        seed: 7
      }
    })
    const directory = tempDirectory("once-faults")
    const result = await runBinary(["once"], { env: offlineEnv(server, directory) })
    expect(result.code, result.stderr).toBe(0)
    const faults = new Set(server.requests().flatMap((request) => request.fault === undefined ? [] : [request.fault]))
    expect(faults.size).toBe(8)
    expect(summaryNumber(result.stdout, "SpyCloud retries")).toBeGreaterThan(0)
    expect(missing(expectedIncidents(server), occurrences(readBundles(directory), "incident"))).toEqual([])
  })

  it("a storm of 504s on every query wider than a day, and on one whole day: windows split down to days, then severities", async () => {
    const server = await standIn({ dataset: { records: 6_000, days: 20, seed: 81 } })
    const stormDay = new Date(Date.parse(`${server.dataset.endDate}T00:00:00Z`) - 5 * 86_400_000).toISOString().slice(
      0,
      10
    )
    server.setFaults({
      when: (context) => {
        if (context.endpoint !== "watchlist" || context.hasCursor) return undefined
        const since = context.query.since ?? ""
        const until = (context.query.until ?? "").slice(0, 10)
        if (since !== until && until !== "") return "504"
        return since === stormDay && context.query.severity === undefined ? "504" : undefined
      }
    })
    const directory = tempDirectory("faults-storm")
    const result = await runBinary(["once"], { env: offlineEnv(server, directory, { SPYCLOUD_MAX_RETRIES: "1" }) })
    expect(result.code, result.stderr).toBe(0)
    const bySeverity = watchlistRequests(server).filter((r) => r.query.since === stormDay && r.status === 200)
    // One query per documented code, then one for every other code (so that undocumented ones are not lost).
    expect(bySeverity.map((r) => r.query.severity)).toEqual([
      "2",
      "5",
      "20",
      "25",
      "26",
      "30",
      OTHER_SEVERITIES.join(",")
    ])
    expect(missing(expectedIncidents(server), occurrences(readBundles(directory), "incident"))).toEqual([])
  })

  it("quota exhausted mid-pass (429 LimitExceededException): fails fast, keeps the checkpoint, the next pass delivers the rest", async () => {
    const server = await standIn({ dataset: { records: 12_000, days: 40, seed: 91 } })
    let windows = 0
    server.setFaults({
      when: (context) => context.endpoint === "watchlist" && !context.hasCursor && ++windows === 4 ? "quota" : undefined
    })
    const directory = tempDirectory("faults-quota")
    const env = offlineEnv(server, directory, { SPYCLOUD_WINDOW_MAX_RECORDS: "3000" })
    const first = await runBinary(["once"], { env })
    expect(first.code).toBe(1)
    expect(first.stderr.trim().split("\n").at(-1)).toContain("SpyCloud API quota exhausted")
    const quotaRequests = server.requests().filter((r) => r.status === 429)
    expect(quotaRequests).toHaveLength(1)
    const checkpoint = String(readState(directory).last_import_date).slice(0, 10)
    expect(checkpoint > server.dataset.startDate).toBe(true)

    server.setFaults({})
    server.resetRequests()
    const second = await runBinary(["once"], { env })
    expect(second.code, second.stderr).toBe(0)
    expect(watchlistRequests(server)[0]!.query.since).toBe(checkpoint)
    expect(missing(expectedIncidents(server), occurrences(readBundles(directory), "incident"))).toEqual([])
  })

  it("records that cannot be decoded, mixed into pages, are skipped and counted; every other record arrives", async () => {
    const server = await standIn({ dataset: { records: 9_000, days: 30, seed: 95, invalidEvery: 37 } })
    const directory = tempDirectory("faults-invalid")
    const result = await runBinary(["once"], { env: offlineEnv(server, directory) })
    expect(result.code, result.stderr).toBe(0)
    const malformed = server.dataset.malformedCount({ since: server.dataset.startDate })
    expect(summaryNumber(result.stdout, "records skipped")).toBe(malformed)
    expect(missing(expectedIncidents(server), occurrences(readBundles(directory), "incident"))).toEqual([])
  })
})
