/**
 * What `check` asks of OpenCTI and RabbitMQ, once each, without waiting for them to come up:
 * - OpenCTI: the version, with the token (`about` needs a valid token);
 * - RabbitMQ: a connection with the registration's parameters and the MQ_* overrides, the push exchange
 *   and the push queue (both declared by the platform at registration).
 */
import amqp from "amqplib"
import { Data, Duration, Effect } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import { connectArguments, describeEndpoint, resolveEndpoint } from "./AmqpEndpoint.js"
import { OpenCtiClient } from "./OpenCtiClient.js"
import type { OpenCtiError } from "./OpenCtiError.js"
import { OpenCtiRegistration } from "./Registration.js"

export interface OpenCtiProbe {
  readonly endpoint: string
  readonly version: string
}

export const probeOpenCti: Effect.Effect<OpenCtiProbe, OpenCtiError, OpenCtiClient> = Effect.gen(function*() {
  const client = yield* OpenCtiClient
  return { endpoint: client.endpoint, version: yield* client.about }
})

export interface RabbitMqProbe {
  /** `amqp://user@host:port/vhost`, without the password. */
  readonly endpoint: string
  readonly pushQueue: string
  readonly pushQueueMessages: number
}

const PROBE_TIMEOUT = Duration.seconds(15)

/** Why RabbitMQ cannot be used as configured; the reason names the endpoint, never the password. */
export class RabbitMqFailed extends Data.TaggedError("RabbitMqFailed")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

export const probeRabbitMq: Effect.Effect<RabbitMqProbe, RabbitMqFailed, OpenCtiRegistration | ConnectorConfig> = Effect
  .gen(function*() {
    const registration = yield* OpenCtiRegistration
    const settings = yield* ConnectorConfig
    const endpoint = resolveEndpoint(registration.config.connection, settings.mq)
    const where = describeEndpoint(endpoint)
    const fail = (reason: string) => new RabbitMqFailed({ reason })
    const args = yield* connectArguments(endpoint, `${settings.connector.name} check`).pipe(Effect.mapError(fail))
    const messages = yield* Effect.acquireUseRelease(
      Effect.tryPromise({
        try: () => amqp.connect(args.options, args.socket),
        catch: (error) => fail(`cannot connect to RabbitMQ at ${where}: ${(error as Error).message}`)
      }).pipe(Effect.tap((model) => model.on("error", () => undefined))),
      (model) =>
        Effect.tryPromise({
          try: async () => {
            const channel = await model.createConfirmChannel()
            channel.on("error", () => undefined)
            await channel.checkExchange(registration.config.pushExchange)
            return (await channel.checkQueue(registration.config.push)).messageCount
          },
          catch: (error) =>
            fail(
              `connected to ${where}, but the push exchange ${registration.config.pushExchange} or queue ` +
                `${registration.config.push} is missing: ${(error as Error).message}`
            )
        }),
      (model) => Effect.promise(() => model.close().catch(() => undefined))
    ).pipe(
      Effect.timeoutFail({
        duration: PROBE_TIMEOUT,
        onTimeout: () => fail(`no answer from RabbitMQ at ${where} within ${Duration.format(PROBE_TIMEOUT)}`)
      })
    )
    return { endpoint: where, pushQueue: registration.config.push, pushQueueMessages: messages }
  })
