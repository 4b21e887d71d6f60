/**
 * The built binary's `once`, offline, against the SpyCloud stand-in over real HTTP (issue: import engine).
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { STATE_FILE_NAME } from "../../src/config/ConnectorConfig.js"
import { recordIncidentId } from "../../src/stix/StixId.js"
import { runBinary, startBinary, waitForOutput } from "../support/Binary.js"
import { occurrences, offlineEnv, readBundles, readState, summaryNumber, tempDirectory } from "../support/OfflineRun.js"
import { describeWithShared } from "../support/Shared.js"
import { type SpycloudStandIn, type StandInOptions, startSpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"
import { assertValidBundle } from "../support/StixValidator.js"

const standIns: Array<SpycloudStandIn> = []
const standIn = async (options: StandInOptions) => {
  const started = await startSpycloudStandIn(options)
  standIns.push(started)
  return started
}
afterEach(async () => {
  await Promise.all(standIns.splice(0).map((s) => s.stop()))
})

/** The incident ids of every well-formed record published on or after `since`. */
const expectedIncidents = (server: SpycloudStandIn, since = server.dataset.startDate) =>
  server.dataset.documentIds({ since }).map(recordIncidentId)

const missing = (expected: ReadonlyArray<string>, present: ReadonlyMap<string, number>) =>
  expected.filter((id) => !present.has(id))

const watchlistRequests = (server: SpycloudStandIn) =>
  server.requests().filter((request) => request.endpoint === "watchlist" && request.query.cursor === undefined)

