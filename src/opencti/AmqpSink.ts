/**
 * Bundles to OpenCTI through RabbitMQ, as pycti sends them (docs/opencti-protocol.md, "Sending bundles over
 * AMQP"): one persistent message per object, in dependency order, to the push exchange with the push routing key,
 * after announcing the expectations of the work. `send` returns only when the broker has confirmed every message,
 * because the engine advances its checkpoint right after.
 *
 * One connection and one confirm channel are kept open across sends. When the broker drops them, the
 * send in progress fails (nothing is re-published behind the caller's back: the engine decides whether
 * to retry the window) and the next send reconnects, retrying on a schedule. Publishes are pipelined:
 * every message of a bundle is written before waiting for the confirms, honouring the channel's
 * back-pressure (`drain`).
 */
import amqp, { type ConfirmChannel, type Options } from "amqplib"
import { Duration, Effect, Exit, Layer, Metric, Option, Runtime, Schedule, type Scope, SynchronizedRef } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import { BundleSink, type BundleSinkShape, SinkError } from "../importer/BundleSink.js"
import * as Metrics from "../telemetry/Metrics.js"
import { type AmqpEndpoint, connectArguments, describeEndpoint, resolveEndpoint } from "./AmqpEndpoint.js"
import { OpenCtiClient } from "./OpenCtiClient.js"
import type { OpenCtiError } from "./OpenCtiError.js"
import { encodeBundleMessage, encodeQueueMessages, type QueueMessages } from "./QueueMessage.js"
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
  /** Attempts to (re)connect before a send fails (default: backoff from 1 s to 15 s, about 1 minute). */
  readonly reconnect?: Schedule.Schedule<unknown>
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

export const DEFAULT_RECONNECT: Schedule.Schedule<unknown> = Schedule.exponential("1 second").pipe(
  Schedule.either(Schedule.spaced("15 seconds")),
  Schedule.upTo("1 minute")
)

/** pycti's message properties: persistent, UTF-8, nothing else. */
const PUBLISH_OPTIONS: Options.Publish = { persistent: true, contentEncoding: "utf-8" }

interface Session {
  readonly channel: ConfirmChannel
  /** Why the connection or the channel closed or failed; the next send then opens a new session. */
  readonly lost: () => Option.Option<string>
  readonly close: Effect.Effect<void>
}

const errorText = (error: unknown) => error instanceof Error ? error.message : String(error)

/**
 * Publishes every message (each encoded just before it is written, so the broker works while the rest
 * are built) and resolves once all are confirmed; rejects on the first nack, or when the channel closes
 * before every confirm arrived (amqplib then fails the outstanding callbacks).
 */
