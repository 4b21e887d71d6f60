/**
 * Prometheus metrics over HTTP when CONNECTOR_EXPOSE_METRICS is true (docs/opencti-protocol.md, "Logging and
 * metrics"): like pycti's `start_http_server`, every GET on 0.0.0.0:<CONNECTOR_METRICS_PORT> answers the text
 * exposition format. The content is Effect's metric registry: pycti's counters (`Metrics.ts`) and every other
 * Effect metric (counters, gauges, histograms, summaries, frequencies).
 */
import { Data, Effect, Layer, Metric, MetricState, Option, type Scope } from "effect"
import type { MetricPair } from "effect/MetricPair"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import { registerPyctiCounters } from "./Metrics.js"

export class MetricsServerError extends Data.TaggedError("MetricsServerError")<{
  readonly port: number
  readonly reason: string
}> {
  override get message() {
    return `cannot serve metrics on port ${this.port} (CONNECTOR_METRICS_PORT): ${this.reason}`
  }
}

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

const metricName = (name: string) => {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, "_")
  return /^[a-zA-Z_:]/.test(cleaned) ? cleaned : `_${cleaned}`
}
const labelName = (name: string) => {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, "_")
  return /^[a-zA-Z_]/.test(cleaned) ? cleaned : `_${cleaned}`
}
const labelValue = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")
const helpText = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

const number = (value: number | bigint): string => {
  if (typeof value === "bigint") return value.toString()
  if (Number.isNaN(value)) return "NaN"
  if (value === Infinity) return "+Inf"
  if (value === -Infinity) return "-Inf"
  return String(value)
}

const labels = (pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.length === 0 ? "" : `{${pairs.map(([key, value]) => `${labelName(key)}="${labelValue(value)}"`).join(",")}}`

interface Family {
  readonly type: "counter" | "gauge" | "histogram" | "summary"
  readonly help: Option.Option<string>
  readonly lines: Array<string>
}

/** The text exposition of a registry snapshot: one HELP/TYPE header per metric name, then its series. */
export const renderPrometheus = (snapshot: ReadonlyArray<MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  const family = (name: string, type: Family["type"], help: Option.Option<string>) => {
    let found = families.get(name)
    if (found === undefined) {
      found = { type, help, lines: [] }
      families.set(name, found)
    }
    return found
  }
  for (const { metricKey, metricState } of snapshot) {
    const name = metricName(metricKey.name)
    const tags = metricKey.tags.map((tag) => [tag.key, tag.value] as const)
    const help = metricKey.description
    if (MetricState.isCounterState(metricState)) {
      family(name, "counter", help).lines.push(`${name}${labels(tags)} ${number(metricState.count)}`)
    } else if (MetricState.isGaugeState(metricState)) {
      family(name, "gauge", help).lines.push(`${name}${labels(tags)} ${number(metricState.value)}`)
    } else if (MetricState.isHistogramState(metricState)) {
      const lines = family(name, "histogram", help).lines
      let sawInfinity = false
      for (const [boundary, count] of metricState.buckets) {
        sawInfinity ||= boundary === Infinity
        lines.push(`${name}_bucket${labels([...tags, ["le", number(boundary)]])} ${count}`)
      }
      if (!sawInfinity) lines.push(`${name}_bucket${labels([...tags, ["le", "+Inf"]])} ${metricState.count}`)
      lines.push(`${name}_sum${labels(tags)} ${number(metricState.sum)}`)
      lines.push(`${name}_count${labels(tags)} ${metricState.count}`)
    } else if (MetricState.isSummaryState(metricState)) {
      const lines = family(name, "summary", help).lines
      for (const [quantile, value] of metricState.quantiles) {
        lines.push(
          `${name}${labels([...tags, ["quantile", String(quantile)]])} ${number(Option.getOrElse(value, () => NaN))}`
        )
      }
      lines.push(`${name}_sum${labels(tags)} ${number(metricState.sum)}`)
      lines.push(`${name}_count${labels(tags)} ${metricState.count}`)
    } else if (MetricState.isFrequencyState(metricState)) {
      // A frequency counts occurrences of each value: one counter series per value.
      const lines = family(name, "counter", help).lines
      for (const [value, count] of metricState.occurrences) {
        lines.push(`${name}${labels([...tags, ["value", value]])} ${count}`)
      }
    }
  }
  const text: Array<string> = []
  for (const [name, { help, lines, type }] of [...families].sort(([a], [b]) => a.localeCompare(b))) {
    if (Option.isSome(help)) text.push(`# HELP ${name} ${helpText(help.value)}`)
    text.push(`# TYPE ${name} ${type}`)
    text.push(...lines)
  }
  return text.length === 0 ? "" : `${text.join("\n")}\n`
}

const listen = (options: { readonly port: number; readonly host?: string }) =>
  Effect.async<Server, MetricsServerError>((resume) => {
    const server = createServer((request, response) => {
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.writeHead(405, { allow: "GET, HEAD" })
        response.end()
        return
      }
      const body = renderPrometheus(Effect.runSync(Metric.snapshot))
      response.writeHead(200, { "content-type": CONTENT_TYPE })
      response.end(request.method === "HEAD" ? undefined : body)
    })
    server.once(
      "error",
      (error) => resume(Effect.fail(new MetricsServerError({ port: options.port, reason: error.message })))
    )
    server.listen(options.port, options.host ?? "0.0.0.0", () => resume(Effect.succeed(server)))
  })

const close = (server: Server) =>
  Effect.async<void>((resume) => {
    server.closeAllConnections()
    server.close(() => resume(Effect.void))
  })

/** Serves the registry on `host:port` for the life of the scope; returns the bound port (useful with 0). */
export const serve = (
  options: { readonly port: number; readonly host?: string }
): Effect.Effect<number, MetricsServerError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* registerPyctiCounters
    const server = yield* Effect.acquireRelease(listen(options), close)
    const port = (server.address() as AddressInfo).port
    yield* Effect.logInfo("Serving Prometheus metrics").pipe(Effect.annotateLogs({ port }))
    return port
  })

/** The metrics endpoint when CONNECTOR_EXPOSE_METRICS is true; nothing otherwise. */
export const layer: Layer.Layer<never, MetricsServerError, ConnectorConfig> = Layer.scopedDiscard(
  Effect.flatMap(
    ConnectorConfig,
    (settings) => settings.connector.exposeMetrics ? serve({ port: settings.connector.metricsPort }) : Effect.void
  )
)
