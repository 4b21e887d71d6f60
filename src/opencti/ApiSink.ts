/**
 * Bundles to OpenCTI through the API (CONNECTOR_QUEUE_PROTOCOL=api, docs/opencti-protocol.md, "Sending bundles
 * through the API"): the whole bundle in one `stixBundlePush`. The platform publishes it to the worker, which
 * splits it and adds the expectations itself, so the connector adds none. The platform answers only once the
 * bundle is queued, which is the acceptance the checkpoint waits for.
 */
import { Effect, Layer, Metric } from "effect"
import { BundleSink, type BundleSinkShape, SinkError } from "../importer/BundleSink.js"
import type { StixBundle } from "../stix/StixObject.js"
import * as Metrics from "../telemetry/Metrics.js"
import { OpenCtiClient, type OpenCtiClientShape } from "./OpenCtiClient.js"

/** The bundle as pycti writes it (`stix2_create_bundle` adds `spec_version`). */
export const bundleJson = (bundle: StixBundle): string =>
  JSON.stringify({ type: "bundle", id: bundle.id, spec_version: "2.1", objects: bundle.objects })

export const make = (client: OpenCtiClientShape): BundleSinkShape => ({
  send: (bundle, workId) =>
    bundle.objects.length === 0
      // The platform rejects an empty bundle ("Invalid bundle"); there is nothing to deliver.
      ? Effect.void
      : client.stixBundlePush(bundleJson(bundle), workId).pipe(
        Effect.zipRight(Metric.increment(Metrics.bundlesSent)),
        Effect.tapError(() => Metric.increment(Metrics.errors)),
        Effect.mapError((error) => new SinkError({ sink: "api", reason: error.message, cause: error }))
      )
})

export const layer: Layer.Layer<BundleSink, never, OpenCtiClient> = Layer.effect(
  BundleSink,
  Effect.map(OpenCtiClient, make)
)