export const publishConfirmed = (
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  messages: QueueMessages
): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    let outstanding = messages.count
    let failed = false
    const fail = (error: unknown) => {
      if (failed) return
      failed = true
      reject(error)
    }
    const onConfirm = (error: unknown) => {
      if (error) return fail(error instanceof Error ? error : new Error(String(error)))
      if (--outstanding === 0 && !failed) resolve()
    }
    if (outstanding === 0) return resolve()
    let index = 0
    const writeMore = () => {
      try {
        while (index < messages.count && !failed) {
          const writable = channel.publish(exchange, routingKey, messages.body(index++), PUBLISH_OPTIONS, onConfirm)
          if (!writable && index < messages.count) {
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
    const sinkError = (reason: string, cause?: unknown) =>
      new SinkError({ sink: "amqp", reason, ...(cause === undefined ? {} : { cause }) })

    const connectOnce: Effect.Effect<Session, SinkError> = Effect.gen(function*() {
      const endpoint = options.currentEndpoint === undefined ? options.endpoint : yield* options.currentEndpoint
      const where = describeEndpoint(endpoint)
      const args = yield* connectArguments(endpoint, options.connectionName).pipe(
        Effect.mapError((reason) => sinkError(reason))
      )
      const model = yield* Effect.tryPromise({
        try: () => amqp.connect(args.options, args.socket),
        catch: (error) => sinkError(`cannot connect to RabbitMQ at ${where}: ${errorText(error)}`)
      })
      let lost = Option.none<string>()
      const markLost = (why: string) => {
        if (Option.isSome(lost)) return
        lost = Option.some(why)
        runFork(
          Effect.logWarning("RabbitMQ connection lost").pipe(Effect.annotateLogs({ endpoint: where, reason: why }))
        )
      }
      const close = Effect.promise(async () => {
        lost = Option.some("closed by the connector")
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
        catch: (error) => sinkError(`cannot open a confirm channel on ${where}: ${errorText(error)}`)
      }).pipe(Effect.onError(() => close))
      channel.on("error", (error: Error) => markLost(`channel error: ${error.message}`))
      channel.on("close", () => markLost("channel closed"))
      yield* Effect.logInfo("Connected to RabbitMQ").pipe(Effect.annotateLogs({ endpoint: where }))
      return { channel, lost: () => lost, close }
    })

    const connect = connectOnce.pipe(
      Effect.tapError((error) =>
        Effect.logWarning("Cannot reach RabbitMQ, retrying").pipe(
          Effect.annotateLogs({ reason: error.reason })
        )
      ),
      Effect.retry(options.reconnect ?? DEFAULT_RECONNECT)
    )

    const current = yield* SynchronizedRef.make(Option.none<Session>())
    yield* Effect.addFinalizer(() =>
      SynchronizedRef.get(current).pipe(
        Effect.flatMap(Option.match({ onNone: () => Effect.void, onSome: (open) => open.close }))
      )
    )

    /** The open session, or a new one when there is none or the last one was lost. */
    const session = SynchronizedRef.modifyEffect(current, (existing) => {
      if (Option.isSome(existing) && Option.isNone(existing.value.lost())) {
        return Effect.succeed([existing.value, existing] as const)
      }
      return Effect.gen(function*() {
        if (Option.isSome(existing)) yield* existing.value.close
        const fresh = yield* connect
        return [fresh, Option.some(fresh)] as const
      })
    })

    const perBundle = options.messages === "per-bundle"
    const send: BundleSinkShape["send"] = (bundle, workId) =>
      Effect.gen(function*() {
        if (bundle.objects.length === 0) return
        const messages: QueueMessages = perBundle
          ? { count: 1, body: () => encodeBundleMessage(bundle, options.applicantId, workId) }
          : encodeQueueMessages(bundle, options.applicantId, workId)
        const open = yield* session
        // With one message per bundle the worker announces the expectations when it splits the bundle.
        if (Option.isSome(workId) && !perBundle) {
          yield* options.addExpectations(workId.value, messages.count).pipe(
            Effect.mapError((error) =>
              sinkError(`cannot add expectations to work ${workId.value}: ${error.message}`, error)
            )
          )
        }
        const published = yield* Effect.tryPromise({
          try: () => publishConfirmed(open.channel, options.exchange, options.routingKey, messages),
          catch: (error) => {
            const lost = Option.getOrUndefined(open.lost())
            return sinkError(
              lost === undefined
                ? `RabbitMQ did not accept the bundle: ${errorText(error)}`
                : `RabbitMQ connection lost while publishing (${lost}); nothing of this bundle counts as sent`
            )
          }
        }).pipe(
          Effect.timeoutFail({
            duration: confirmTimeout,
            onTimeout: () => sinkError(`RabbitMQ did not confirm the bundle within ${Duration.format(confirmTimeout)}`)
          }),
          // After a timeout or an interruption the channel's confirms are unknown: start afresh next time.
          Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : open.close),
          Effect.exit
        )
        if (Exit.isFailure(published)) {
          yield* Metric.increment(Metrics.errors)
          return yield* published
        }
        yield* Metric.incrementBy(Metrics.bundlesSent, messages.count)
      }).pipe(Effect.withSpan("AmqpSink.send", { attributes: { objects: bundle.objects.length } }))

    return { send }
  })

/** The sink from the registration (push exchange and routing, RabbitMQ connection) and the MQ_* settings. */
export const layer: Layer.Layer<BundleSink, never, OpenCtiRegistration | OpenCtiClient | ConnectorConfig> = Layer
  .scoped(
    BundleSink,
    Effect.gen(function*() {
      const registration = yield* OpenCtiRegistration
      const client = yield* OpenCtiClient
      const settings = yield* ConnectorConfig
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
        messages: settings.connector.queueMessages
      })
    })
  )
