/**
 * Works on the platform (docs/opencti-protocol.md, "Works"): `workAdd` when a pass starts, `workToProcessed` (with
 * `inError` for a failed pass) when it ends. Like pycti, there is no work when CONNECTOR_SEND_TO_QUEUE is
 * false. Opening a work is retried while the platform is unreachable, within OPENCTI_RETRY_TIMEOUT (a
 * duplicate work would only be an empty entry in the UI); closing it is retried the same way, then logged,
 * never raised. The closing message ends with what the pass recovered from (RabbitMQ reconnections, an
 * OpenCTI API that was unreachable for a while), so that the work shows it.
 */
import { Effect, Layer, Metric, Option, Schedule } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import { WorkError, WorkTracker, type WorkTrackerShape } from "../importer/WorkTracker.js"
import { scrubSecrets } from "../lib/SecretScrubber.js"
import * as Metrics from "../telemetry/Metrics.js"
import { retrySchedule, retryWhileUnreachable } from "./ApiRetry.js"
import { OpenCtiClient, type OpenCtiClientShape } from "./OpenCtiClient.js"
import { recoveredSuffix, Recoveries, type RecoveriesShape } from "./Recoveries.js"

export const DEFAULT_WORK_RETRY: Schedule.Schedule<unknown> = Schedule.exponential("1 second").pipe(
  Schedule.intersect(Schedule.recurs(3))
)

export const make = (
  client: OpenCtiClientShape,
  options: {
    readonly enabled: boolean
    readonly retry?: Schedule.Schedule<unknown>
    /** The pass's recovery notes: cleared when a work opens, appended to its closing message. */
    readonly recoveries?: RecoveriesShape
  }
): WorkTrackerShape => {
  const retry = { schedule: options.retry ?? DEFAULT_WORK_RETRY }
  const notes = options.recoveries
  return {
    start: (friendlyName) =>
      options.enabled
        ? Effect.zipRight(
          notes === undefined ? Effect.void : notes.take,
          retryWhileUnreachable("workAdd", client.workAdd(friendlyName), retry)
        ).pipe(
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
          Effect.flatMap(notes === undefined ? Effect.succeed([]) : notes.take, (recovered) =>
            // The message is shown to every analyst on the platform: no secret, whatever the error quoted.
            retryWhileUnreachable(
              "workToProcessed",
              client.workToProcessed(id, scrubSecrets(`${message}${recoveredSuffix(recovered)}`), inError),
              retry
            )).pipe(
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

export const layer: Layer.Layer<WorkTracker, never, OpenCtiClient | ConnectorConfig | Recoveries> = Layer.effect(
  WorkTracker,
  Effect.gen(function*() {
    const client = yield* OpenCtiClient
    const settings = yield* ConnectorConfig
    return make(client, {
      enabled: settings.connector.sendToQueue,
      retry: retrySchedule(settings.opencti.retryTimeout),
      recoveries: yield* Recoveries
    })
  })
)
