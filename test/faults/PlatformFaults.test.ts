/**
 * Fault injection, OpenCTI side: the platform unavailable when the connector starts, restarting in the
 * middle of a pass, and gone for longer than OPENCTI_RETRY_TIMEOUT. Nothing is lost: the connector waits
 * for the platform at start; a restart mid-pass only delays the pass (its work says so); a platform that
 * stays away fails the pass without the state moving past what the platform acknowledged, and the next
 * pass delivers the rest. (RabbitMQ lost mid-publish is test/e2e/Interruption.test.ts.)
 */
import { expect, it } from "@effect/vitest"
import { startBinary, waitForOutput } from "../support/Binary.js"
import {
  connectorEnv,
  expectedIncidents,
  firstWatchlistSince,
  incidentIds,
  platformState,
  runToEnd,
  standInsForSuite,
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import { type RecordedCall } from "../support/opencti/OpenCtiStandIn.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { describeWithShared } from "../support/Shared.js"

describeWithShared("OpenCTI failures (built binary, OpenCTI stand-in, real RabbitMQ)", () => {
  const { spycloud, platform } = standInsForSuite({
    dataset: { records: 600, days: 12, endDate: yesterday(), seed: 17 },
    latencyMs: 20
  })

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

  for (const protocol of ["amqp", "api"] as const) {
    it(`restarting in the middle of a pass (${protocol}): the pass waits for it and completes; the work says so`, async () => {
      const env = connectorEnv(platform, spycloud, {
        SPYCLOUD_WINDOW_MAX_RECORDS: "100",
        CONNECTOR_QUEUE_PROTOCOL: protocol
      })
      const id = env.CONNECTOR_ID
      // The platform answers the first checkpoint, then restarts (down for 6 s) while the second arrives.
      let checkpoints = 0
      let restarting: Promise<void> | undefined
      const remove = platform.onCall((call: RecordedCall) => {
        if (call.operation !== "PingConnector" || call.variables.id !== id || call.variables.state === "null") return
        if (++checkpoints === 2) {
          remove()
          restarting = platform.restart(6000)
        }
      })
      const result = await runToEnd(["once"], env, 90_000).finally(remove)
      await restarting
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toContain("OpenCTI API is reachable again")
      const [work, ...others] = worksOf(platform, id)
      expect(others).toEqual([])
      expect(work).toMatchObject({ processed: true, errors: [] })
      expect(work!.messages[0]).toMatch(
        /; recovered: OpenCTI API unreachable during \w+ \(.+\), answered again after [4-9]\.\d s and \d+ retries/
      )
      if (protocol === "amqp") {
        const drained = await drainPushQueue(`push_${id}`, { expected: work!.expectations })
        expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
      } else {
        const pushed = platform.pushedBundles.filter((bundle) => bundle.connectorId === id)
        const objects = pushed.flatMap((bundle) => bundle.bundle.objects)
        expect(incidentIds(objects)).toEqual(expectedIncidents(spycloud.dataset))
      }
    })
  }

  it("gone in the middle of a pass for longer than OPENCTI_RETRY_TIMEOUT: the pass fails, the platform keeps the last acknowledged checkpoint, the next pass delivers the rest", async () => {
    const env = connectorEnv(platform, spycloud, { SPYCLOUD_WINDOW_MAX_RECORDS: "100", OPENCTI_RETRY_TIMEOUT: "PT3S" })
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
    expect(failed.stderr.trim().split("\n").at(-1)).toMatch(
      /^once failed: .*OpenCTI API is not reachable .*still unreachable after \d+\.\d s of retries \(OPENCTI_RETRY_TIMEOUT\)/
    )
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
