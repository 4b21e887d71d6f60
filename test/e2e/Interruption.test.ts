/**
 * RabbitMQ lost in the middle of a pass (the built binary, its connection through a TCP proxy that the
 * test cuts and refuses; the shared broker itself keeps running): the pass reconnects, re-sends what the
 * broker had not confirmed and completes, and its work says so; only when the broker stays away longer
 * than MQ_RECONNECT_TIMEOUT does the pass fail, without advancing the state past what the broker
 * confirmed, and the next pass delivers the rest.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from "@effect/vitest"
import { startBinary, waitForOutput } from "../support/Binary.js"
import {
  connectorEnv,
  expectConsistentStix,
  expectedIncidents,
  firstWatchlistSince,
  incidentIds,
  newestDayCheckpoint,
  platformState,
  runToEnd,
  standInsForSuite,
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import type { RecordedCall } from "../support/opencti/OpenCtiStandIn.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { startTcpProxy, type TcpProxy } from "../support/opencti/TcpProxy.js"
import { describeWithShared } from "../support/Shared.js"

describeWithShared("RabbitMQ connection lost during once (built binary, real RabbitMQ)", () => {
  const { spycloud, platform } = standInsForSuite({
    dataset: { records: 360, days: 8, endDate: yesterday(), invalidEvery: 53, seed: 11 },
    // Slow enough that the connector notices a cut connection before its next send.
    latencyMs: 50
  })
  let proxy: TcpProxy
  beforeAll(async () => {
    proxy = await startTcpProxy({ host: "127.0.0.1", port: 5672 })
  })
  beforeEach(() => spycloud.resetRequests())
  afterAll(async () => {
    await proxy?.close()
  })

  /** Small windows (each one checkpointed) and several bundles per window, through the proxy. */
  const envThroughProxy = () =>
    connectorEnv(platform, spycloud, {
      MQ_HOST: "127.0.0.1",
      MQ_PORT: String(proxy.port),
      SPYCLOUD_WINDOW_MAX_RECORDS: "60",
      CONNECTOR_BUNDLE_MAX_OBJECTS: "300"
    })

  /** Runs `action` once, when the connector's first checkpoint reaches the platform (before it is answered). */
  const atFirstCheckpoint = (connectorId: string, action: () => void) => {
    const remove = platform.onCall((call: RecordedCall) => {
      if (call.operation !== "PingConnector" || call.variables.id !== connectorId) return
      if (call.variables.state === "null") return
      remove()
      action()
    })
    return remove
  }

  it("cut in the middle of a publish: the pass reconnects, re-sends the unconfirmed messages and completes; the work says so", async () => {
    const env = envThroughProxy()
    const id = env.CONNECTOR_ID
    const disarm = atFirstCheckpoint(id, () => proxy.cutOnNextData())
    const before = newestDayCheckpoint()
    const result = await runToEnd(["once"], env).finally(disarm)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain("RabbitMQ connection recovered")
    const [work, ...others] = worksOf(platform, id)
    expect(others).toEqual([])
    expect(work).toMatchObject({ processed: true, errors: [] })
    expect(work!.messages).toHaveLength(1)
    expect(work!.messages[0]).toMatch(
      /; recovered: RabbitMQ connection lost \(connection lost while publishing \(.+\)\), reconnected after \d+\.\d s, resent \d+ unconfirmed messages? of 1 bundle$/
    )
    expect([before, newestDayCheckpoint()]).toContain(platformState(platform, id)!.last_import_date)
    // Every record arrived in one pass (re-sent messages may be there twice: same ids, upserts).
    const wanted = expectedIncidents(spycloud.dataset)
    const seen = new Set<string>()
    const drained = await drainPushQueue(`push_${id}`, {
      until: (messages) => {
        const last = messages.at(-1)
        if (last !== undefined && wanted.has(last.bundle.objects[0].id)) seen.add(last.bundle.objects[0].id)
        return seen.size === wanted.size
      },
      timeoutMs: 30_000
    })
    expect(incidentIds(drained.objects)).toEqual(wanted)
    expectConsistentStix(drained.objects)
  })

  it("run: RabbitMQ unavailable for 10 s mid-pass; the pass waits, reconnects and completes without a restart", async () => {
    const env: Record<string, string> = { ...envThroughProxy(), CONNECTOR_DURATION_PERIOD: "PT1H" }
    const id = env.CONNECTOR_ID
    const running = startBinary(["run"], { env })
    let back: NodeJS.Timeout | undefined
    // After the first window: connections dropped, new ones refused for 10 s (a broker restart).
    const disarm = atFirstCheckpoint(id, () => {
      proxy.refuse(true)
      proxy.cut()
      back = setTimeout(() => proxy.refuse(false), 10_000)
    })
    try {
      await waitForOutput(running, (stderr) => stderr.includes("Pass finished"), 90_000)
      const pid = running.child.pid
      expect(running.child.exitCode).toBe(null)
      expect(running.stderr()).not.toContain("Pass failed")
      expect(running.stderr()).toContain("RabbitMQ unavailable; reconnecting and re-sending unconfirmed messages")
      // The log line comes first, then the work is closed.
      await waitForOutput(running, () => worksOf(platform, id)[0]?.processed === true)
      const [work, ...others] = worksOf(platform, id)
      expect(others).toEqual([])
      expect(work!.errors).toEqual([])
      expect(work!.messages[0]).toMatch(
        /; recovered: RabbitMQ connection lost \(.+\), reconnected after (9|[1-5]\d)\.\d s, resent (nothing|\d+ unconfirmed messages? of 1 bundle)$/
      )
      const drained = await drainPushQueue(`push_${id}`, { expected: work!.expectations })
      expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
      expect(running.child.pid).toBe(pid)
    } finally {
      disarm()
      clearTimeout(back)
      proxy.refuse(false)
      running.child.kill("SIGTERM")
    }
    const ended = await running.done
    expect(ended.code, ended.stderr).toBe(0)
  })

  it("away longer than MQ_RECONNECT_TIMEOUT: the pass fails in error, the state keeps only confirmed windows; the next pass delivers the rest", async () => {
    const env: Record<string, string> = { ...envThroughProxy(), MQ_RECONNECT_TIMEOUT: "PT3S" }
    const id = env.CONNECTOR_ID
    const queue = `push_${id}`
    const disarm = atFirstCheckpoint(id, () => {
      proxy.refuse(true)
      proxy.cut()
    })
    const failed = await runToEnd(["once"], env).finally(() => {
      disarm()
      proxy.refuse(false)
    })
    expect(failed.code, failed.stderr).toBe(1)
    expect(failed.stderr).toMatch(
      /once failed: window .*RabbitMQ unavailable for \d+\.\d s, longer than MQ_RECONNECT_TIMEOUT allows \(3s\)/
    )
    const [work] = worksOf(platform, id)
    expect(work!.messages).toEqual([])
    expect(work!.errors).toHaveLength(1)
    expect(work!.errors[0]).toMatch(/^Pass failed: window .*RabbitMQ unavailable/)

    // The checkpoint moved past the first window only, and everything before it is in the queue.
    const checkpoint = platformState(platform, id)!.last_import_date as string
    const checkpointDay = checkpoint.slice(0, 10)
    expect(checkpointDay > spycloud.dataset.startDate).toBe(true)
    expect(checkpointDay <= spycloud.dataset.endDate).toBe(true)
    const first = await drainPushQueue(queue)
    const before = new Date(Date.parse(`${checkpointDay}T00:00:00Z`) - 1).toISOString()
    const confirmed = expectedIncidents(spycloud.dataset, { since: spycloud.dataset.startDate, until: before })
    expect(confirmed.size).toBeGreaterThan(0)
    const delivered = incidentIds(first.objects)
    expect([...confirmed].filter((incident) => !delivered.has(incident))).toEqual([])

    // The next pass resumes at the checkpoint and, together with the first, delivers every record.
    spycloud.resetRequests()
    const checkpoints = [newestDayCheckpoint()]
    const resumed = await runToEnd(["once"], env)
    checkpoints.push(newestDayCheckpoint())
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(firstWatchlistSince(spycloud)).toBe(checkpointDay)
    expect(worksOf(platform, id).at(-1)).toMatchObject({ processed: true, errors: [] })
    expect(checkpoints).toContain(platformState(platform, id)!.last_import_date)
    const second = await drainPushQueue(queue, { expected: worksOf(platform, id).at(-1)!.expectations })
    const objects = [...first.objects, ...second.objects]
    expect(incidentIds(objects)).toEqual(expectedIncidents(spycloud.dataset))
    expectConsistentStix(objects)
  })

  it("cut between two bundles: the connector reconnects and the pass completes", async () => {
    const env = envThroughProxy()
    const id = env.CONNECTOR_ID
    const connectionsBefore = proxy.connections()
    // The window's bundles are all confirmed when its checkpoint is pinged: the connection is idle.
    const disarm = atFirstCheckpoint(id, () => proxy.cut())
    const before = newestDayCheckpoint()
    const result = await runToEnd(["once"], env).finally(disarm)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain("RabbitMQ connection lost")
    expect(result.stderr.match(/"message":"Connected to RabbitMQ"/g)).toHaveLength(2)
    expect(proxy.connections() - connectionsBefore).toBe(2)

    const [work, ...others] = worksOf(platform, id)
    expect(others).toEqual([])
    expect(work).toMatchObject({ processed: true, errors: [] })
    expect([before, newestDayCheckpoint()]).toContain(platformState(platform, id)!.last_import_date)
    const drained = await drainPushQueue(`push_${id}`, { expected: work!.expectations })
    expect(drained.messages).toHaveLength(work!.expectations)
    expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
  })
})
