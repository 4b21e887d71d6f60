/**
 * pycti's Prometheus metrics (docs/opencti-protocol.md, "Logging and metrics") as Effect metrics, so dashboards
 * built for Python connectors keep working. pycti's helper increments bundles_sent, ping_api, ping_api_errors and
 * errors; the connector increments runs, records_sent and client_errors and sets the run state. Other Effect
 * metrics (SpyCloud requests, records, ...) are exported beside these by `Prometheus.ts`.
 */
import { Effect, Metric } from "effect"

/** One per message published to RabbitMQ, or one per bundle pushed through the API (as pycti counts). */
export const bundlesSent = Metric.counter("bundles_sent_total", {
  description: "Number of bundles sent",
  incremental: true
})

/** STIX objects sent to OpenCTI. */
export const recordsSent = Metric.counter("records_sent_total", {
  description: "Number of records (objects per bundle) sent",
  incremental: true
})

/** Import passes started. */
export const runs = Metric.counter("runs_total", { description: "Number of run", incremental: true })

export const pingApi = Metric.counter("ping_api_total", {
  description: "Number of API ping",
  incremental: true
})

export const pingApiErrors = Metric.counter("ping_api_errors_total", {
  description: "Number of errors when pinging the API",
  incremental: true
})

/** Failures of the connector's own machinery (publishing, forced pings, works). */
export const errors = Metric.counter("errors_total", { description: "Number of errors", incremental: true })

/** Failures of the data source (SpyCloud). */
export const clientErrors = Metric.counter("client_errors_total", {
  description: "Number of client errors",
  incremental: true
})

/** Not pycti's: times the platform had forgotten the connector and it registered again. */
export const reregistrations = Metric.counter("opencti_reregistrations_total", {
  description: "Times the connector registered again because OpenCTI no longer knew it",
  incremental: true
})

/** pycti's counters, in its order. */
export const PYCTI_COUNTERS = [bundlesSent, recordsSent, runs, pingApi, pingApiErrors, errors, clientErrors] as const

/** Registers pycti's counters at 0, so that they are exported before anything happened (as pycti does). */
export const registerPyctiCounters: Effect.Effect<void> = Effect.forEach(
  PYCTI_COUNTERS,
  (counter) => Metric.incrementBy(counter, 0),
  { discard: true }
)

export const RUN_STATES = ["idle", "running", "stopped"] as const
export type RunState = typeof RUN_STATES[number]

const stateGauge = (state: RunState) =>
  Metric.gauge("state", { description: "State of connector" }).pipe(Metric.tagged("state", state))

/** pycti's `state` enum: the current state's series is 1, the others 0. */
export const setRunState = (current: RunState): Effect.Effect<void> =>
  Effect.forEach(RUN_STATES, (state) => Metric.set(stateGauge(state), state === current ? 1 : 0), { discard: true })
