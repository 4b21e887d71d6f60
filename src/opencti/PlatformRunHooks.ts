/**
 * The scheduler's hooks with OpenCTI: the queue-threshold check before scheduled passes, the run times in
 * connector_info, and the final ping of a run-and-terminate run.
 */
import { Clock, DateTime, Effect, Layer, Option, Ref } from "effect"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { RunHooks } from "../importer/RunHooks.js"
import { checkBuffering } from "./Buffering.js"
import { ConnectorInfo } from "./ConnectorInfo.js"
import type { OpenCtiClient } from "./OpenCtiClient.js"
import { PlatformPing } from "./OpenCtiState.js"

export const layer: Layer.Layer<RunHooks, never, OpenCtiClient | ConnectorInfo | ConnectorConfig | PlatformPing> = Layer
  .effect(
    RunHooks,
    Effect.gen(function*() {
      const context = yield* Effect.context<OpenCtiClient | ConnectorInfo | ConnectorConfig>()
      const info = yield* ConnectorInfo
      const ping = yield* PlatformPing
      return RunHooks.of({
        // A failed check must not stop imports: OpenCTI may just be slow to answer this query.
        mayRun: checkBuffering.pipe(
          Effect.map((check) => !check.buffering),
          Effect.catchAll((error) =>
            Effect.as(
              Effect.logError("Cannot read the OpenCTI push queue size; running the pass anyway", {
                reason: error.message
              }),
              true
            )
          ),
          Effect.provide(context)
        ),
        passEnded: (ran, next) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Ref.update(info, (current) => ({
              ...current,
              lastRunDatetime: ran ? Option.some(DateTime.unsafeMake(now)) : current.lastRunDatetime,
              nextRunDatetime: next
            }))),
        terminate: ping.now.pipe(
          Effect.catchAll((error) => Effect.logError("The final ping to OpenCTI failed", { reason: error.message }))
        )
      })
    })
  )
