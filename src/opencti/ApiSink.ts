/**
 * Bundles to OpenCTI through the API (CONNECTOR_QUEUE_PROTOCOL=api; docs/opencti-protocol.md, "Sending bundles through the API"): the whole
 * bundle in one `stixBundlePush`. The platform publishes it to the worker, which splits it and adds the
 * expectations itself, so the connector adds none. The platform answers only once the bundle is queued,
 * which is the acceptance the checkpoint waits for. While the platform is unreachable (a restart), the
 * push is retried within OPENCTI_RETRY_TIMEOUT: ids are deterministic, so a bundle pushed twice upserts.
 */
import { Effect, Layer, Metric, Schedule } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import { BundleSink, type BundleSinkShape, SinkError } from "../importer/BundleSink.js"
import type { StixBundle } from "../stix/StixObject.js"
import * as Metrics from "../telemetry/Metrics.js"
import { retrySchedule, retryWhileUnreachable } from "./ApiRetry.js"
import { OpenCtiClient, type OpenCtiClientShape } from "./OpenCtiClient.js"
import { Recoveries, type RecoveriesShape } from "./Recoveries.js"

/** The bundle as pycti writes it (`stix2_create_bundle` adds `spec_version`). */
export const bundleJson = (bundle: StixBundle): string =>
  JSON.stringify({ type: "bundle", id: bundle.id, spec_version: "2.1", objects: bundle.objects })

export interface ApiSinkOptions {
  /** Retries while the platform is unreachable (default: none). */
  readonly retry?: Schedule.Schedule<unknown>
  readonly recoveries?: RecoveriesShape
}

export const make = (client: OpenCtiClientShape, options: ApiSinkOptions = {}): BundleSinkShape => ({
  send: (bundle, workId) =>
    bundle.objects.length === 0
      // The platform rejects an empty bundle ("Invalid bundle"); there is nothing to deliver.
      ? Effect.void
      : retryWhileUnreachable("stixBundlePush", client.stixBundlePush(bundleJson(bundle), workId), {
        schedule: options.retry ?? Schedule.stop,
        ...(options.recoveries === undefined ? {} : { recoveries: options.recoveries })
      }).pipe(
        Effect.zipRight(Metric.increment(Metrics.bundlesSent)),
        Effect.tapError(() => Metric.increment(Metrics.errors)),
        Effect.mapError((error) => new SinkError({ sink: "api", reason: error.message, cause: error }))
      )
})

export const layer: Layer.Layer<BundleSink, never, OpenCtiClient | ConnectorConfig | Recoveries> = Layer.effect(
  BundleSink,
  Effect.gen(function*() {
    const client = yield* OpenCtiClient
    const settings = yield* ConnectorConfig
    const recoveries = yield* Recoveries
    return make(client, { retry: retrySchedule(settings.opencti.retryTimeout), recoveries })
  })
)
