/**
 * Works on the platform (opencti-protocol.md §6): `workAdd` when a pass starts, `workToProcessed` (with
 * `inError` for a failed pass) when it ends. Like pycti, there is no work when CONNECTOR_SEND_TO_QUEUE is
 * false. Opening a work is retried briefly while the platform is unreachable (a duplicate work would only
 * be an empty entry in the UI); closing it is retried the same way, then logged, never raised.
 */
import { Effect, Layer, Metric, Option, Schedule } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import { WorkError, WorkTracker, type WorkTrackerShape } from "../importer/WorkTracker.js"
import { scrubSecrets } from "../lib/SecretScrubber.js"
import * as Metrics from "../telemetry/Metrics.js"
import { OpenCtiClient, type OpenCtiClientShape } from "./OpenCtiClient.js"
import { isTransient } from "./OpenCtiError.js"

export const DEFAULT_WORK_RETRY: Schedule.Schedule<unknown> = Schedule.exponential("1 second").pipe(
  Schedule.intersect(Schedule.recurs(3))
)

export const make = (
  client: OpenCtiClientShape,
  options: { readonly enabled: boolean; readonly retry?: Schedule.Schedule<unknown> }
): WorkTrackerShape => {
  const retry = { schedule: options.retry ?? DEFAULT_WORK_RETRY, while: isTransient }
  return {
    start: (friendlyName) =>
      options.enabled
        ? client.workAdd(friendlyName).pipe(
          Effect.retry(retry),
          Effect.tap((workId) => Effect.logInfo("Initiate work").pipe(Effect.annotateLogs({ work_id: workId }))),
          Effect.map(Option.some),
          Effect.tapError(() => Metric.increment(Metrics.errors)),
          Effect.mapError((cause) => new WorkError({ reason: `cannot open a work: ${cause.message}`, cause }))
        )
        : Effect.succeed(Option.none()),
    finish: (workId, message, inError) =>
      Option.match(workId, {
        onNone: () => Effect.void,
        onSome: (id) =>
          // The message is shown to every analyst on the platform: no secret, whatever the error quoted.
          client.workToProcessed(id, scrubSecrets(message), inError).pipe(
            Effect.retry(retry),
            Effect.catchAll((error) =>
              Metric.increment(Metrics.errors).pipe(
                Effect.zipRight(
                  Effect.logError("Cannot close the work").pipe(
                    Effect.annotateLogs({ work_id: id, reason: error.message })
                  )
                )
              )
            )
          )
      })
  }
}

export const layer: Layer.Layer<WorkTracker, never, OpenCtiClient | ConnectorConfig> = Layer.effect(
  WorkTracker,
  Effect.gen(function*() {
    const client = yield* OpenCtiClient
    const settings = yield* ConnectorConfig
    return make(client, { enabled: settings.connector.sendToQueue })
  })
)
