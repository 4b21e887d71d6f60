/**
 * What the SpyCloud client records as Effect metrics (exported by the Prometheus endpoint with the other
 * metrics of the process). Every name starts with `spycloud_`.
 */
import { Effect, Metric, MetricBoundaries } from "effect"

/** Which SpyCloud endpoint a request went to. */
export type Endpoint = "watchlist" | "catalog"

/** One per HTTP attempt, tagged with `endpoint` and `status` (the HTTP code, `transport` or `timeout`). */
export const requests = Metric.counter("spycloud_requests_total", {
  description: "SpyCloud HTTP requests (every attempt, retries included), by endpoint and status",
  incremental: true
})

/** One per retry, tagged with `endpoint` and `reason` (gateway-timeout, server-error, throttled, ...). */
export const retries = Metric.counter("spycloud_retries_total", {
  description: "SpyCloud requests retried, by endpoint and reason",
  incremental: true
})

/** A `Retry-After` longer than the configured maximum delay, which the client shortened to that maximum. */
export const retryAfterCapped = Metric.counter("spycloud_retry_after_capped_total", {
  description: "Retry-After delays asked by SpyCloud that exceeded SPYCLOUD_RETRY_MAX_DELAY and were capped",
  incremental: true
})

/** Time from sending a request to having its whole body, in seconds, tagged with `endpoint`. */
export const requestDuration = Metric.histogram(
  "spycloud_request_duration_seconds",
  MetricBoundaries.exponential({ start: 0.01, factor: 2, count: 14 }),
  "SpyCloud request latency (until the whole body is read), by endpoint"
)

/** Records that did not decode and were skipped (the engine logs and counts each one). */
export const recordsUndecodable = Metric.counter("spycloud_records_undecodable_total", {
  description: "SpyCloud breach records that could not be decoded and were skipped",
  incremental: true
})

export const catalogCacheHits = Metric.counter("spycloud_catalog_cache_hits_total", {
  description: "Breach catalog lookups answered from the cache",
  incremental: true
})

export const catalogCacheMisses = Metric.counter("spycloud_catalog_cache_misses_total", {
  description: "Breach catalog lookups that needed a request to SpyCloud",
  incremental: true
})

/** Records one finished attempt: its outcome and how long it took. */
export const recordRequest = (endpoint: Endpoint, status: string, seconds: number): Effect.Effect<void> =>
  Effect.zipRight(
    Metric.increment(Metric.tagged(Metric.tagged(requests, "endpoint", endpoint), "status", status)),
    Metric.update(Metric.tagged(requestDuration, "endpoint", endpoint), seconds)
  )

/** Records one retry of a request to `endpoint`. */
export const recordRetry = (endpoint: Endpoint, reason: string): Effect.Effect<void> =>
  Metric.increment(Metric.tagged(Metric.tagged(retries, "endpoint", endpoint), "reason", reason))

/** Every retry so far, whatever its endpoint and reason (the pass summary reports the difference). */
export const totalRetries: Effect.Effect<number> = Effect.map(
  Metric.snapshot,
  (pairs) =>
    pairs.reduce((total, pair) => {
      if (pair.metricKey.name !== "spycloud_retries_total") return total
      const count = (pair.metricState as { readonly count?: unknown }).count
      return total + (typeof count === "number" ? count : typeof count === "bigint" ? Number(count) : 0)
    }, 0)
)
