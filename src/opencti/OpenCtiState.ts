/**
 * The connector state kept on the platform (docs/opencti-protocol.md, "Ping and state"). There is no state
 * mutation in OpenCTI: state travels in the `state` argument of `pingConnector`. So:
 * - the initial state is the registration's `connector_state`, read with pycti's rules;
 * - `set` stores the state locally, then pings at once and returns only when the platform has it;
 * - a background fiber pings every 40 s with the state and `connector_info`, as pycti's PingAlive does;
 * - when the platform answers a state other than the one sent, an administrator reset it: the local state
 *   becomes none and the next ping sends `"null"`. Unlike pycti's `force_ping`, we never send the old
 *   state again afterwards, and a pass that was running when the reset happened cannot checkpoint over it.
 *   The exception is the first answer of a process that started without a state: a reset cannot undo
 *   anything then, so a mismatch is the platform's pending reset flag, and the state is sent once more.
 * Pings never overlap (a semaphore), so an older state can never land on the platform after a newer one.
 */
import canonicalize from "canonicalize"
import { Context, Duration, Effect, Layer, Metric, Option, Ref, Schedule, type Scope } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import { ConnectorState, type ConnectorStateShape, type StateData, StateError } from "../importer/ConnectorState.js"
import * as Metrics from "../telemetry/Metrics.js"
import { retrySchedule, retryWhileUnreachable } from "./ApiRetry.js"
import { ConnectorInfo, toConnectorInfoInput } from "./ConnectorInfo.js"
import { OpenCtiClient } from "./OpenCtiClient.js"
import { isTransient, type OpenCtiError } from "./OpenCtiError.js"
import { Recoveries } from "./Recoveries.js"
import { OpenCtiRegistration } from "./Registration.js"

/** pycti's `get_state`: a non-empty JSON object, otherwise none (parse errors included). */
export const parseState = (text: string | null): Option.Option<StateData> => {
  if (text === null || text === "") return Option.none()
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0
      ? Option.some(value as StateData)
      : Option.none()
  } catch {
    return Option.none()
  }
}

/** The `state` argument of a ping: the state's JSON text, or `"null"` when there is none. */
export const stateText = (state: Option.Option<StateData>): string =>
  Option.match(state, { onNone: () => "null", onSome: (data) => JSON.stringify(data) })

/** Deep equality of two states, independent of key order. */
const sameState = (a: Option.Option<StateData>, b: Option.Option<StateData>): boolean =>
  Option.isNone(a) ? Option.isNone(b) : Option.isSome(b) && canonicalize(a.value) === canonicalize(b.value)

/** An immediate ping, for the end of a run-and-terminate pass (sends the final connector_info). */
export interface PlatformPingShape {
  /** Pings now with the state and connector_info (retried while the platform is unreachable). */
  readonly now: Effect.Effect<void, StateError>
}

export class PlatformPing extends Context.Tag("connector/PlatformPing")<PlatformPing, PlatformPingShape>() {}

export interface OpenCtiStateOptions {
  /** Ping every `pingInterval` in the background (pycti: 40 s). Off in run-and-terminate mode, like pycti. */
  readonly background: boolean
  readonly pingInterval?: Duration.DurationInput
  /**
   * Retries of the forced ping of `set` while the platform is unreachable, before `set` fails (default:
   * backoff for OPENCTI_RETRY_TIMEOUT, so that a checkpoint outlives a platform restart).
   */
  readonly forcePingRetry?: Schedule.Schedule<unknown>
}

export const DEFAULT_PING_INTERVAL = Duration.seconds(40)
const RESET_REASON = "the state was reset on the OpenCTI platform; the next pass starts from the beginning"

export const make = (
  options: OpenCtiStateOptions
): Effect.Effect<
  { readonly state: ConnectorStateShape; readonly ping: PlatformPingShape },
  never,
  OpenCtiClient | OpenCtiRegistration | ConnectorInfo | ConnectorConfig | Recoveries | Scope.Scope
