/**
 * In-pass back-pressure (the built binary, the OpenCTI stand-in, real RabbitMQ): when the platform reports the push
 * queue over CONNECTOR_QUEUE_THRESHOLD in the middle of a pass, the pass stops publishing between bundles, says so
 * in its log and in connector_info, and resumes once the queue is under the low-water mark, losing nothing; SIGTERM
 * while it waits exits 0 with every published message in the queue and the state at the last checkpoint.
 */
import { expect, it } from "@effect/vitest"
import amqp from "amqplib"
import { type RunningBinary, startBinary, waitForOutput } from "../support/Binary.js"
import {
  connectorEnv,
  expectedIncidents,
  incidentIds,
  standInsForSuite,
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import { freePort } from "../support/FreePort.js"
import { LOCAL_AMQP_URL, type RecordedCall } from "../support/opencti/OpenCtiStandIn.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { describeWithShared } from "../support/Shared.js"

const PAUSED = "Pass paused: the OpenCTI push queue is over CONNECTOR_QUEUE_THRESHOLD"
const RESUMED = "Pass resumed: the OpenCTI push queue is under CONNECTOR_QUEUE_LOW_WATER"

/** The JSON log lines of a process that carry this message. */
const logLines = (stderr: string, message: string): Array<Record<string, unknown>> =>
  stderr.split("\n").filter((line) => line.includes(`"message":"${message}`)).map((line) => JSON.parse(line))

/** Messages the queue holds, without taking them. */
const queueDepth = async (queue: string): Promise<number> => {
  const connection = await amqp.connect(LOCAL_AMQP_URL)
  try {
    const channel = await connection.createChannel()
    return (await channel.checkQueue(queue)).messageCount
  } finally {
    await connection.close()
  }
}

describeWithShared("back-pressure inside a pass (built binary, real RabbitMQ)", () => {
  const { spycloud, platform } = standInsForSuite({
    dataset: { records: 360, days: 8, endDate: yesterday(), seed: 16 },
    // Each window takes a page request, so queue checks 50 ms apart fall between windows.
    latencyMs: 50
  })

  /** Small windows, each checkpointed, several bundles each; the queue read every 50 ms, a 1 MB threshold. */
  const pacedEnv = (overrides: Record<string, string> = {}) =>
    connectorEnv(platform, spycloud, {
      SPYCLOUD_WINDOW_MAX_RECORDS: "60",
      CONNECTOR_BUNDLE_MAX_OBJECTS: "300",
      CONNECTOR_QUEUE_THRESHOLD: "1",
      CONNECTOR_QUEUE_CHECK_INTERVAL: "PT0.05S",
      ...overrides
    })

  /** When the first checkpoint reaches the platform, it reports 5 MB in the push queue (over the 1 MB threshold). */
  const fillQueueAtFirstCheckpoint = (connectorId: string) => {
    const remove = platform.onCall((call: RecordedCall) => {
      if (call.operation !== "PingConnector" || call.variables.id !== connectorId) return
      if (call.variables.state === "null") return
      remove()
      platform.setQueueSize(connectorId, 5_000_000, 5000)
    })
    return remove
  }

  /** The connector_info of every ping of this connector, in order. */
  const pingedInfo = (connectorId: string) =>
    platform.callsOf("PingConnector")
      .filter((call) => call.variables.id === connectorId)
      .map((call) => call.variables.connectorInfo as { buffering: boolean; queue_messages_size: number })

  it("pauses between bundles while the queue is over the threshold, tells the platform, resumes under the low-water mark and delivers everything", async () => {
    const env = pacedEnv()
    const id = env.CONNECTOR_ID
    const disarm = fillQueueAtFirstCheckpoint(id)
    const running = startBinary(["once"], { env })
    let depthWhilePaused = -1
    try {
      await waitForOutput(running, (stderr) => stderr.includes(PAUSED))
      // The pause is on the platform at once: `once` has no background ping, so the pause sends one.
      await waitForOutput(running, () => pingedInfo(id).some((info) => info.buffering))
      depthWhilePaused = await queueDepth(`push_${id}`)
      // 0.9 MB is under the threshold but over the low-water mark (80 %): still paused.
      platform.setQueueSize(id, 900_000, 900)
      const reads = platform.callsOf("GetConnector").length
      await waitForOutput(running, () => platform.callsOf("GetConnector").length >= reads + 3)
      expect(running.stderr()).not.toContain(RESUMED)
      expect(await queueDepth(`push_${id}`)).toBe(depthWhilePaused)
      platform.setQueueSize(id, 500_000, 500)
    } finally {
      disarm()
    }
    const result = await running.done
    expect(result.code, result.stderr).toBe(0)

    // Bundles went out before the pause, none during it.
    expect(depthWhilePaused).toBeGreaterThan(0)
    const [paused, ...morePauses] = logLines(result.stderr, PAUSED)
    expect(morePauses).toEqual([])
    expect(paused).toMatchObject({
      level: "INFO",
      attributes: { queue_messages_size_mb: 5, queue_threshold_mb: 1, queue_low_water_mb: 0.8 }
    })
    const [resumed] = logLines(result.stderr, RESUMED)
    expect(resumed).toMatchObject({ level: "INFO", attributes: { queue_messages_size_mb: 0.5 } })
    expect(result.stderr.indexOf(PAUSED)).toBeLessThan(result.stderr.indexOf(RESUMED))

    // connector_info: buffering with the queue's size while paused, then not any more.
    const infos = pingedInfo(id)
    const first = infos.findIndex((info) => info.buffering)
    expect(infos[first]).toMatchObject({ buffering: true, queue_messages_size: 5 })
    expect(infos.slice(first + 1).some((info) => !info.buffering)).toBe(true)
    expect(infos.at(-1)).toMatchObject({ buffering: false })

    // Nothing lost: the pass completed in one work and every record's incident is in the push queue.
    const [work, ...others] = worksOf(platform, id)
    expect(others).toEqual([])
    expect(work).toMatchObject({ processed: true, errors: [] })
    const drained = await drainPushQueue(`push_${id}`, { expected: work!.expectations })
    expect(drained.messages).toHaveLength(work!.expectations)
    expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
  })

  it("run: the pause is counted in the metrics; SIGTERM while paused exits 0, every published message in the queue, the state at the last checkpoint", async () => {
    const metricsPort = await freePort()
    const env = pacedEnv({ CONNECTOR_EXPOSE_METRICS: "true", CONNECTOR_METRICS_PORT: String(metricsPort) })
    const id = env.CONNECTOR_ID
    const disarm = fillQueueAtFirstCheckpoint(id)
    let running: RunningBinary | undefined
    try {
      running = startBinary(["run"], { env })
      await waitForOutput(running, (stderr) => stderr.includes(PAUSED))
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
      expect(metrics).toMatch(/^spycloud_opencti_backpressure_waits_total 1$/m)
      const state = platform.connectors.get(id)!.state
      expect(state).not.toBeNull()
      running.child.kill("SIGTERM")
      const result = await running.done
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).not.toContain(RESUMED)

      const [work] = worksOf(platform, id)
      expect(work).toMatchObject({
        processed: true,
        errors: ["Pass interrupted (connector stopping); the state keeps the last completed window"]
      })
      // The state did not move while paused, and everything published was confirmed: all of it is in the queue.
      expect(platform.connectors.get(id)!.state).toEqual(state)
      expect(work!.expectations).toBeGreaterThan(0)
      const drained = await drainPushQueue(`push_${id}`, { expected: work!.expectations })
      expect(drained.messages).toHaveLength(work!.expectations)
      expect(await queueDepth(`push_${id}`)).toBe(0)
    } finally {
      disarm()
      if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill("SIGKILL")
      }
    }
  })
})
