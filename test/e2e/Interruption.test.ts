/**
 * RabbitMQ lost in the middle of a pass (the built binary, its connection through a TCP proxy that the
 * test cuts; the shared broker itself keeps running): either the pass completes after reconnecting, or it
 * fails in error without advancing the state past what the broker confirmed, and the next pass delivers
 * the rest.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from "@effect/vitest"
import {
  connectorEnv,
  expectConsistentStix,
  expectedIncidents,
  firstWatchlistSince,
  incidentIds,
  newestDayCheckpoint,
  platformState,
  runToEnd,
  startStandIns,
  stopStandIns,
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import { type OpenCtiStandIn, type RecordedCall } from "../support/opencti/OpenCtiStandIn.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { startTcpProxy, type TcpProxy } from "../support/opencti/TcpProxy.js"
import { describeWithShared } from "../support/Shared.js"
import type { SpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"

describeWithShared("RabbitMQ connection lost during once (built binary, real RabbitMQ)", () => {
  let spycloud: SpycloudStandIn
  let platform: OpenCtiStandIn
  let proxy: TcpProxy
  beforeAll(async () => {
    ;({ spycloud, platform } = await startStandIns({
      dataset: { records: 360, days: 8, endDate: yesterday(), invalidEvery: 53, seed: 11 },
      // Slow enough that the connector notices a cut connection before its next send.
      latencyMs: 50
    }))
    proxy = await startTcpProxy({ host: "127.0.0.1", port: 5672 })
  })
  beforeEach(() => spycloud.resetRequests())
  afterAll(async () => {
    await proxy?.close()
    await stopStandIns({ spycloud, platform })
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

  it("cut in the middle of a publish: the pass fails in error, the state keeps only confirmed windows; the next pass delivers the rest", async () => {
    const env = envThroughProxy()
    const id = env.CONNECTOR_ID
    const queue = `push_${id}`
    // After the first window, the next bytes the connector sends (a bundle being published) are lost.
    const disarm = atFirstCheckpoint(id, () => proxy.cutOnNextData())
    const failed = await runToEnd(["once"], env).finally(disarm)
    expect(failed.code, failed.stderr).toBe(1)
    expect(failed.stderr).toMatch(/once failed: window .*RabbitMQ connection lost while publishing/)
    const [work] = worksOf(platform, id)
    expect(work!.messages).toEqual([])
    expect(work!.errors).toHaveLength(1)
    expect(work!.errors[0]).toMatch(/^Pass failed: window .*RabbitMQ connection lost/)

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