> =>
  Effect.gen(function*() {
    const client = yield* OpenCtiClient
    const registration = yield* OpenCtiRegistration
    const info = yield* ConnectorInfo
    const settings = yield* ConnectorConfig
    const recoveries = yield* Recoveries
    const current = yield* Ref.make(parseState(registration.connectorState))
    // Bumped at every remote reset; `set` refuses to write a state read before the latest reset.
    const resets = yield* Ref.make(0)
    const resetsSeenByReader = yield* Ref.make(0)
    const lock = yield* Effect.makeSemaphore(1)
    // A reset leaves a flag on the platform that swallows the next ping (the state sent is not stored). When
    // this process started without a state, a reset before its first ping was answered can undo nothing: a
    // mismatch then is that flag (typically a reset made while the connector was stopped), and the same
    // state is pinged again instead of failing the first checkpoint.
    const startedWithoutState = yield* Ref.make(Option.isNone(yield* Ref.get(current)))

    const send = (sent: Option.Option<StateData>) =>
      Effect.gen(function*() {
        const answer = yield* client.ping(stateText(sent), toConnectorInfoInput(yield* Ref.get(info)))
        yield* Metric.increment(Metrics.pingApi)
        return sameState(parseState(answer.connectorState), sent)
      })

    /** One ping with the current state; true when the platform kept it, false when it was reset there. */
    const pingOnce: Effect.Effect<boolean, OpenCtiError> = Effect.gen(function*() {
      const sent = yield* Ref.get(current)
      const kept = yield* send(sent)
      const resendable = yield* Ref.getAndSet(startedWithoutState, false)
      if (kept || (resendable && (yield* send(sent)))) return true
      yield* Ref.set(current, Option.none())
      yield* Ref.update(resets, (n) => n + 1)
      yield* Effect.logWarning("Connector state has been remotely reset")
      return false
    }).pipe(
      Effect.tapError(() => Metric.increment(Metrics.pingApiErrors)),
      lock.withPermits(1)
    )

    const forcedPing = retryWhileUnreachable("pingConnector", pingOnce, {
      schedule: options.forcePingRetry ?? retrySchedule(settings.opencti.retryTimeout),
      recoveries,
      retryable: isTransient
    }).pipe(
      Effect.tapError(() => Metric.increment(Metrics.errors)),
      Effect.mapError((cause) =>
        new StateError({ reason: `cannot send the state to OpenCTI: ${cause.message}`, cause })
      )
    )

    const state: ConnectorStateShape = {
      get: Effect.gen(function*() {
        yield* Ref.set(resetsSeenByReader, yield* Ref.get(resets))
        return yield* Ref.get(current)
      }),
      set: (data) =>
        Effect.gen(function*() {
          if ((yield* Ref.get(resets)) !== (yield* Ref.get(resetsSeenByReader))) {
            return yield* new StateError({ reason: RESET_REASON })
          }
          yield* Ref.set(current, Option.some(data))
          const kept = yield* forcedPing
          if (!kept) return yield* new StateError({ reason: RESET_REASON })
        })
    }

    if (options.background) {
      yield* pingOnce.pipe(
        Effect.catchAll((error) =>
          Effect.logError("Error pinging the API").pipe(Effect.annotateLogs({ reason: error.message }))
        ),
        Effect.repeat(Schedule.spaced(options.pingInterval ?? DEFAULT_PING_INTERVAL)),
        Effect.forkScoped
      )
    }

    return { state, ping: { now: Effect.asVoid(forcedPing) } }
  })

/** ConnectorState and PlatformPing on the platform, with the background ping while the layer lives. */
export const layer = (
  options: OpenCtiStateOptions
): Layer.Layer<
  ConnectorState | PlatformPing,
  never,
  OpenCtiClient | OpenCtiRegistration | ConnectorInfo | ConnectorConfig | Recoveries
> =>
  Layer.scopedContext(
    Effect.map(
      make(options),
      ({ ping, state }) => Context.make(ConnectorState, state).pipe(Context.add(PlatformPing, ping))
    )
  )
