/**
 * The OpenCTI GraphQL API, as the connector uses it (docs/opencti-protocol.md, "GraphQL over HTTP"): `POST <OPENCTI_URL>/graphql`
 * with `{query, variables}`, `Authorization: Bearer <token>`, the custom headers and a User-Agent. Answers
 * are decoded with Schema; a GraphQL error becomes a typed error carrying the platform's name and message.
 * Nothing here retries, except the start-up health check (`awaitPlatform`): callers decide (`ApiRetry.ts`),
 * because some mutations (addExpectations) must not be repeated blindly; an unreachable platform says
 * whether the request surely was not processed.
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type { HttpClientError } from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Context, Duration, Effect, Either, Layer, Option, Redacted, Schedule, Schema } from "effect"
import { createRequire } from "node:module"
import { ConnectorConfig, type Settings } from "../config/ConnectorConfig.js"
import { parseErrorText } from "../lib/ParseErrorText.js"
import { scrubSecrets } from "../lib/SecretScrubber.js"
import * as Answers from "./Answers.js"
import type { ConnectorInfoInput } from "./ConnectorInfo.js"
import { parseCustomHeaders } from "./CustomHeaders.js"
import * as Documents from "./Documents.js"
import {
  isTransient,
  OpenCtiBadResponse,
  OpenCtiConnectorUnknown,
  type OpenCtiError,
  OpenCtiGraphqlError,
  OpenCtiUnauthorized,
  OpenCtiUnreachable
} from "./OpenCtiError.js"
import * as OpenCtiHttp from "./OpenCtiHttp.js"

/**
 * `RegisterConnectorInput` (docs/opencti-protocol.md, "Start-up and registration"); every key is sent, null ones
 * included.
 */
export interface RegisterConnectorInput {
  readonly id: string
  readonly name: string
  readonly type: "EXTERNAL_IMPORT"
  readonly scope: ReadonlyArray<string>
  readonly auto: boolean
  readonly auto_update: boolean
  readonly enrichment_resolution: string
  readonly only_contextual: boolean
  readonly playbook_compatible: boolean
  readonly listen_callback_uri: string | null
  /** 7.x only (the connector's release); sent only when the platform's input has the field. */
  readonly version?: string
  /** 7.x only (the catalog slug); sent only when the platform's input has the field. */
  readonly slug?: string
}

export interface QueueDetails {
  readonly messagesNumber: number
  /** Bytes, as RabbitMQ's management API reports them (0 when the platform cannot ask it). */
  readonly messagesSize: number
}

export interface OpenCtiClientShape {
  /** The GraphQL endpoint (for messages). */
  readonly endpoint: string
  /** Op 01: the platform's version; fails with `OpenCtiUnauthorized` on a bad token. */
  readonly about: Effect.Effect<string, OpenCtiError>
  /** Op 21: the field names of the platform's `RegisterConnectorInput`. */
  readonly registerInputFields: Effect.Effect<ReadonlyArray<string>, OpenCtiError>
  /** Op 02. */
  readonly register: (input: RegisterConnectorInput) => Effect.Effect<Answers.Registration, OpenCtiError>
  /** Op 05: `state` is the JSON text of the state, or `"null"`. */
  readonly ping: (state: string, info: ConnectorInfoInput) => Effect.Effect<Answers.PingAnswer, OpenCtiError>
  /** Op 06: this connector's push queue. */
  readonly connectorQueue: Effect.Effect<QueueDetails, OpenCtiError>
  /** Op 07: opens a work and returns its id. */
  readonly workAdd: (friendlyName: string) => Effect.Effect<string, OpenCtiError>
  /** Op 14. */
  readonly addExpectations: (workId: string, expectations: number) => Effect.Effect<void, OpenCtiError>
  /** Op 10. */
  readonly workToProcessed: (workId: string, message: string, inError: boolean) => Effect.Effect<void, OpenCtiError>
  /** Op 19: the whole bundle as JSON text. */
  readonly stixBundlePush: (bundleJson: string, workId: Option.Option<string>) => Effect.Effect<void, OpenCtiError>
}

export class OpenCtiClient extends Context.Tag("connector/OpenCtiClient")<OpenCtiClient, OpenCtiClientShape>() {}

export const { version: PACKAGE_VERSION } = createRequire(import.meta.url)("../../package.json") as { version: string }

export const USER_AGENT = `spycloud-opencti-connector/${PACKAGE_VERSION}`

