/**
 * When passes run (docs/opencti-protocol.md, "Scheduler"): `run` imports at once, then again
 * CONNECTOR_DURATION_PERIOD after the previous pass ended, skipping a pass while the platform's queue is over the
 * threshold; a failed pass is logged (its work is closed in error) and never stops the loop. Run-and-terminate
 * does one pass (unless the queue is over the threshold) and a final ping.
 */
import { Clock, DateTime, Duration, Effect, Metric, Option, Schedule } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import * as Metrics from "../telemetry/Metrics.js"
import { Importer } from "./Importer.js"
import type { PassFailed } from "./PassFailed.js"
import type { PassSummary } from "./PassStats.js"
import { RunHooks } from "./RunHooks.js"

/** True when the configuration asks for a single pass (pycti: run_and_terminate, or a period of 0). */
export const isRunAndTerminate = (settings: ConnectorConfig["Type"]): boolean =>
  settings.connector.runAndTerminate || Duration.toMillis(settings.connector.durationPeriod) < 1000

const runPassCounted = Effect.flatMap(Importer, (importer) =>
  Effect.zipRight(
    Effect.zipRight(Metric.increment(Metrics.runs), Metrics.setRunState("running")),
    importer.runPass.pipe(Effect.ensuring(Metrics.setRunState("idle")))
  ))

/** Passes forever; interrupted (SIGTERM/SIGINT) between or during passes. */
export const runForever: Effect.Effect<never, never, Importer | RunHooks | ConnectorConfig> = Effect.gen(
  function*() {
    const settings = yield* ConnectorConfig
    const hooks = yield* RunHooks
    const period = settings.connector.durationPeriod
    let first = true
    const tick = Effect.gen(function*() {
      // The first pass runs at once, without a queue check (pycti does the same).
      const ran = first || (yield* hooks.mayRun)
      first = false
      if (ran) {
        yield* runPassCounted.pipe(
          Effect.catchAll((error) =>
            Effect.logError("Pass failed; the next pass resumes from the last completed window", {
              reason: error.reason
            })
          )
        )
      } else {
        yield* Effect.logInfo("Pass skipped: the OpenCTI push queue is over CONNECTOR_QUEUE_THRESHOLD")
      }
      const next = DateTime.addDuration(DateTime.unsafeMake(yield* Clock.currentTimeMillis), period)
      yield* hooks.passEnded(ran, Option.some(next))
      yield* Effect.logInfo("Next pass", { at: DateTime.formatIso(next) })
    })
    yield* Metrics.registerPyctiCounters
    yield* Metrics.setRunState("idle")
    return yield* tick.pipe(
      Effect.repeat(Schedule.spaced(period)),
      Effect.zipRight(Effect.never),
      Effect.onInterrupt(() =>
        Effect.zipRight(
          Metrics.setRunState("stopped"),
          Effect.logInfo("Connector stopping; the state keeps the last completed window")
        )
      )
    )
  }
)

/** One pass (unless the queue is over the threshold), then the final ping, whatever the pass's outcome. */
export const runAndTerminate: Effect.Effect<Option.Option<PassSummary>, PassFailed, Importer | RunHooks> = Effect.gen(
  function*() {
    const hooks = yield* RunHooks
    const ran = yield* hooks.mayRun
    if (!ran) {
      yield* Effect.logInfo("Pass skipped: the OpenCTI push queue is over CONNECTOR_QUEUE_THRESHOLD")
      yield* hooks.passEnded(false, Option.none())
      return Option.none<PassSummary>()
    }
    return yield* runPassCounted.pipe(
      Effect.map(Option.some),
      Effect.ensuring(hooks.passEnded(true, Option.none()))
    )
  }
).pipe(Effect.ensuring(Effect.flatMap(RunHooks, (hooks) => hooks.terminate)))
