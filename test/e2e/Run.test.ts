/**
 * `spycloud-connector run` (the built binary) with OpenCTI: passes every CONNECTOR_DURATION_PERIOD after
 * the previous one ended, none while the platform reports the push queue over CONNECTOR_QUEUE_THRESHOLD,
 * Prometheus metrics with pycti's counters meanwhile, and a clean exit 0 on SIGTERM, even mid-pass.
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
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import { freePort } from "../support/FreePort.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { describeWithShared } from "../support/Shared.js"

/**
 * pycti's counters (docs/opencti-protocol.md, "Logging and metrics"), which dashboards built for Python connectors
 * read.
 */
const PYCTI_COUNTERS = [
  "bundles_sent_total",
  "records_sent_total",
  "runs_total",
  "ping_api_total",
  "ping_api_errors_total",
  "errors_total",
  "client_errors_total"
]

/** How many log lines of the process carry this message (JSON logs). */
const logged = (running: RunningBinary, message: string) =>
  running.stderr().split("\n").filter((line) => line.includes(`"message":"${message}`)).length

/** The value of an unlabelled series in Prometheus text. */
const seriesValue = (metrics: string, name: string): number => {
  const line = metrics.split("\n").find((candidate) => candidate.startsWith(`${name} `))
  if (line === undefined) throw new Error(`no series ${name} in:\n${metrics}`)
  return Number(line.slice(name.length + 1))
}

/** Resolves once `predicate` holds, checking every 20 ms for up to `timeoutMs`. */
const eventually = async (predicate: () => boolean, what: string, timeoutMs = 30_000) => {
  const started = Date.now()
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describeWithShared("run with OpenCTI (built binary, real RabbitMQ)", () => {
  const { spycloud, platform } = standInsForSuite({
    dataset: { records: 120, days: 3, endDate: yesterday(), seed: 3 }
  })

  it("passes every CONNECTOR_DURATION_PERIOD, skips while the queue is over the threshold, serves metrics, exits 0 on SIGTERM mid-pass", async () => {
    const metricsPort = await freePort()
    const env = connectorEnv(platform, spycloud, {
      CONNECTOR_DURATION_PERIOD: "PT2S",
      CONNECTOR_QUEUE_THRESHOLD: "1",
      // Only the check before passes here: a pass paused inside (Backpressure.test.ts) would log no "Pass skipped".
      CONNECTOR_QUEUE_CHECK_INTERVAL: "0",
      CONNECTOR_EXPOSE_METRICS: "true",
      CONNECTOR_METRICS_PORT: String(metricsPort)
    })
    const id = env.CONNECTOR_ID
    const started = newestDayCheckpoint()
    const running = startBinary(["run"], { env })
    try {
      // Several passes, each in its own work closed with a summary; the first imported everything.
      await waitForOutput(running, () => logged(running, "Pass finished") >= 2)
      // The log line comes first, then the work is closed.
      await eventually(() => worksOf(platform, id)[1]?.processed === true, "the second work to be closed")
      const [first, second] = worksOf(platform, id)
      expect(first).toMatchObject({ processed: true, errors: [] })
      expect(second).toMatchObject({ processed: true, errors: [] })
      expect(first!.messages[0]).toMatch(/^SpyCloud pass finished: /)
      const drained = await drainPushQueue(`push_${id}`, { expected: first!.expectations + second!.expectations })
      expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
      expect([started, newestDayCheckpoint()]).toContain(platformState(platform, id)?.last_import_date)

      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toContain("text/plain")
      const metrics = await response.text()
      for (const counter of PYCTI_COUNTERS) expect(metrics).toContain(`# TYPE ${counter} counter`)
      expect(seriesValue(metrics, "runs_total")).toBeGreaterThanOrEqual(2)
      expect(seriesValue(metrics, "bundles_sent_total")).toBeGreaterThanOrEqual(first!.expectations)
      expect(seriesValue(metrics, "records_sent_total")).toBeGreaterThanOrEqual(first!.expectations)
      expect(seriesValue(metrics, "errors_total")).toBe(0)
      expect(metrics).toMatch(/^state\{state="idle"\} [01]$/m)
      // The connector's own counters (docs/opencti-protocol.md, "Logging and metrics"): what it imported, and its
      // SpyCloud requests.
      expect(seriesValue(metrics, "spycloud_records_imported_total")).toBeGreaterThanOrEqual(spycloud.dataset.size)
      expect(seriesValue(metrics, "spycloud_incidents_total")).toBeGreaterThanOrEqual(spycloud.dataset.size)
      expect(seriesValue(metrics, "spycloud_observables_total")).toBeGreaterThan(0)
      expect(metrics).toMatch(/^spycloud_requests_total\{endpoint="watchlist",status="200"\} \d+$/m)

      // 2 MB in the push queue is over the 1 MB threshold: scheduled passes are skipped, none runs.
      platform.setQueueSize(id, 2_000_000, 1000)
      const skipped = logged(running, "Pass skipped")
      await waitForOutput(running, () => logged(running, "Pass skipped") >= skipped + 1)
      const worksWhileSkipping = worksOf(platform, id).length
      await waitForOutput(running, () => logged(running, "Pass skipped") >= skipped + 2)
      expect(worksOf(platform, id)).toHaveLength(worksWhileSkipping)
      expect(running.stderr()).toContain(
        "Connector will not run until the queue messages size is reduced under queue threshold"
      )

      // Under the threshold again, passes resume.
      platform.setQueueSize(id, 0, 0)
      const finished = logged(running, "Pass finished")
      await waitForOutput(running, () => logged(running, "Pass finished") > finished)
      expect(worksOf(platform, id).length).toBeGreaterThan(worksWhileSkipping)

      // SIGTERM while a pass waits for SpyCloud: the work is closed in error and the process exits 0.
      spycloud.setFaults({ when: (context) => context.endpoint === "watchlist" ? "hang" : undefined })
      await eventually(() => spycloud.requests().some((request) => request.status === "hang"), "a pass to start")
      const state = platformState(platform, id)
      running.child.kill("SIGTERM")
      const result = await running.done
      expect(result.code, result.stderr).toBe(0)
      const interrupted = worksOf(platform, id).at(-1)!
      expect(interrupted.processed).toBe(true)
      expect(interrupted.errors).toEqual([
        "Pass interrupted (connector stopping); the state keeps the last completed window"
      ])
      expect(platformState(platform, id)).toEqual(state)
    } finally {
      spycloud.setFaults({})
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill("SIGKILL")
    }
  })
})
