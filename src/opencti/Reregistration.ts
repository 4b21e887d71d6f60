/**
 * Registering again when the platform forgets the connector (an administrator deleted it in the UI, or the
 * platform was restored from a backup older than the registration). pycti fails every call from then on;
 * here, a ping, `workAdd` or the queue query that answers "unknown connector" registers again with the
 * same input as at start, then is repeated once. The connector state is not touched: the state this process
 * last sent goes with the next ping, so the import continues from its last checkpoint (a deliberate reset,
 * an empty state from a platform that still knows the connector, is told apart in `OpenCtiState.ts`).
 *
 * Re-registrations are serialized, and a fiber that failed before another one registered again just
 * repeats its call. A platform that keeps forgetting the connector is not hammered: the first
 * re-registration after a quiet period is immediate, the next ones wait on a backoff.
 */
import { Clock, Context, Duration, Effect, Metric, Ref, Schedule } from "effect"
import * as Metrics from "../telemetry/Metrics.js"
import type { Registration } from "./Answers.js"
import type { OpenCtiClientShape, RegisterConnectorInput } from "./OpenCtiClient.js"
import { isTransient, type OpenCtiError } from "./OpenCtiError.js"

/** The latest registration answer of this process (the RabbitMQ endpoint may change with it). */
export class CurrentRegistration extends Context.Tag("connector/CurrentRegistration")<
  CurrentRegistration,
  Effect.Effect<Registration>
>() {}

export interface ReregistrationOptions {
  /** Retries of `registerConnector` itself while the platform is unreachable. */
  readonly retry?: Schedule.Schedule<unknown>
  /** Waits between re-registrations that follow each other within `quietPeriod` (default 5 s doubling, at most 5 min). */
  readonly backoff?: Schedule.Schedule<unknown>
  /** After this long without a re-registration, the next one is immediate again (default 10 minutes). */
  readonly quietPeriod?: Duration.DurationInput
}

export const DEFAULT_BACKOFF: Schedule.Schedule<unknown> = Schedule.exponential("5 seconds").pipe(
  Schedule.either(Schedule.spaced("5 minutes"))
)

const DEFAULT_RETRY: Schedule.Schedule<unknown> = Schedule.exponential("1 second").pipe(
  Schedule.intersect(Schedule.recurs(4))
)

export interface Reregistering {
  /** The client whose ping, `workAdd` and queue query register again when the connector is unknown. */
  readonly client: OpenCtiClientShape
  readonly current: Effect.Effect<Registration>
}

export const make = (
  client: OpenCtiClientShape,
  input: RegisterConnectorInput,
  initial: Registration,
  options: ReregistrationOptions = {}
): Effect.Effect<Reregistering> =>
  Effect.gen(function*() {
    const current = yield* Ref.make(initial)
    // Bumped at every re-registration, so that a call that failed before it does not register once more.
    const generation = yield* Ref.make(0)
    const lastAt = yield* Ref.make<number | undefined>(undefined)
    const lock = yield* Effect.makeSemaphore(1)
    const backoff = yield* Schedule.driver(options.backoff ?? DEFAULT_BACKOFF)
    const quietMillis = Duration.toMillis(Duration.decode(options.quietPeriod ?? "10 minutes"))

    const registerAgain = (seen: number, operation: string): Effect.Effect<void, OpenCtiError> =>
      Effect.gen(function*() {
        if ((yield* Ref.get(generation)) !== seen) return
        const previous = yield* Ref.get(lastAt)
        const now = yield* Clock.currentTimeMillis
        if (previous === undefined || now - previous >= quietMillis) {
          yield* backoff.reset
        } else {
          yield* Effect.logWarning("OpenCTI keeps forgetting the connector; waiting before registering again")
          yield* Effect.orDie(backoff.next(undefined))
        }
        yield* Effect.logWarning("OpenCTI no longer knows the connector; registering it again").pipe(
          Effect.annotateLogs({ connector_id: input.id, operation })
        )
        const registration = yield* client.register(input).pipe(
          Effect.retry({ schedule: options.retry ?? DEFAULT_RETRY, while: isTransient })
        )
        yield* Ref.set(current, registration)
        yield* Ref.update(generation, (n) => n + 1)
        yield* Ref.set(lastAt, yield* Clock.currentTimeMillis)
        yield* Metric.increment(Metrics.reregistrations)
        yield* Effect.logInfo("Connector registered").pipe(
          Effect.annotateLogs({ connector_id: registration.id, push_queue: registration.config.push })
        )
      }).pipe(lock.withPermits(1))

    /** `call`, and when the platform does not know the connector, a registration and `call` once more. */
    const renewing = <A>(operation: string, call: Effect.Effect<A, OpenCtiError>): Effect.Effect<A, OpenCtiError> =>
      Effect.gen(function*() {
        const seen = yield* Ref.get(generation)
        return yield* call.pipe(
          Effect.catchTag("OpenCtiConnectorUnknown", () => Effect.zipRight(registerAgain(seen, operation), call))
        )
      })

    return {
      current: Ref.get(current),
      client: {
        ...client,
        ping: (state, info) => renewing("pingConnector", client.ping(state, info)),
        connectorQueue: renewing("GetConnector", client.connectorQueue),
        workAdd: (friendlyName) => renewing("workAdd", client.workAdd(friendlyName))
      }
    }
  })