describe("once, offline, against the SpyCloud stand-in", () => {
  it("imports 20,000 records over 60 days: every valid record's incident, once", async () => {
    const server = await standIn({ dataset: { records: 20_000, days: 60, seed: 11, invalidEvery: 997 } })
    const directory = tempDirectory("once-20k")
    const result = await runBinary(["once"], { env: offlineEnv(server, directory) })
    expect(result.code, result.stderr).toBe(0)

    const bundles = readBundles(directory)
    const incidents = occurrences(bundles, "incident")
    expect(missing(expectedIncidents(server), incidents)).toEqual([])
    // Windows cover adjacent days: each record arrives once.
    expect(Math.max(...incidents.values())).toBe(1)

    // Malformed records are skipped, counted with their reason, and logged with their document id.
    const malformed = server.dataset.malformedCount({ since: server.dataset.startDate })
    expect(malformed).toBeGreaterThan(0)
    expect(summaryNumber(result.stdout, "records skipped")).toBeGreaterThanOrEqual(malformed)
    expect(result.stdout).toContain("invalid-record:")
    const skippedLogs = result.stderr.split("\n").filter((line) => line.includes("cannot be decoded"))
    expect(skippedLogs.length).toBeGreaterThanOrEqual(malformed)
    expect(skippedLogs.some((line) => /"document_id":"[0-9a-f-]{36}"/.test(line))).toBe(true)

    expect(Object.keys(readState(directory)).sort()).toEqual(["last_import_date", "last_modification_date"])
    expect(readState(directory).last_import_date).toBe(`${server.dataset.endDate}T00:00:00+00:00`)
  })

  describeWithShared("bundles", () => {
    it("are valid STIX 2.1 with the author and marking in each", async () => {
      const server = await standIn({ dataset: { records: 3_000, days: 10, seed: 5 } })
      const directory = tempDirectory("once-stix")
      const result = await runBinary(["once"], {
        env: offlineEnv(server, directory, { CONNECTOR_BUNDLE_MAX_OBJECTS: "3000" })
      })
      expect(result.code, result.stderr).toBe(0)
      const bundles = readBundles(directory)
      expect(bundles.length).toBeGreaterThan(3)
      for (const bundle of bundles) {
        assertValidBundle(bundle)
        expect(bundle.objects.slice(0, 2).map((o) => o.type)).toEqual(["identity", "marking-definition"])
      }
    })
  })

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

  it("killed with SIGKILL mid-pass, resumes from the last completed window and loses nothing", async () => {
    const server = await standIn({ dataset: { records: 20_000, days: 60, seed: 41 }, latencyMs: 40 })
    const directory = tempDirectory("once-kill")
    const env = offlineEnv(server, directory, { SPYCLOUD_WINDOW_MAX_RECORDS: "2000" })
    const first = startBinary(["once"], { env })
    const statePath = join(directory, STATE_FILE_NAME)
    await waitForOutput(first, () => existsSync(statePath) && readState(directory).last_import_date !== undefined)
    // Let it get into a later window, then kill it without warning.
    await waitForOutput(first, (stderr) => stderr.split("Importing").length > 1 && stderr.includes("splitting"))
    first.child.kill("SIGKILL")
    const killed = await first.done
    expect(killed.signal).toBe("SIGKILL")
    const checkpoint = String(readState(directory).last_import_date).slice(0, 10)
    expect(checkpoint > server.dataset.startDate).toBe(true)
    expect(checkpoint < server.dataset.endDate).toBe(true)

    server.resetRequests()
    const second = await runBinary(["once"], { env })
    expect(second.code, second.stderr).toBe(0)
    expect(watchlistRequests(server)[0]!.query.since).toBe(checkpoint)
    expect(missing(expectedIncidents(server), occurrences(readBundles(directory), "incident"))).toEqual([])
  })

  it("stops on SIGTERM with exit 0, and its checkpoint never passes what was written", async () => {
    const server = await standIn({ dataset: { records: 20_000, days: 60, seed: 43 }, latencyMs: 40 })
    const directory = tempDirectory("once-term")
    const running = startBinary(["once"], {
      env: offlineEnv(server, directory, { SPYCLOUD_WINDOW_MAX_RECORDS: "2000" })
    })
    await waitForOutput(running, () => existsSync(join(directory, STATE_FILE_NAME)))
    running.child.kill("SIGTERM")
    const stopped = await running.done
    expect(stopped.code).toBe(0)
    const checkpoint = String(readState(directory).last_import_date).slice(0, 10)
    const dayBefore = new Date(Date.parse(checkpoint) - 86_400_000).toISOString().slice(0, 10)
    const written = occurrences(readBundles(directory), "incident")
    const beforeCheckpoint = server.dataset.documentIds({ since: server.dataset.startDate, until: dayBefore })
    expect(missing(beforeCheckpoint.map(recordIncidentId), written)).toEqual([])
    expect(existsSync(join(directory, `${STATE_FILE_NAME}.tmp`))).toBe(false)
  })

  it("a second pass with no new data reads only the newest day", async () => {
    const server = await standIn({ dataset: { records: 5_000, days: 20, seed: 51 } })
    const directory = tempDirectory("once-again")
    expect((await runBinary(["once"], { env: offlineEnv(server, directory) })).code).toBe(0)
    server.resetRequests()
    const again = await runBinary(["once"], { env: offlineEnv(server, directory) })
    expect(again.code, again.stderr).toBe(0)
    const requests = watchlistRequests(server)
    expect(requests.length).toBe(1)
    expect(requests[0]!.query.since).toBe(server.dataset.endDate)
  })

  it("continues from a state file written in the official connector's format", async () => {
    const server = await standIn({ dataset: { records: 5_000, days: 30, seed: 61 } })
    const directory = tempDirectory("once-official")
    const from = new Date(Date.parse(`${server.dataset.endDate}T00:00:00Z`) - 10 * 86_400_000).toISOString().slice(
      0,
      10
    )
    writeFileSync(join(directory, STATE_FILE_NAME), `{"last_import_date": "${from}T00:00:00+00:00"}`)
    const result = await runBinary(["once"], { env: offlineEnv(server, directory) })
    expect(result.code, result.stderr).toBe(0)
    expect(watchlistRequests(server)[0]!.query.since).toBe(from)
    const incidents = occurrences(readBundles(directory), "incident")
    expect(missing(expectedIncidents(server, from), incidents)).toEqual([])
    const older = server.dataset.documentIds({ since: server.dataset.startDate, until: "1970-01-01" })
    expect(older).toEqual([])
    const beforeFrom = server.dataset.documentIds({
      since: server.dataset.startDate,
      until: new Date(Date.parse(`${from}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
    })
    expect(beforeFrom.map(recordIncidentId).filter((id) => incidents.has(id))).toEqual([])
    // Its key is kept and moved forward; the modification watermark starts where the old state was.
    expect(readState(directory).last_import_date).toBe(`${server.dataset.endDate}T00:00:00+00:00`)
  })

  it("refuses a corrupt state file with a clear message and exit 1, without touching it", async () => {
    const server = await standIn({ dataset: { records: 100, days: 5, seed: 71 } })
    const directory = tempDirectory("once-corrupt")
    writeFileSync(join(directory, STATE_FILE_NAME), "{\"last_import_date\": ")
    const result = await runBinary(["once"], { env: offlineEnv(server, directory) })
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split("\n").at(-1)).toContain("is not valid JSON")
    expect(readFileSync(join(directory, STATE_FILE_NAME), "utf8")).toBe("{\"last_import_date\": ")
  })
})
