/**
 * The built binary's `once`, offline, against the SpyCloud stand-in over real HTTP (issue: import engine).
 */
import { describe, expect, it } from "@effect/vitest"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { STATE_FILE_NAME } from "../../src/config/ConnectorConfig.js"
import { recordIncidentId } from "../../src/stix/StixId.js"
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
import { describeWithShared } from "../support/Shared.js"
import { assertValidBundle } from "../support/StixValidator.js"

const standIn = standInsForEachTest()

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
})
