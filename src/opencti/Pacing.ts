/**
 * In-pass back-pressure (docs/opencti-protocol.md, "Queue threshold"): the threshold check before a pass cannot
 * stop a long backfill, which is one pass, from filling the push queue faster than OpenCTI's workers empty it.
 * So the queue sink reads the push queue's size between bundles, at most once per CONNECTOR_QUEUE_CHECK_INTERVAL
 * (a GraphQL call, never one per message), and at or over CONNECTOR_QUEUE_THRESHOLD it holds the next bundle
 * until the size is under CONNECTOR_QUEUE_LOW_WATER. The pause happens before a send, when every message sent so
 * far is confirmed, so interrupting it (SIGTERM) loses nothing; it is logged, counted, and pinged in
 * connector_info (`buffering`) so that the platform shows it.
 */
import { Clock, Duration, Effect, Metric, Option, Ref, Schedule } from "effect"
import { ConnectorConfig, type Settings } from "../config/ConnectorConfig.js"
import { BundleSink, type BundleSinkShape } from "../importer/BundleSink.js"
import { ConnectorInfo } from "./ConnectorInfo.js"
import { OpenCtiClient } from "./OpenCtiClient.js"
import { PlatformPing } from "./OpenCtiState.js"

/**
 * The low-water mark when CONNECTOR_QUEUE_LOW_WATER is unset, as a share of the threshold: far enough under it
 * that a pass does not stop again at the next check (RabbitMQ's size statistics lag by seconds), close enough that
 * the workers never run dry while the connector resumes.
 */
export const DEFAULT_LOW_WATER_SHARE = 0.8

/** CONNECTOR_QUEUE_LOW_WATER, or 80 % of CONNECTOR_QUEUE_THRESHOLD; MB. */
export const lowWaterOf = (settings: Settings): number =>
  Option.getOrElse(settings.connector.queueLowWater, () => settings.connector.queueThreshold * DEFAULT_LOW_WATER_SHARE)

export const backpressureWaits = Metric.counter("spycloud_opencti_backpressure_waits_total", {
  description: "Times a pass paused because the OpenCTI push queue was over CONNECTOR_QUEUE_THRESHOLD",
  incremental: true
})

export const backpressureWaitSeconds = Metric.counter("spycloud_opencti_backpressure_wait_seconds_total", {
  description: "Seconds passes spent paused for the OpenCTI push queue to drain under CONNECTOR_QUEUE_LOW_WATER",
  incremental: true
})

/**
 * `sink`, holding each bundle while the push queue is over the threshold. A CONNECTOR_QUEUE_CHECK_INTERVAL of 0
 * returns `sink` itself. The first bundle is checked whenever it comes (the first pass of `run` starts without a
 * check, as in pycti), later ones once the interval has passed since the last read.
 */
export const paced = (
  sink: BundleSinkShape
): Effect.Effect<BundleSinkShape, never, OpenCtiClient | ConnectorInfo | ConnectorConfig | PlatformPing> =>
  Effect.gen(function*() {
    const settings = yield* ConnectorConfig
    const interval = settings.connector.queueCheckInterval
    const intervalMillis = Duration.toMillis(interval)
    if (intervalMillis === 0) return sink
    const client = yield* OpenCtiClient
    const info = yield* ConnectorInfo
    const ping = yield* PlatformPing
    const threshold = settings.connector.queueThreshold
    const lowWater = lowWaterOf(settings)
    const lastRead = yield* Ref.make(Number.NEGATIVE_INFINITY)
    const sizes = (size: number) => ({
      queue_messages_size_mb: size,
      queue_threshold_mb: threshold,
      queue_low_water_mb: lowWater
    })

    /** The push queue's size in MB, recorded in connector_info; none when the platform did not answer. */
    const read = (buffering: boolean) =>
      client.connectorQueue.pipe(
        Effect.map((queue) => queue.messagesSize / 1_000_000),
        Effect.tap((size) => Ref.update(info, (current) => ({ ...current, buffering, queueMessagesSize: size }))),
        Effect.tap(() => Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.set(lastRead, now))),
        Effect.asSome,
        Effect.catchAll((error) =>
          Effect.as(
            Effect.logWarning("Cannot read the OpenCTI push queue size", { reason: error.message }),
            Option.none<number>()
          )
        )
      )

    // connector_info reaches the platform with pings; `once` has no background ping, so it is sent right away.
    const announce = ping.now.pipe(
      Effect.catchAll((error) => Effect.logWarning("Cannot send connector_info to OpenCTI", { reason: error.message }))
    )

    /** Waits until the queue is under the low-water mark; a failed read keeps waiting. */
    const pause = (size: number) =>
      Effect.gen(function*() {
        const started = yield* Clock.currentTimeMillis
        yield* Metric.increment(backpressureWaits)
        yield* Ref.update(info, (current) => ({ ...current, buffering: true }))
        yield* Effect.logInfo(
          "Pass paused: the OpenCTI push queue is over CONNECTOR_QUEUE_THRESHOLD; resuming under CONNECTOR_QUEUE_LOW_WATER",
          sizes(size)
        )
        yield* announce
        yield* read(true).pipe(
          Effect.repeat({ schedule: Schedule.spaced(interval), until: Option.exists((now) => now <= lowWater) }),
          Effect.delay(interval),
          Effect.ensuring(
            Effect.flatMap(
              Clock.currentTimeMillis,
              (now) => Metric.incrementBy(backpressureWaitSeconds, (now - started) / 1000)
            )
          )
        )
        const resumed = yield* Ref.updateAndGet(info, (current) => ({ ...current, buffering: false }))
        const ended = yield* Clock.currentTimeMillis
        yield* Effect.logInfo("Pass resumed: the OpenCTI push queue is under CONNECTOR_QUEUE_LOW_WATER", {
          ...sizes(resumed.queueMessagesSize),
          paused_seconds: Math.round((ended - started) / 100) / 10
        })
        yield* announce
      })

    const beforeBundle = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      if (now - (yield* Ref.get(lastRead)) < intervalMillis) return
      yield* Ref.set(lastRead, now)
      const size = yield* read(false)
      if (Option.isSome(size) && size.value >= threshold) yield* pause(size.value)
    })

    return BundleSink.of({
      send: (bundle, workId) => Effect.zipRight(beforeBundle, sink.send(bundle, workId)),
      concurrentSends: sink.concurrentSends ?? 1
    })
  })
