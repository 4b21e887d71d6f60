/**
 * Where bundles go: RabbitMQ, the OpenCTI API or a directory. `send` returns only once the bundle is
 * durably accepted (publisher confirms, API answer, file renamed into place), because the engine advances
 * the checkpoint right after.
 */
import { Context, Data, type Effect, type Option } from "effect"
import type { StixBundle } from "../stix/StixObject.js"

export class SinkError extends Data.TaggedError("SinkError")<{
  /** `amqp`, `api` or `directory`. */
  readonly sink: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return `cannot deliver bundle to the ${this.sink} sink: ${this.reason}`
  }
}

export interface BundleSinkShape {
  /** Delivers one bundle; `workId` is the OpenCTI work of the current pass, when there is one. */
  readonly send: (bundle: StixBundle, workId: Option.Option<string>) => Effect.Effect<void, SinkError>
  /**
   * How many bundles may be in delivery at once (default 1). A queue keeps the order it is given, so its
   * sinks take one at a time; files are independent, and writing one while another is synced keeps the
   * converter from waiting on the disk.
   */
  readonly concurrentSends?: number
}

export class BundleSink extends Context.Tag("connector/BundleSink")<BundleSink, BundleSinkShape>() {}