export interface OpenCtiClientOptions {
  /** OPENCTI_URL; `/graphql` is appended as pycti does. */
  readonly url: string
  readonly token: Redacted.Redacted<string>
  readonly connectorId: string
  /** OPENCTI_CUSTOM_HEADERS (`name:value;name2:value2`). */
  readonly customHeaders?: Option.Option<Redacted.Redacted<string>>
  /** Time allowed for one call (default 60 s). */
  readonly timeout?: Duration.DurationInput
  /** Time allowed for stixBundlePush, which carries a whole bundle (default 300 s, pycti's timeout). */
  readonly pushTimeout?: Duration.DurationInput
}

/** The URL without user information, for messages. */
const displayUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.username = ""
    parsed.password = ""
    return parsed.toString()
  } catch {
    return url
  }
}

/** A readable account of a transport failure: the messages and codes of the cause chain. */
const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = cause
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    const text = current.message || (typeof code === "string" ? code : current.name)
    if (text !== "" && !parts.includes(text)) parts.push(text)
    current = (current as { cause?: unknown }).cause
  }
  return parts.length > 0 ? parts.join(": ") : "transport error"
}

/** Transport errors raised before a request could reach the platform. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

const neverSent = (cause: unknown): boolean => {
  let current: unknown = cause
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string" && NOT_SENT_CODES.has(code)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

const AUTH_ERRORS = new Set(["AUTH_REQUIRED", "FORBIDDEN_ACCESS"])

const UNKNOWN_CONNECTOR = /no connector found/i

const errorCode = (item: Answers.GraphqlErrorItem): string =>
  item.name ?? (typeof item.extensions?.code === "string" ? item.extensions.code : undefined) ?? "GRAPHQL_ERROR"

/** A bounded excerpt of an answer, without any secret the connector holds (bodies can echo the request). */
const truncate = (text: string, max = 300) => scrubSecrets(text.length > max ? `${text.slice(0, max)}…` : text)

