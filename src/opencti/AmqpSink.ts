/**
 * Bundles to OpenCTI through RabbitMQ, as pycti sends them (docs/opencti-protocol.md, "Sending bundles over
 * AMQP"): one persistent message per object, in dependency order, to the push exchange with the push routing key,
 * after announcing the expectations of the work. `send` returns only when the broker has confirmed every message,
 * because the engine advances its checkpoint right after.
 *
 * One connection and one confirm channel are kept open across sends. When the broker drops them (a
 * restart, a network cut), the send in progress reconnects with backoff and publishes again the messages
 * the broker had not confirmed, for at most MQ_RECONNECT_TIMEOUT; ids are deterministic, so a message the
 * broker did receive becomes an upsert. Only then does the send fail, and the checkpoint stays before the
 * window. Re-sent messages add no expectations: the work then completes when the worker's reports reach
 * the count (a few more reports than expected, never fewer). Publishes are pipelined: every message of a
 * bundle is written before waiting for the confirms, honouring the channel's back-pressure (`drain`).
 */
import amqp, { type ConfirmChannel, type Options } from "amqplib"
import {
  Clock,
  Data,
  Duration,
  Effect,
  Exit,
  Layer,
  Metric,
  Option,
  Ref,
  Runtime,
  Schedule,
  type Scope,
  SynchronizedRef
} from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import { BundleSink, type BundleSinkShape, SinkError } from "../importer/BundleSink.js"
import * as Metrics from "../telemetry/Metrics.js"
import { type AmqpEndpoint, connectArguments, describeEndpoint, resolveEndpoint } from "./AmqpEndpoint.js"
import { retrySchedule, retryWhileUnreachable } from "./ApiRetry.js"
import { OpenCtiClient } from "./OpenCtiClient.js"
import { isUnprocessed, type OpenCtiError } from "./OpenCtiError.js"
import { encodeBundleMessage, encodeQueueMessages, type QueueMessages } from "./QueueMessage.js"
import { Recoveries, type RecoveriesShape, seconds } from "./Recoveries.js"
import * as RecoveryMetrics from "./RecoveryMetrics.js"
import { OpenCtiRegistration } from "./Registration.js"
import { CurrentRegistration } from "./Reregistration.js"

export interface AmqpSinkOptions {
  readonly endpoint: AmqpEndpoint
  /** Read at every (re)connection when given: the endpoint of the latest registration. */
  readonly currentEndpoint?: Effect.Effect<AmqpEndpoint>
  /** The registration's `push_exchange` and `push_routing`. */
  readonly exchange: string
  readonly routingKey: string
  /** The registration's `connector_user_id`. */
  readonly applicantId: string | null
  /** Names the connection in RabbitMQ's management UI. */
  readonly connectionName: string
  /** `addExpectations` of the OpenCTI client. */
  readonly addExpectations: (workId: string, expectations: number) => Effect.Effect<void, OpenCtiError>
  /**
   * Reconnections (and re-sends) of one send before it fails; the default backs off from 0.5 s to 5 s for
   * `reconnectTimeout`.
   */
  readonly reconnect?: Schedule.Schedule<unknown>
  /** MQ_RECONNECT_TIMEOUT (default 5 minutes), when `reconnect` is not given. */
  readonly reconnectTimeout?: Duration.DurationInput
  /** Retries of `addExpectations` while OpenCTI is unreachable (default: none). */
  readonly apiRetry?: Schedule.Schedule<unknown>
  /** Where recoveries are noted for the pass's work. */
  readonly recoveries?: RecoveriesShape
  /** Time allowed for the broker to confirm a bundle's messages (default 5 minutes). */
  readonly confirmTimeout?: Duration.DurationInput
  /**
   * `per-object` (default, pycti's way): one message per object, in dependency order, after adding as many
   * expectations to the work. `per-bundle`: the whole bundle in one message, which OpenCTI's worker splits and
   * re-publishes itself, adding the expectations itself (docs/opencti-protocol.md, "One message per bundle"); far
   * fewer messages for the connector, the same work for the platform.
   */
  readonly messages?: "per-object" | "per-bundle"
}

export const DEFAULT_RECONNECT_TIMEOUT = Duration.minutes(5)

/** Reconnection delays: from 0.5 s doubling to at most 5 s, for `budget` in total. */
export const reconnectSchedule = (budget: Duration.DurationInput): Schedule.Schedule<unknown> =>
  Schedule.exponential("500 millis").pipe(Schedule.either(Schedule.spaced("5 seconds")), Schedule.upTo(budget))

