/**
 * Schemas of what OpenCTI answers: the GraphQL envelope and the `data` field of each operation, decoded
 * into the connector's own names. Excess fields are ignored, so newer platforms that add fields still
 * decode.
 */
import { Schema } from "effect"

/**
 * One entry of `errors`; the platform copies `extensions.code` into `name` (docs/opencti-protocol.md, "GraphQL
 * over HTTP").
 */
export const GraphqlErrorItem = Schema.Struct({
  message: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  extensions: Schema.optional(Schema.Struct({ code: Schema.optional(Schema.Unknown) }))
})
export type GraphqlErrorItem = typeof GraphqlErrorItem.Type

export const GraphqlEnvelope = Schema.Struct({
  data: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown }))),
  errors: Schema.optional(Schema.NullOr(Schema.Array(GraphqlErrorItem)))
})

const renamed = <A, I>(schema: Schema.Schema<A, I>, key: string) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(key))

/** `config.connection`: the platform's own RabbitMQ settings (often an internal host name). */
export const RabbitMqConnection = Schema.Struct({
  host: Schema.String,
  vhost: Schema.String,
  useSsl: renamed(Schema.Boolean, "use_ssl"),
  port: Schema.Int,
  user: Schema.String,
  pass: Schema.Redacted(Schema.String)
})
export type RabbitMqConnection = typeof RabbitMqConnection.Type

/** `registerConnector` (op 02). */
export const Registration = Schema.Struct({
  /** The connector's id on the platform (= CONNECTOR_ID). */
  id: Schema.String,
  /** The stored state string: null for a new connector, `""` after a reset, else what the last ping sent. */
  connectorState: renamed(Schema.NullOr(Schema.String), "connector_state"),
  config: Schema.Struct({
    connection: RabbitMqConnection,
    push: Schema.String,
    pushRouting: renamed(Schema.String, "push_routing"),
    pushExchange: renamed(Schema.String, "push_exchange")
  }),
  /** The user owning the token; every AMQP message carries it as `applicant_id`. */
  connectorUserId: renamed(Schema.NullOr(Schema.String), "connector_user_id")
})
export type Registration = typeof Registration.Type

/** `pingConnector` (op 05): only the stored state matters, to detect a platform-side reset. */
export const PingAnswer = Schema.Struct({
  id: Schema.String,
  connectorState: renamed(Schema.NullOr(Schema.String), "connector_state")
})
export type PingAnswer = typeof PingAnswer.Type

/** `connector(id)` (op 06): the push queue as RabbitMQ's management API reports it. */
export const ConnectorQueue = Schema.Struct({
  queueDetails: renamed(
    Schema.Struct({
      messagesNumber: renamed(Schema.Number, "messages_number"),
      /** Bytes. */
      messagesSize: renamed(Schema.Number, "messages_size")
    }),
    "connector_queue_details"
  )
})

/** `workAdd` (op 07). */
export const WorkAdded = Schema.Struct({ id: Schema.String })

/** `workEdit { toProcessed }` (op 10). */
export const WorkProcessed = Schema.Struct({ toProcessed: Schema.String })

/** `workEdit { addExpectations }` (op 14). */
export const ExpectationsAdded = Schema.Struct({ addExpectations: Schema.String })

/** `__type(name: "RegisterConnectorInput")` of op 21: null when the platform has no such type. */
export const InputType = Schema.NullOr(Schema.Struct({
  inputFields: Schema.NullOr(Schema.Array(Schema.Struct({ name: Schema.String })))
}))