export const make = (options: OpenCtiClientOptions): Effect.Effect<OpenCtiClientShape, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const endpoint = `${options.url}/graphql`
    const shownEndpoint = displayUrl(endpoint)
    const custom = Option.match(options.customHeaders ?? Option.none(), {
      onNone: () => ({ headers: {}, skipped: [] as ReadonlyArray<number> }),
      onSome: (text) => parseCustomHeaders(Redacted.value(text))
    })
    if (custom.skipped.length > 0) {
      yield* Effect.logWarning(
        `OPENCTI_CUSTOM_HEADERS: skipped malformed entries (not name:value) at positions ${custom.skipped.join(", ")}`
      )
    }
    const customNames = Object.keys(custom.headers)
    const timeout = Duration.decode(options.timeout ?? "60 seconds")
    const pushTimeout = Duration.decode(options.pushTimeout ?? "300 seconds")
    const http = yield* HttpClient.HttpClient

    const unreachable = (operation: string, reason: string, unprocessed = false) =>
      new OpenCtiUnreachable({ url: shownEndpoint, operation, reason, ...(unprocessed ? { unprocessed } : {}) })

    const failureOf = (operation: string, item: Answers.GraphqlErrorItem): OpenCtiError => {
      const code = errorCode(item)
      const reason = truncate(item.message ?? code)
      if (AUTH_ERRORS.has(code)) return new OpenCtiUnauthorized({ url: shownEndpoint, operation, code, reason })
      // The platform's FunctionalError of pingConnector and workAdd for an id it has no connector for.
      if (UNKNOWN_CONNECTOR.test(reason)) {
        return new OpenCtiConnectorUnknown({ operation, connectorId: options.connectorId, reason })
      }
      return new OpenCtiGraphqlError({ operation, code, reason })
    }

    /** Reads the answer: `data[field]` decoded with `schema`, or the error the platform reported. */
    const readAnswer = <A, I>(
      operation: string,
      field: string,
      schema: Schema.Schema<A, I>,
      response: HttpClientResponse.HttpClientResponse
    ): Effect.Effect<A, OpenCtiError> =>
      Effect.gen(function*() {
        const text = yield* response.text.pipe(
          Effect.mapError((error) => unreachable(operation, `the answer could not be read: ${describeCause(error)}`))
        )
        const parsed = Either.try(() => JSON.parse(text) as unknown)
        const envelope = Either.isRight(parsed)
          ? Schema.decodeUnknownEither(Answers.GraphqlEnvelope)(parsed.right)
          : Either.left(undefined)
        const firstError = Either.isRight(envelope) ? envelope.right.errors?.[0] : undefined
        if (firstError !== undefined) return yield* failureOf(operation, firstError)
        if (response.status === 401) {
          return yield* new OpenCtiUnauthorized({
            url: shownEndpoint,
            operation,
            code: "HTTP_401",
            reason: "HTTP 401 Unauthorized"
          })
        }
        // A reverse proxy answers these while the platform is down or starting.
        // 502 and 503 mean the request never reached a working platform; after a 504 it may still be running.
        if (response.status === 502 || response.status === 503 || response.status === 504) {
          return yield* unreachable(operation, `HTTP ${response.status}`, response.status !== 504)
        }
        if (response.status !== 200) {
          return yield* new OpenCtiBadResponse({ operation, reason: `HTTP ${response.status}: ${truncate(text)}` })
        }
        if (Either.isLeft(envelope)) {
          return yield* new OpenCtiBadResponse({ operation, reason: `not a GraphQL answer: ${truncate(text)}` })
        }
        const value = envelope.right.data?.[field]
        return yield* Schema.decodeUnknown(schema)(value).pipe(
          Effect.mapError((error) =>
            new OpenCtiBadResponse({
              operation,
              // Never the values: a registration answer holds the RabbitMQ password.
              reason: `data.${field} is not as expected: ${parseErrorText(error, { showValues: false })}`
            })
          )
        )
      })

    const call = <A, I>(request: {
      readonly operation: string
      readonly document: string
      readonly variables: Readonly<Record<string, unknown>>
      readonly field: string
      readonly schema: Schema.Schema<A, I>
      readonly timeout?: Duration.Duration
    }): Effect.Effect<A, OpenCtiError> => {
      const allowed = request.timeout ?? timeout
      return HttpClientRequest.post(endpoint).pipe(
        HttpClientRequest.setHeaders(custom.headers),
        HttpClientRequest.setHeaders({
          authorization: `Bearer ${Redacted.value(options.token)}`,
          "user-agent": USER_AGENT,
          accept: "application/json"
        }),
        HttpClientRequest.bodyUnsafeJson({ query: request.document, variables: request.variables }),
        http.execute,
        Effect.mapError((error: HttpClientError) =>
          unreachable(request.operation, describeCause(error.cause ?? error), neverSent(error.cause ?? error))
        ),
        Effect.flatMap((response) => readAnswer(request.operation, request.field, request.schema, response)),
        Effect.timeoutFail({
          duration: allowed,
          onTimeout: () => unreachable(request.operation, `no answer within ${Duration.format(allowed)}`)
        }),
        Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, "authorization", ...customNames]),
        Effect.withSpan(`OpenCti.${request.operation}`)
      )
    }

    const workEdit = <A, I>(schema: Schema.Schema<A, I>) => Schema.NullOr(schema)
    const required = <A>(operation: string, what: string) => (value: A | null) =>
      value === null
        ? Effect.fail(new OpenCtiBadResponse({ operation, reason: `the platform returned no ${what}` }))
        : Effect.succeed(value)

    return {
      endpoint: shownEndpoint,
      about: call({
        operation: "healthCheck",
        document: Documents.HEALTH_CHECK,
        variables: {},
        field: "about",
        schema: Schema.NullOr(Schema.Struct({ version: Schema.String }))
      }).pipe(Effect.flatMap(required("healthCheck", "version")), Effect.map((about) => about.version)),
      registerInputFields: call({
        operation: "ApiCompatibility",
        document: Documents.API_COMPATIBILITY,
        variables: {},
        field: "registerConnectorInput",
        schema: Answers.InputType
      }).pipe(Effect.map((type) => (type?.inputFields ?? []).map((field) => field.name))),
      register: (input) =>
        call({
          operation: "registerConnector",
          document: Documents.REGISTER_CONNECTOR,
          variables: { input },
          field: "registerConnector",
          schema: Schema.NullOr(Answers.Registration)
        }).pipe(Effect.flatMap(required("registerConnector", "connector"))),
      ping: (state, connectorInfo) =>
        call({
          operation: "pingConnector",
          document: Documents.PING_CONNECTOR,
          variables: { id: options.connectorId, state, connectorInfo },
          field: "pingConnector",
          schema: Schema.NullOr(Answers.PingAnswer)
        }).pipe(Effect.flatMap(required("pingConnector", "connector"))),
      connectorQueue: call({
        operation: "GetConnector",
        document: Documents.GET_CONNECTOR,
        variables: { id: options.connectorId },
        field: "connector",
        schema: Schema.NullOr(Answers.ConnectorQueue)
      }).pipe(
        // `connector(id)` answers null for an id the platform does not know.
        Effect.flatMap((connector) =>
          connector === null
            ? Effect.fail(
              new OpenCtiConnectorUnknown({
                operation: "GetConnector",
                connectorId: options.connectorId,
                reason: "the platform returned no connector"
              })
            )
            : Effect.succeed(connector.queueDetails)
        )
      ),
      workAdd: (friendlyName) =>
        call({
          operation: "workAdd",
          document: Documents.WORK_ADD,
          variables: { connectorId: options.connectorId, friendlyName },
          field: "workAdd",
          schema: Answers.WorkAdded
        }).pipe(Effect.map((work) => work.id)),
      addExpectations: (workId, expectations) =>
        call({
          operation: "addExpectations",
          document: Documents.ADD_EXPECTATIONS,
          variables: { id: workId, expectations },
          field: "workEdit",
          schema: workEdit(Answers.ExpectationsAdded)
        }).pipe(Effect.flatMap(required("addExpectations", "work")), Effect.asVoid),
      workToProcessed: (workId, message, inError) =>
        call({
          operation: "workToProcessed",
          document: Documents.WORK_TO_PROCESSED,
          variables: { id: workId, message, inError },
          field: "workEdit",
          schema: workEdit(Answers.WorkProcessed)
        }).pipe(Effect.flatMap(required("workToProcessed", "work")), Effect.asVoid),
      stixBundlePush: (bundle, workId) =>
        call({
          operation: "stixBundlePush",
          document: Documents.STIX_BUNDLE_PUSH,
          variables: { connectorId: options.connectorId, bundle, work_id: Option.getOrNull(workId) },
          field: "stixBundlePush",
          schema: Schema.NullOr(Schema.Boolean),
          timeout: pushTimeout
        }).pipe(
          Effect.flatMap((accepted) =>
            accepted === true
              ? Effect.void
              : Effect.fail(
                new OpenCtiBadResponse({ operation: "stixBundlePush", reason: "the bundle was not accepted" })
              )
          )
        )
    } satisfies OpenCtiClientShape
  })