/** pycti's message properties: persistent, UTF-8, nothing else. */
const PUBLISH_OPTIONS: Options.Publish = { persistent: true, contentEncoding: "utf-8" }

interface Session {
  readonly channel: ConfirmChannel
  /** Why the connection or the channel closed or failed; the next send then opens a new session. */
  readonly lost: () => Option.Option<{ readonly reason: string; readonly at: number }>
  readonly close: Effect.Effect<void>
}

/** The broker cannot be reached or dropped the connection: worth reconnecting and publishing again. */
class BrokerLost extends Data.TaggedError("BrokerLost")<{ readonly reason: string; readonly since: number }> {}

const errorText = (error: unknown) => error instanceof Error ? error.message : String(error)

/**
 * Publishes the messages whose index is in `pending` (each encoded just before it is written, so the broker
 * works while the rest are built), marks each in `confirmed` as the broker confirms it, and resolves once
 * all are; rejects on the first nack, or when the channel closes before every confirm arrived (amqplib then
 * fails the outstanding callbacks). After a rejection, `confirmed` tells which messages the broker has.
 */
export const publishConfirmed = (
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  messages: QueueMessages,
  pending: ReadonlyArray<number> = Array.from({ length: messages.count }, (_, index) => index),
  confirmed: Uint8Array = new Uint8Array(messages.count)
): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    let outstanding = pending.length
    let failed = false
    const fail = (error: unknown) => {
      if (failed) return
      failed = true
      reject(error)
    }
    const onConfirm = (message: number) => (error: unknown) => {
      if (error) return fail(error instanceof Error ? error : new Error(String(error)))
      confirmed[message] = 1
      if (--outstanding === 0 && !failed) resolve()
    }
    if (outstanding === 0) return resolve()
    let position = 0
    const writeMore = () => {
      try {
        while (position < pending.length && !failed) {
          const message = pending[position++]!
          const writable = channel.publish(
            exchange,
            routingKey,
            messages.body(message),
            PUBLISH_OPTIONS,
            onConfirm(message)
          )
          if (!writable && position < pending.length) {
            // The socket buffer is full: continue when it drains (or stop when the channel dies).
            const resume = () => {
              channel.off("drain", resume)
              channel.off("close", resume)
              if (!failed) writeMore()
            }
            channel.on("drain", resume)
            channel.on("close", resume)
            return
          }
        }
      } catch (error) {
        fail(error)
      }
    }
    writeMore()
  })

