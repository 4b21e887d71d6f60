/**
 * When and how long the client waits before repeating a failed SpyCloud request: exponential backoff with
 * jitter, every delay capped, `Retry-After` honoured (and capped too), and only for failures that a
 * repetition can cure. Everything else stops at the first failure.
 */
import { Data, Duration, Effect, Option, Schedule } from "effect"

/**
 * A failure worth repeating the request for. It never leaves the client: once the retries are used up it
 * becomes a `Timeout`, `Unavailable` or `BadResponse` (see `SpycloudClientLive`).
 */
export class RetryableFailure extends Data.TaggedError("RetryableFailure")<{
  readonly reason:
    /** HTTP 504: the query was too heavy for the gateway. */
    | "gateway-timeout"
    /** Other 5xx, or 408. */
    | "server-error"
    /** HTTP 429 without the quota marker. */
    | "throttled"
    /** Connection refused or reset, DNS, TLS, connect timeout, body cut off. */
    | "transport"
    /** No complete response within the read timeout. */
    | "read-timeout"
    /** HTTP 200 whose body is not JSON or not the `{cursor, hits, results}` envelope. */
    | "bad-body"
  readonly detail: string
  /** What the server asked for in `Retry-After`, if anything. */
  readonly retryAfter: Option.Option<Duration.Duration>
}> {}

export const isRetryableFailure = (error: unknown): error is RetryableFailure =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "RetryableFailure"

export interface RetryOptions {
  /** Repetitions after the first attempt; 0 disables retrying. */
  readonly maxRetries: number
  /** Delay before the first retry; each later one doubles, then jitter of ±20 % is applied. */
  readonly initialDelay: Duration.DurationInput
  /** No delay exceeds this, `Retry-After` included. */
  readonly maxDelay: Duration.DurationInput
  /** Told about every retry before its delay starts (for logs and metrics). */
  readonly onRetry?: (failure: RetryableFailure, delay: Duration.Duration) => Effect.Effect<void>
  /** Told when a `Retry-After` longer than `maxDelay` was shortened. */
  readonly onRetryAfterCapped?: (requested: Duration.Duration) => Effect.Effect<void>
}

/**
 * The schedule for `Effect.retry`. Its input is whatever the request failed with: it continues only for
 * a `RetryableFailure` and at most `maxRetries` times.
 */
export const retryPolicy = <E>(options: RetryOptions): Schedule.Schedule<unknown, E | RetryableFailure> => {
  const maxDelay = Duration.decode(options.maxDelay)
  const onRetry = options.onRetry ?? (() => Effect.void)
  const onCapped = options.onRetryAfterCapped ?? (() => Effect.void)

  const delayFor = (failure: RetryableFailure, backoff: Duration.Duration): Effect.Effect<Duration.Duration> =>
    Option.match(failure.retryAfter, {
      onNone: () => Effect.succeed(Duration.min(backoff, maxDelay)),
      onSome: (requested) =>
        Duration.greaterThan(requested, maxDelay)
          ? Effect.as(onCapped(requested), maxDelay)
          : Effect.succeed(requested)
    })

  return Schedule.exponential(options.initialDelay, 2).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(options.maxRetries)),
    Schedule.intersect(Schedule.identity<E | RetryableFailure>()),
    Schedule.whileInput((input: E | RetryableFailure) => isRetryableFailure(input)),
    Schedule.modifyDelayEffect(([, failure], backoff) => {
      // whileInput has already stopped the schedule for anything else.
      const retryable = failure as RetryableFailure
      return Effect.tap(delayFor(retryable, backoff), (delay) => onRetry(retryable, delay))
    })
  )
}
