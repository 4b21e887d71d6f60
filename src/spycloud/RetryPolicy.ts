/**
 * When and how long the client waits before repeating a failed SpyCloud request: exponential backoff with
 * jitter, every delay capped, `Retry-After` honoured (and capped too), and only for failures that a
 * repetition can cure. Everything else stops at the first failure.
 */
import { Data, Duration, Effect, Option, Predicate, Schedule } from "effect"

/**
 * A failure worth repeating the request for. It never leaves the client: once the retries are used up it
 * becomes a `Timeout`, `Unavailable`, `BadResponse` or `ResponseTooLarge` (see `SpycloudClientLive`).
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
    /** A body larger than the response bound (abandoned unread). */
    | "too-large"
  readonly detail: string
  /** What the server asked for in `Retry-After`, if anything. */
  readonly retryAfter: Option.Option<Duration.Duration>
}> {}

export const isRetryableFailure = (error: unknown): error is RetryableFailure =>
  Predicate.isTagged(error, "RetryableFailure")

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
 * A 504 says the query is too heavy: repeating it rarely helps, a smaller query does. So once a request has
 * met a 504, it gets at most this many more attempts, whatever failed before or after (docs/decisions.md).
 */
export const RETRIES_AFTER_GATEWAY_TIMEOUT = 1

export const isGatewayTimeout = (error: unknown): boolean =>
  isRetryableFailure(error) && error.reason === "gateway-timeout"

/**
 * The schedule for `Effect.retry`. Its input is whatever the request failed with: it continues only for
 * a `RetryableFailure`, at most `maxRetries` times, and at most `RETRIES_AFTER_GATEWAY_TIMEOUT` times
 * once a 504 was met.
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

  // Retries granted since the first 504 of the chain, this one included. `reduce` outputs the count of the
  // inputs before the current one, so the current input is added here.
  const sinceGatewayTimeout = Schedule.identity<E | RetryableFailure>().pipe(
    Schedule.reduce(0, (count: number, input) => count > 0 || isGatewayTimeout(input) ? count + 1 : 0),
    Schedule.intersect(Schedule.identity<E | RetryableFailure>()),
    Schedule.map(([before, input]) => before > 0 || isGatewayTimeout(input) ? before + 1 : 0)
  )

  return Schedule.exponential(options.initialDelay, 2).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(options.maxRetries)),
    Schedule.intersect(Schedule.identity<E | RetryableFailure>()),
    Schedule.whileInput((input: E | RetryableFailure) => isRetryableFailure(input)),
    Schedule.intersect(sinceGatewayTimeout),
    Schedule.whileOutput(([, retriesSinceTimeout]) => retriesSinceTimeout <= RETRIES_AFTER_GATEWAY_TIMEOUT),
    Schedule.map(([first]) => first),
    // whileInput has already stopped the schedule for anything but a RetryableFailure.
    Schedule.modifyDelayEffect(([, failure], backoff) =>
      isRetryableFailure(failure)
        ? Effect.tap(delayFor(failure, backoff), (delay) => onRetry(failure, delay))
        : Effect.succeed(backoff)
    )
  )
}
