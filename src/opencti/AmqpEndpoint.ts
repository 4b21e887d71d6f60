/**
 * Where and how to reach RabbitMQ (docs/opencti-protocol.md, "Connection"): the connection the platform returned
 * at registration, each field overridden by its MQ_* setting, TLS when `use_ssl`, and TLS material given as a file
 * path or an inline PEM. The connection is opened from an options object rather than a URL, so that no user name,
 * password or virtual host ever needs escaping (amqplib decodes URL credentials with the legacy `unescape`, which
 * mangles non-ASCII passwords); `describe` gives a URL-like text for logs, without the password.
 */
import type { Options, SocketOptions } from "amqplib"
import { Effect, Option, Redacted } from "effect"
import { readFile } from "node:fs/promises"
import type { Settings } from "../config/ConnectorConfig.js"
import type { RabbitMqConnection } from "./Answers.js"

export interface AmqpTls {
  /** CA certificate(s): a file path or inline PEM. */
  readonly ca: Option.Option<string>
  readonly cert: Option.Option<string>
  readonly key: Option.Option<Redacted.Redacted<string>>
  readonly passphrase: Option.Option<Redacted.Redacted<string>>
  /** Verify the broker's certificate (pycti: off unless MQ_USE_SSL_REJECT_UNAUTHORIZED). */
  readonly rejectUnauthorized: boolean
}

export interface AmqpEndpoint {
  readonly host: string
  readonly port: number
  readonly vhost: string
  readonly useSsl: boolean
  readonly user: string
  readonly pass: Redacted.Redacted<string>
  readonly tls: AmqpTls
}

/** pycti's heartbeat. */
export const HEARTBEAT_SECONDS = 10

/** The registration's connection with the MQ_* overrides applied. */
export const resolveEndpoint = (connection: RabbitMqConnection, mq: Settings["mq"]): AmqpEndpoint => ({
  host: Option.getOrElse(mq.host, () => connection.host),
  port: Option.getOrElse(mq.port, () => connection.port),
  vhost: Option.getOrElse(mq.vhost, () => connection.vhost),
  useSsl: Option.getOrElse(mq.useSsl, () => connection.useSsl),
  user: Option.getOrElse(mq.user, () => connection.user),
  pass: Option.getOrElse(mq.pass, () => connection.pass),
  tls: {
    ca: mq.useSslCa,
    cert: mq.useSslCert,
    key: mq.useSslKey,
    passphrase: mq.useSslPassphrase,
    rejectUnauthorized: mq.useSslRejectUnauthorized
  }
})

const hostPart = (host: string) => host.includes(":") ? `[${host}]` : host

/** `amqp://user@host:5672/%2F`, for logs and reports: never the password. */
export const describeEndpoint = (endpoint: AmqpEndpoint): string =>
  `${endpoint.useSsl ? "amqps" : "amqp"}://${encodeURIComponent(endpoint.user)}@${
    hostPart(endpoint.host)
  }:${endpoint.port}/${encodeURIComponent(endpoint.vhost)}`

/** A PEM given inline, or the content of the file it names. A secret value is never repeated in the reason. */
const pem = (value: string, what: string, secret = false): Effect.Effect<string, string> =>
  value.trimStart().startsWith("-----BEGIN")
    ? Effect.succeed(value)
    : Effect.tryPromise({
      try: () => readFile(value, "utf8"),
      catch: (error) =>
        `${what} is neither an inline PEM nor a readable file${secret ? "" : ` (${value})`}: ${
          (error as NodeJS.ErrnoException).code ?? (error as Error).message
        }`
    })

/** The `amqplib.connect` arguments; fails with a readable reason when TLS material cannot be read. */
export const connectArguments = (
  endpoint: AmqpEndpoint,
  connectionName: string
): Effect.Effect<{ readonly options: Options.Connect; readonly socket: SocketOptions }, string> =>
  Effect.gen(function*() {
    const options: Options.Connect = {
      protocol: endpoint.useSsl ? "amqps" : "amqp",
      hostname: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      password: Redacted.value(endpoint.pass),
      // amqplib unescapes the virtual host of an options object; escaping it keeps `%` literal.
      vhost: encodeURIComponent(endpoint.vhost),
      heartbeat: HEARTBEAT_SECONDS
    }
    const socket: Record<string, unknown> = {
      clientProperties: { connection_name: connectionName },
      noDelay: true,
      timeout: 30_000
    }
    if (endpoint.useSsl) {
      const { tls } = endpoint
      socket.rejectUnauthorized = tls.rejectUnauthorized
      if (Option.isSome(tls.ca)) socket.ca = yield* pem(tls.ca.value, "MQ_USE_SSL_CA")
      if (Option.isSome(tls.cert)) socket.cert = yield* pem(tls.cert.value, "MQ_USE_SSL_CERT")
      if (Option.isSome(tls.key)) socket.key = yield* pem(Redacted.value(tls.key.value), "MQ_USE_SSL_KEY", true)
      if (Option.isSome(tls.passphrase)) socket.passphrase = Redacted.value(tls.passphrase.value)
    }
    return { options, socket: socket as SocketOptions }
  })
