import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Metric, MetricBoundaries, Option } from "effect"
import * as Metrics from "../../src/telemetry/Metrics.js"
import * as Prometheus from "../../src/telemetry/Prometheus.js"
import { freePort } from "../support/FreePort.js"
import { configLayer } from "../support/opencti/TestSettings.js"

/** Metric names unique to this run, so that nothing else in the process touches them. */
const unique = (name: string) => `${name}_${crypto.randomUUID().slice(0, 8)}`

const scrape = (port: number) =>
  Effect.promise(async () => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`)
    return { contentType: response.headers.get("content-type"), body: await response.text() }
  })

describe("Prometheus exposition", () => {
  it.effect("renders counters, tagged gauges, histograms, summaries and frequencies in the text format", () =>
    Effect.gen(function*() {
      const requests = unique("spycloud_requests_total")
      const queue = unique("queue_size")
      const latency = unique("latency_seconds")
      const sizes = unique("bundle_objects")
      const statuses = unique("http_status")
      const counter = Metric.counter(requests, { description: "SpyCloud requests\nsent" })
      yield* Metric.incrementBy(counter.pipe(Metric.tagged("status", "200")), 3)
      yield* Metric.incrementBy(counter.pipe(Metric.tagged("status", "a\"b")), 1)
      yield* Metric.set(Metric.gauge(queue), 12.5)
      const histogram = Metric.histogram(latency, MetricBoundaries.fromIterable([0.1, 1]))
      yield* Metric.update(histogram, 0.05)
      yield* Metric.update(histogram, 0.5)
      yield* Metric.update(histogram, 3)
      const summary = Metric.summary({ name: sizes, maxAge: "1 minute", maxSize: 10, error: 0, quantiles: [0.5] })
      yield* Metric.update(summary, 4)
      yield* Metric.update(Metric.frequency(statuses), "429")
      yield* Metric.update(Metric.frequency(statuses), "429")

      const text = Prometheus.renderPrometheus(yield* Metric.snapshot)
      const block = (name: string) => text.split("\n").filter((line) => line.includes(name))
      expect(block(requests).slice(0, 2)).toEqual([
        `# HELP ${requests} SpyCloud requests\\nsent`,
        `# TYPE ${requests} counter`
      ])
      expect(block(requests).slice(2).sort()).toEqual([`${requests}{status="200"} 3`, `${requests}{status="a\\"b"} 1`])
      expect(block(queue)).toEqual([`# TYPE ${queue} gauge`, `${queue} 12.5`])
      expect(block(latency)).toEqual([
        `# TYPE ${latency} histogram`,
        `${latency}_bucket{le="0.1"} 1`,
        `${latency}_bucket{le="1"} 2`,
        `${latency}_bucket{le="+Inf"} 3`,
        `${latency}_sum 3.55`,
        `${latency}_count 3`
      ])
      expect(block(sizes)).toEqual([
        `# TYPE ${sizes} summary`,
        `${sizes}{quantile="0.5"} 4`,
        `${sizes}_sum 4`,
        `${sizes}_count 1`
      ])
      expect(block(statuses)).toEqual([`# TYPE ${statuses} counter`, `${statuses}{value="429"} 2`])
    }))

  it.scoped("serves the registry over HTTP with pycti's counters from the start, until the scope closes", () =>
    Effect.gen(function*() {
      const port = yield* Effect.scoped(Effect.gen(function*() {
        const port = yield* Prometheus.serve({ port: 0, host: "127.0.0.1" })
        const before = yield* scrape(port)
        expect(before.contentType).toBe(Prometheus.CONTENT_TYPE)
        for (
          const name of [
            "bundles_sent_total",
            "records_sent_total",
            "runs_total",
            "ping_api_total",
            "ping_api_errors_total",
            "errors_total",
            "client_errors_total"
          ]
        ) {
          expect(before.body).toContain(`# TYPE ${name} counter`)
        }
        const sentBefore = (yield* Metric.value(Metrics.bundlesSent)).count
        yield* Metric.incrementBy(Metrics.bundlesSent, 5)
        yield* Metrics.setRunState("running")
        const after = (yield* scrape(port)).body
        expect(after).toContain(`bundles_sent_total ${sentBefore + 5}`)
        expect(after).toContain("state{state=\"running\"} 1")
        expect(after).toContain("state{state=\"idle\"} 0")
        return port
      }))
      const closed = yield* Effect.exit(scrape(port).pipe(Effect.timeout("2 seconds")))
      expect(Exit.isFailure(closed)).toBe(true)
    }))

  it.scoped("fails clearly when the port is taken", () =>
    Effect.gen(function*() {
      const port = yield* Prometheus.serve({ port: 0, host: "127.0.0.1" })
      const exit = yield* Effect.exit(Effect.scoped(Prometheus.serve({ port, host: "127.0.0.1" })))
      const error = Exit.isFailure(exit) ? Option.getOrThrow(Cause.failureOption(exit.cause)) : undefined
      expect(error?.message).toContain(`cannot serve metrics on port ${port} (CONNECTOR_METRICS_PORT)`)
    }))

  it.live("the layer serves on CONNECTOR_METRICS_PORT only when CONNECTOR_EXPOSE_METRICS is true", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const env = {
        CONNECTOR_ID: "c",
        CONNECTOR_SEND_TO_QUEUE: "false",
        CONNECTOR_SEND_TO_DIRECTORY: "true",
        CONNECTOR_SEND_TO_DIRECTORY_PATH: "/tmp/unused",
        SPYCLOUD_API_KEY: "k",
        CONNECTOR_METRICS_PORT: String(port)
      }
      const served = yield* scrape(port).pipe(
        Effect.provide(Prometheus.layer.pipe(Layer.provide(configLayer({ ...env, CONNECTOR_EXPOSE_METRICS: "true" }))))
      )
      expect(served.body).toContain("# TYPE runs_total counter")
      const off = yield* Effect.exit(
        scrape(port).pipe(Effect.provide(Prometheus.layer.pipe(Layer.provide(configLayer(env)))))
      )
      expect(Exit.isFailure(off)).toBe(true)
    }))
})
