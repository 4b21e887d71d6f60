/**
 * Fault injection, OpenCTI side: the platform unavailable when the connector starts, and gone in the middle
 * of a pass. Nothing is lost: the connector waits for the platform at start; mid-pass, the pass fails
 * without the state moving past what the platform acknowledged, and the next pass delivers the rest.
 * (RabbitMQ lost mid-publish is test/e2e/Interruption.test.ts.)
 */
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { startBinary, waitForOutput } from "../support/Binary.js"
import {
  connectorEnv,
  expectedIncidents,
  firstWatchlistSince,
  incidentIds,
  platformState,
  runToEnd,
  startStandIns,
  stopStandIns,
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import { type OpenCtiStandIn, type RecordedCall } from "../support/opencti/OpenCtiStandIn.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { describeWithShared } from "../support/Shared.js"
import type { SpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"

describeWithShared("OpenCTI failures (built binary, OpenCTI stand-in, real RabbitMQ)", () => {
  let spycloud: SpycloudStandIn
  let platform: OpenCtiStandIn
  beforeAll(async () => {
    ;({ spycloud, platform } = await startStandIns({
      dataset: { records: 600, days: 12, endDate: yesterday(), seed: 17 },
      latencyMs: 20
    }))
  })
  afterAll(() => stopStandIns({ spycloud, platform }))

  it("unavailable when the connector starts: it waits for the platform, then imports everything", async () => {
    platform.setUnavailable(true)
    const env = connectorEnv(platform, spycloud)
    const running = startBinary(["once"], { env })
    try {
      // It keeps asking (the health check is retried with backoff) instead of dying.
      await waitForOutput(running, (stderr) => stderr.split("OpenCTI API is not reachable").length > 2)
      expect(running.child.exitCode).toBe(null)
    } finally {
      platform.setUnavailable(false)
    }
    const result = await running.done
    expect(result.code, result.stderr).toBe(0)
    const [work] = worksOf(platform, env.CONNECTOR_ID)
    const drained = await drainPushQueue(`push_${env.CONNECTOR_ID}`, { expected: work!.expectations })
    expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
  })

  it("gone in the middle of a pass: the pass fails, the platform keeps the last acknowledged checkpoint, the next pass delivers the rest", async () => {
    const env = connectorEnv(platform, spycloud, { SPYCLOUD_WINDOW_MAX_RECORDS: "100" })
    const id = env.CONNECTOR_ID
    // The platform answers the first checkpoint, then disappears.
    let checkpoints = 0
    const remove = platform.onCall((call: RecordedCall) => {
      if (call.operation !== "PingConnector" || call.variables.id !== id || call.variables.state === "null") return
      if (++checkpoints === 2) {
        remove()
        platform.setUnavailable(true)
      }
    })
    const failed = await runToEnd(["once"], env, 90_000).finally(() => {
      remove()
      platform.setUnavailable(false)
    })
    expect(failed.code).toBe(1)
    expect(failed.stderr.trim().split("\n").at(-1)).toMatch(/^once failed: /)
    const kept = platformState(platform, id)?.last_import_date as string
    expect(kept.slice(0, 10) > spycloud.dataset.startDate).toBe(true)

    spycloud.resetRequests()
    const second = await runToEnd(["once"], env)
    expect(second.code, second.stderr).toBe(0)
    expect(firstWatchlistSince(spycloud)).toBe(kept.slice(0, 10))
    const expectations = worksOf(platform, id).reduce((total, work) => total + work.expectations, 0)
    const drained = await drainPushQueue(`push_${id}`, { expected: expectations })
    // Together, the failed pass and the next one delivered every record.
    for (const incident of expectedIncidents(spycloud.dataset)) {
      expect(incidentIds(drained.objects).has(incident)).toBe(true)
    }
  })
})
