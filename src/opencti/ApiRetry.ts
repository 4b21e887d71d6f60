/**
 * OpenCTI API calls during a pass, retried while the platform is unreachable (a restart, a proxy answering
 * 502/503, resets) within OPENCTI_RETRY_TIMEOUT, so that a platform restart delays the pass instead of
 * failing it. Each outage is logged once at warning level when it starts and once when it ends, counted
 * per operation, and noted for the pass's work. When the budget is spent, the last error is returned with
 * the time spent retrying.
 */
import { Clock, Duration, Effect, Metric, Option, Ref, Schedule } from "effect"
import { isTransient, type OpenCtiError, OpenCtiUnreachable } from "./OpenCtiError.js"
import type { RecoveriesShape } from "./Recoveries.js"
import { seconds } from "./Recoveries.js"
import * as RecoveryMetrics from "./RecoveryMetrics.js"

/** Delays from 0.5 s doubling to at most 5 s, for `budget` in total. */
export const retrySchedule = (budget: Duration.DurationInput): Schedule.Schedule<unknown> =>
  Schedule.exponential("500 millis").pipe(
    Schedule.either(Schedule.spaced("5 seconds")),
    Schedule.upTo(budget)
  )

export interface RetryOptions {
  readonly schedule: Schedule.Schedule<unknown>
  /** Where the outage is noted for the work (none: only logged and counted). */
  readonly recoveries?: RecoveriesShape
  /** Which failures are retried (default: every unreachable platform). */
  readonly retryable?: (error: OpenCtiError) => boolean
}

interface Outage {
  readonly since: number
  readonly retries: number
  readonly reason: string
}

export const retryWhileUnreachable = <A>(
  operation: string,
  effect: Effect.Effect<A, OpenCtiError>,
  options: RetryOptions
): Effect.Effect<A, OpenCtiError> =>
  Effect.gen(function*() {
    const retryable = options.retryable ?? isTransient
    const outage = yield* Ref.make(Option.none<Outage>())
    const noteFailure = (error: OpenCtiError) =>
      Effect.gen(function*() {
        if (!retryable(error)) return
        const now = yield* Clock.currentTimeMillis
        const reason = error._tag === "OpenCtiUnreachable" ? error.reason : error.message
        const previous = yield* Ref.getAndUpdate(outage, (current) =>
          Option.some(Option.match(current, {
            onNone: () => ({ since: now, retries: 0, reason }),
            onSome: (known) => ({ ...known, retries: known.retries + 1, reason })
          })))
        yield* Metric.increment(RecoveryMetrics.apiRetry(operation))
        if (Option.isNone(previous)) {
          yield* Effect.logWarning("OpenCTI API is not reachable; retrying").pipe(
            Effect.annotateLogs({ operation, reason })
          )
        }
      })
    const result = yield* effect.pipe(
      Effect.tapError(noteFailure),
      Effect.retry({ schedule: options.schedule, while: retryable }),
      Effect.catchAll((error) =>
        Effect.flatMap(Effect.zip(Ref.get(outage), Clock.currentTimeMillis), ([known, now]) =>
          Option.isSome(known) && error._tag === "OpenCtiUnreachable"
            ? Effect.fail(
              new OpenCtiUnreachable({
                ...error,
                reason: `${error.reason}; still unreachable after ${
                  seconds(now - known.value.since)
                } of retries (OPENCTI_RETRY_TIMEOUT)`
              })
            )
            : Effect.fail(error))
      )
    )
    const recovered = yield* Ref.get(outage)
    if (Option.isSome(recovered)) {
      const now = yield* Clock.currentTimeMillis
      // Every failure was followed by a retry, the last one successful.
      const retries = recovered.value.retries + 1
      const text = `OpenCTI API unreachable during ${operation} (${recovered.value.reason}), answered again after ${
        seconds(now - recovered.value.since)
      } and ${retries} ${retries === 1 ? "retry" : "retries"}`
      yield* Effect.logWarning("OpenCTI API is reachable again").pipe(
        Effect.annotateLogs({ operation, retries, down_seconds: (now - recovered.value.since) / 1000 })
      )
      if (options.recoveries !== undefined) {
        yield* options.recoveries.note(text)
      }
    }
    return result
  })