export const make = (options: AmqpSinkOptions): Effect.Effect<BundleSinkShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    // amqplib reports through events; log them with this layer's logger.
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const confirmTimeout = Duration.decode(options.confirmTimeout ?? "5 minutes")
    const budget = Duration.decode(options.reconnectTimeout ?? DEFAULT_RECONNECT_TIMEOUT)
    const reconnect = options.reconnect ?? reconnectSchedule(budget)
    const sinkError = (reason: string, cause?: unknown) =>
      new SinkError({ sink: "amqp", reason, ...(cause === undefined ? {} : { cause }) })

    // The endpoint of the latest connection attempt, for the logs: a re-registration may move it.
    let where = describeEndpoint(options.endpoint)
    const connectOnce: Effect.Effect<Session, BrokerLost | SinkError> = Effect.gen(function*() {
      const endpoint = options.currentEndpoint === undefined ? options.endpoint : yield* options.currentEndpoint
      where = describeEndpoint(endpoint)
      const args = yield* connectArguments(endpoint, options.connectionName).pipe(
        Effect.mapError((reason) => sinkError(reason))
      )
      const attemptedAt = yield* Clock.currentTimeMillis
      const model = yield* Effect.tryPromise({
        try: () => amqp.connect(args.options, args.socket),
        catch: (error) =>
          new BrokerLost({ reason: `cannot connect to RabbitMQ at ${where}: ${errorText(error)}`, since: attemptedAt })
      })
      let lost = Option.none<{ readonly reason: string; readonly at: number }>()
      const markLost = (why: string) => {
        if (Option.isSome(lost)) return
        lost = Option.some({ reason: why, at: Date.now() })
        runFork(
          Effect.logWarning("RabbitMQ connection lost").pipe(Effect.annotateLogs({ endpoint: where, reason: why }))
        )
      }
      const close = Effect.promise(async () => {
        if (Option.isNone(lost)) lost = Option.some({ reason: "closed by the connector", at: Date.now() })
        await model.close().catch(() => undefined)
      })
      // Without an `error` listener, an emitted error would crash the process.
      model.on("error", (error: Error) => markLost(error.message))
      model.on("close", (error?: Error) => markLost(error?.message ?? "connection closed"))
      model.on("blocked", (reason: string) => {
        runFork(Effect.logWarning("RabbitMQ is blocking publishes").pipe(Effect.annotateLogs({ reason })))
      })
      const channel = yield* Effect.tryPromise({
        try: () => model.createConfirmChannel(),
        catch: (error) =>
          new BrokerLost({
            reason: `cannot open a confirm channel on ${where}: ${errorText(error)}`,
            since: attemptedAt
          })
      }).pipe(Effect.onError(() => close))
      channel.on("error", (error: Error) => markLost(`channel error: ${error.message}`))
      channel.on("close", () => markLost("channel closed"))
      yield* Effect.logInfo("Connected to RabbitMQ").pipe(Effect.annotateLogs({ endpoint: where }))
      return { channel, lost: () => lost, close }
    })

    const current = yield* SynchronizedRef.make(Option.none<Session>())
    yield* Effect.addFinalizer(() =>
      SynchronizedRef.get(current).pipe(
        Effect.flatMap(Option.match({ onNone: () => Effect.void, onSome: (open) => open.close }))
      )
    )

    /**
     * The open session, or a new one (one attempt) when there is none or the last one was lost; a lost
     * session fails with the time it was lost, so that the outage is measured from then.
     */
    const session = SynchronizedRef.modifyEffect(current, (existing) => {
      if (Option.isSome(existing) && Option.isNone(existing.value.lost())) {
        return Effect.succeed([existing.value, existing] as const)
      }
      return Effect.gen(function*() {
        const previous = Option.flatMap(existing, (open) => open.lost())
        if (Option.isSome(existing)) yield* existing.value.close
        const fresh = yield* connectOnce.pipe(
          Effect.mapError((error) =>
            error._tag === "BrokerLost" && Option.isSome(previous)
              ? new BrokerLost({ reason: error.reason, since: Math.min(error.since, previous.value.at) })
              : error
          )
        )
        if (Option.isSome(previous)) yield* Metric.increment(RecoveryMetrics.rabbitmqReconnections)
        return [fresh, Option.some(fresh)] as const
      })
    })

    const addExpectations = (workId: string, count: number) =>
      retryWhileUnreachable("addExpectations", options.addExpectations(workId, count), {
        schedule: options.apiRetry ?? Schedule.stop,
        ...(options.recoveries === undefined ? {} : { recoveries: options.recoveries }),
        // Repeating a call the platform may have applied would count these messages twice, and the work
        // would never complete; only a call that surely did not reach the platform is sent again.
        retryable: isUnprocessed
      }).pipe(
        Effect.mapError((error) => sinkError(`cannot add expectations to work ${workId}: ${error.message}`, error))
      )

    const perBundle = options.messages === "per-bundle"
    const send: BundleSinkShape["send"] = (bundle, workId) =>
      Effect.gen(function*() {
        if (bundle.objects.length === 0) return
        const messages: QueueMessages = perBundle
          ? { count: 1, body: () => encodeBundleMessage(bundle, options.applicantId, workId) }
          : encodeQueueMessages(bundle, options.applicantId, workId)
        // With one message per bundle the worker announces the expectations when it splits the bundle.
        if (Option.isSome(workId) && !perBundle) yield* addExpectations(workId.value, messages.count)
        const confirmed = new Uint8Array(messages.count)
        // Messages written at least once: publishing one of these again is a re-send.
        const written = new Uint8Array(messages.count)
        const unconfirmed = () => {
          const pending: Array<number> = []
          for (let index = 0; index < messages.count; index++) if (confirmed[index] === 0) pending.push(index)
          return pending
        }
        // The first loss of this send (and the last reason), and how many messages were published again.
        const outage = yield* Ref.make(
          Option.none<{ readonly since: number; readonly first: string; readonly last: string }>()
        )
        const resent = yield* Ref.make(0)

        const attempt = Effect.gen(function*() {
          const open = yield* session
          const pending = unconfirmed()
          let again = 0
          for (const index of pending) {
            again += written[index]!
            written[index] = 1
          }
          yield* Ref.update(resent, (n) => n + again)
          const startedAt = yield* Clock.currentTimeMillis
          yield* Effect.tryPromise({
            try: () =>
              publishConfirmed(open.channel, options.exchange, options.routingKey, messages, pending, confirmed),
            catch: (error) =>
              Option.match(open.lost(), {
                onNone: () => sinkError(`RabbitMQ did not accept the bundle: ${errorText(error)}`),
                onSome: (lost) =>
                  new BrokerLost({ reason: `connection lost while publishing (${lost.reason})`, since: startedAt })
              })
          }).pipe(
            Effect.timeoutFail({
              duration: confirmTimeout,
              onTimeout: () =>
                sinkError(`RabbitMQ did not confirm the bundle within ${Duration.format(confirmTimeout)}`)
            }),
            // After a failure or an interruption the channel's confirms are unknown: start afresh next time.
            Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : open.close)
          )
        })

        const delivered = yield* attempt.pipe(
          Effect.tapError((error) =>
            error._tag === "BrokerLost"
              ? Effect.gen(function*() {
                const first = yield* Ref.getAndUpdate(outage, (known) =>
                  Option.some(Option.match(known, {
                    onNone: () => ({ since: error.since, first: error.reason, last: error.reason }),
                    onSome: (k) => ({ ...k, last: error.reason })
                  })))
                if (Option.isNone(first)) {
                  yield* Effect.logWarning("RabbitMQ unavailable; reconnecting and re-sending unconfirmed messages")
                    .pipe(Effect.annotateLogs({ endpoint: where, reason: error.reason }))
                }
              })
              : Effect.void
          ),
          Effect.retry({ schedule: reconnect, while: (error) => error._tag === "BrokerLost" }),
          Effect.catchTag("BrokerLost", (error) =>
            Effect.flatMap(Effect.zip(Ref.get(outage), Clock.currentTimeMillis), ([known, now]) => {
              // The outage as a whole: from the first loss, with its last reason.
              const down = Option.match(known, { onNone: () => 0, onSome: (k) => now - k.since })
              const missing = unconfirmed().length
              return Effect.fail(
                sinkError(
                  `RabbitMQ unavailable for ${seconds(down)}, longer than MQ_RECONNECT_TIMEOUT allows (${
                    Duration.format(budget)
                  }): ${error.reason}; ${missing} of the bundle's ${messages.count} messages unconfirmed, so the window does not count as sent`
                )
              )
            })),
          Effect.exit
        )
        if (Exit.isFailure(delivered)) {
          yield* Metric.increment(Metrics.errors)
          return yield* delivered
        }
        yield* Metric.incrementBy(Metrics.bundlesSent, messages.count)
        const recovered = yield* Ref.get(outage)
        if (Option.isSome(recovered)) {
          const now = yield* Clock.currentTimeMillis
          const count = yield* Ref.get(resent)
          yield* Metric.incrementBy(RecoveryMetrics.messagesResent, count)
          yield* Effect.logWarning("RabbitMQ connection recovered").pipe(
            Effect.annotateLogs({
              endpoint: where,
              reason: recovered.value.first,
              down_seconds: (now - recovered.value.since) / 1000,
              messages_resent: count
            })
          )
          if (options.recoveries !== undefined) {
            yield* options.recoveries.note(
              `RabbitMQ connection lost (${recovered.value.first}), reconnected after ${
                seconds(now - recovered.value.since)
              }, resent ${
                count === 0 ? "nothing" : `${count} unconfirmed ${count === 1 ? "message" : "messages"} of 1 bundle`
              }`
            )
          }
        }
      }).pipe(Effect.withSpan("AmqpSink.send", { attributes: { objects: bundle.objects.length } }))

    return { send }
  })

