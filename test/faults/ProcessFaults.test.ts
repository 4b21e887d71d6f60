/**
 * Fault injection, process side: stopped by a signal in the middle of a pass (SIGTERM, or SIGKILL without
 * warning), then restarted; and a state file that cannot be read.
 */
import { describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { STATE_FILE_NAME } from "../../src/config/ConnectorConfig.js"
import { recordIncidentId } from "../../src/stix/StixId.js"
import { runBinary, startBinary, waitForOutput } from "../support/Binary.js"
import {
  expectedIncidents,
  missing,
  occurrences,
  offlineEnv,
  readBundles,
  readState,
  standInsForEachTest,
  tempDirectory,
  watchlistRequests
} from "../support/OfflineRun.js"

const standIn = standInsForEachTest()

describe("process failures", () => {
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
