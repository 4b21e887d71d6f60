/**
 * The platform forgets the connector in the middle of `run` (an administrator deleted it, or OpenCTI was
 * restored from an older backup): the connector registers again, keeps importing from the last checkpoint
 * it knows, and loses nothing. A deliberate reset (an empty state while the platform still knows the
 * connector) still starts the import over from SPYCLOUD_IMPORT_START_DATE.
 */
import { expect, it } from "@effect/vitest"
import { type RunningBinary, startBinary, waitForOutput } from "../support/Binary.js"
import {
  connectorEnv,
  expectedIncidents,
  incidentIds,
  newestDayCheckpoint,
  platformState,
  standInsForSuite,
  yesterday
} from "../support/ConnectorHarness.js"
import { freePort } from "../support/FreePort.js"
import type { OpenCtiStandIn, RecordedCall } from "../support/opencti/OpenCtiStandIn.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { describeWithShared } from "../support/Shared.js"
import type { SpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"

/** pycti's ping interval, which the connector keeps. */
const PING_INTERVAL_MS = 40_000

/** How many log lines of the process carry this message (JSON logs). */
const logged = (running: RunningBinary, message: string) =>
  running.stderr().split("\n").filter((line) => line.includes(`"message":"${message}`)).length

const registrationsOf = (platform: OpenCtiStandIn, id: string) =>
  platform.callsOf("RegisterConnector").filter((call) => (call.variables.input as { id: string }).id === id)

/** The start date (publish or modification) of every watchlist query sequence (first page) SpyCloud received. */
const sequenceStarts = (spycloud: SpycloudStandIn): Array<string> =>
  spycloud.requests()
    .filter((request) => request.endpoint === "watchlist" && request.query.cursor === undefined)
    .map((request) => request.query.since ?? request.query.since_modification_date ?? "(none)")

const seriesValue = (metrics: string, name: string): number => {
  const line = metrics.split("\n").find((candidate) => candidate.startsWith(`${name} `))
  if (line === undefined) throw new Error(`no series ${name} in:\n${metrics}`)
  return Number(line.slice(name.length + 1))
}

/** Calls `act` once, on the second checkpoint ping of connector `id` (after the platform answered the first). */
const onSecondCheckpoint = (platform: OpenCtiStandIn, id: string, act: (call: RecordedCall) => void) => {
  let checkpoints = 0
  const remove = platform.onCall((call) => {
    if (call.operation !== "PingConnector" || call.variables.id !== id || call.variables.state === "null") return
    if (++checkpoints === 2) {
      remove()
      act(call)
    }
  })
  return remove
}

describeWithShared("the platform forgets the connector during run (built binary, real RabbitMQ)", () => {
  const { spycloud, platform } = standInsForSuite({
    dataset: { records: 600, days: 12, endDate: yesterday(), seed: 23 },
    latencyMs: 20
  })

  it("registers again within one ping interval, the next passes complete from the last checkpoint, nothing is lost", async () => {
    const metricsPort = await freePort()
    const env = connectorEnv(platform, spycloud, {
      CONNECTOR_DURATION_PERIOD: "PT2S",
      SPYCLOUD_WINDOW_MAX_RECORDS: "100",
      CONNECTOR_EXPOSE_METRICS: "true",
      CONNECTOR_METRICS_PORT: String(metricsPort)
    })
    const id = env.CONNECTOR_ID
    let forgotten: { at: number; checkpoint: string } | undefined
    const remove = onSecondCheckpoint(platform, id, (call) => {
      // The platform stored this checkpoint, then lost the connector with its state and its works.
      platform.forgetConnector(id)
      spycloud.resetRequests()
      forgotten = { at: Date.now(), checkpoint: JSON.parse(String(call.variables.state)).last_import_date }
    })
    const running = startBinary(["run"], { env })
    try {
      await waitForOutput(running, () => forgotten !== undefined, 90_000)
      await waitForOutput(running, () => registrationsOf(platform, id).length === 2, PING_INTERVAL_MS)
      const registeredAgain = registrationsOf(platform, id)[1]!
      expect(registeredAgain.at.getTime() - forgotten!.at).toBeLessThan(PING_INTERVAL_MS)
      expect(registeredAgain.variables).toEqual(registrationsOf(platform, id)[0]!.variables)

      // Two passes finish after the re-registration; the platform then holds the newest checkpoint.
      const finishedBefore = logged(running, "Pass finished")
      await waitForOutput(running, () => logged(running, "Pass finished") >= finishedBefore + 2, 90_000)
      expect([newestDayCheckpoint(forgotten!.at), newestDayCheckpoint()]).toContain(
        platformState(platform, id)?.last_import_date
      )
      // The import went on from the checkpoint it knew: no query after the loss began at the start date.
      const starts = sequenceStarts(spycloud)
      expect(starts.length).toBeGreaterThan(0)
      expect(starts.filter((since) => since < forgotten!.checkpoint.slice(0, 10))).toEqual([])
      expect(starts).not.toContain(spycloud.dataset.startDate)

      expect(running.stderr()).toContain("OpenCTI no longer knows the connector; registering it again")
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
      expect(seriesValue(metrics, "opencti_reregistrations_total")).toBe(1)

      running.child.kill("SIGTERM")
      const result = await running.done
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).not.toContain(platform.token)
      // Every record reached the queue, across the loss. The process has exited and the broker confirmed
      // every message it sent, so the queue holds all of them: read them all (several thousand, as many as
      // the queue holds), however long that takes on a loaded machine; the timeout only stops a hang.
      const expected = expectedIncidents(spycloud.dataset)
      const drained = await drainPushQueue(`push_${id}`, { timeoutMs: 90_000 })
      const delivered = incidentIds(drained.objects)
      expect([...expected].filter((incident) => !delivered.has(incident))).toEqual([])
      // The drain read the queue to the end (a drain cut short would look like a loss).
      expect((await drainPushQueue(`push_${id}`)).messages).toEqual([])
    } finally {
      remove()
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill("SIGKILL")
    }
  })

  it("a reset from the platform during run still restarts the import from the start date", async () => {
    const env = connectorEnv(platform, spycloud, {
      CONNECTOR_DURATION_PERIOD: "PT2S",
      SPYCLOUD_WINDOW_MAX_RECORDS: "100"
    })
    const id = env.CONNECTOR_ID
    let reset: Promise<void> | undefined
    const remove = onSecondCheckpoint(platform, id, () => {
      spycloud.resetRequests()
      reset = platform.resetState(id)
    })
    const running = startBinary(["run"], { env })
    try {
      await waitForOutput(running, () => reset !== undefined, 90_000)
      await reset
      await waitForOutput(running, (stderr) => stderr.includes("Connector state has been remotely reset"))
      const finishedBefore = logged(running, "Pass finished")
      await waitForOutput(running, () => logged(running, "Pass finished") > finishedBefore, 90_000)
      expect(sequenceStarts(spycloud)).toContain(spycloud.dataset.startDate)
      expect(registrationsOf(platform, id)).toHaveLength(1)
      expect(running.stderr()).not.toContain("registering it again")
      running.child.kill("SIGTERM")
      const result = await running.done
      expect(result.code, result.stderr).toBe(0)
    } finally {
      remove()
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill("SIGKILL")
    }
  })
})