/** The sink from the registration (push exchange and routing, RabbitMQ connection) and the MQ_* settings. */
export const layer: Layer.Layer<
  BundleSink,
  never,
  OpenCtiRegistration | OpenCtiClient | ConnectorConfig | Recoveries
> = Layer.scoped(
  BundleSink,
  Effect.gen(function*() {
    const registration = yield* OpenCtiRegistration
    const client = yield* OpenCtiClient
    const settings = yield* ConnectorConfig
    const recoveries = yield* Recoveries
    const latest = yield* Effect.serviceOption(CurrentRegistration)
    return yield* make({
      endpoint: resolveEndpoint(registration.config.connection, settings.mq),
      ...Option.match(latest, {
        onNone: () => ({}),
        onSome: (get) => ({
          currentEndpoint: Effect.map(get, (current) => resolveEndpoint(current.config.connection, settings.mq))
        })
      }),
      exchange: registration.config.pushExchange,
      routingKey: registration.config.pushRouting,
      applicantId: registration.connectorUserId,
      connectionName: `${settings.connector.name} ${settings.connector.id}`,
      addExpectations: client.addExpectations,
      messages: settings.connector.queueMessages,
      reconnectTimeout: settings.mq.reconnectTimeout,
      apiRetry: retrySchedule(settings.opencti.retryTimeout),
      recoveries
    })
  })
)