/** How long the start-up health check keeps trying: backoff from 2 s to 30 s, for about 3 minutes. */
export const STARTUP_RETRY: Schedule.Schedule<unknown> = Schedule.exponential("2 seconds").pipe(
  Schedule.either(Schedule.spaced("30 seconds")),
  Schedule.upTo("3 minutes")
)

/**
 * The health check, retried while the platform is unreachable (it may still be starting), then failing
 * with a clear error. A refused token fails at once: waiting would not fix it.
 */
export const awaitPlatform = (
  client: OpenCtiClientShape,
  schedule: Schedule.Schedule<unknown> = STARTUP_RETRY
): Effect.Effect<string, OpenCtiError> =>
  client.about.pipe(
    Effect.tapError((error) =>
      isTransient(error)
        ? Effect.logWarning(
          "OpenCTI API is not reachable. Waiting for OpenCTI API to start or check your configuration..."
        )
          .pipe(Effect.annotateLogs({ url: client.endpoint, reason: error.reason }))
        : Effect.void
    ),
    Effect.retry({ schedule, while: isTransient })
  )

/** The client over a given `HttpClient` (tests swap it). */
export const layer = (options: OpenCtiClientOptions): Layer.Layer<OpenCtiClient, never, HttpClient.HttpClient> =>
  Layer.effect(OpenCtiClient, make(options))

const optionsFrom = (settings: Settings): Effect.Effect<OpenCtiClientOptions> =>
  Option.match(Option.all({ url: settings.opencti.url, token: settings.opencti.token }), {
    onNone: () => Effect.dieMessage("the OpenCTI client needs OPENCTI_URL and OPENCTI_TOKEN (not used offline)"),
    onSome: ({ token, url }) =>
      Effect.succeed({ url, token, connectorId: settings.connector.id, customHeaders: settings.opencti.customHeaders })
  })

/** The client from the configuration, over a given `HttpClient`. */
export const layerConfigWithHttp: Layer.Layer<OpenCtiClient, never, ConnectorConfig | HttpClient.HttpClient> = Layer
  .effect(
    OpenCtiClient,
    Effect.flatMap(ConnectorConfig, (settings) => Effect.flatMap(optionsFrom(settings), make))
  )

/**
 * The client from the configuration, with its own HTTP stack honouring OPENCTI_SSL_VERIFY (so that
 * turning verification off for OpenCTI never affects SpyCloud).
 */
export const layerConfig: Layer.Layer<OpenCtiClient, OpenCtiUnreachable, ConnectorConfig> = layerConfigWithHttp.pipe(
  Layer.provide(OpenCtiHttp.layerConfig)
)
