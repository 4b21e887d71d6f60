/**
 * Several sinks at once (CONNECTOR_SEND_TO_QUEUE and CONNECTOR_SEND_TO_DIRECTORY both on, as pycti
 * allows): a bundle counts as delivered once every sink accepted it.
 */
import { Effect } from "effect"
import { BundleSink, type BundleSinkShape } from "./BundleSink.js"

export const fanOut = (sinks: ReadonlyArray<BundleSinkShape>): BundleSinkShape =>
  sinks.length === 1
    ? sinks[0]!
    : BundleSink.of({
      send: (bundle, workId) => Effect.forEach(sinks, (sink) => sink.send(bundle, workId), { discard: true }),
      concurrentSends: Math.min(...sinks.map((sink) => sink.concurrentSends ?? 1))
    })
