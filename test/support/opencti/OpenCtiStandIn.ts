/**
 * A local stand-in for an OpenCTI platform, for integration tests: an HTTP GraphQL server on 127.0.0.1
 * that validates every request against every assembled schema of SCHEMA_VERSIONS (an invalid one gets
 * HTTP 400, as Apollo answers, and is recorded so tests can assert that none happened), executes it
 * with graphql-js against the schema of the version it plays (6.8.10 unless told) and resolvers that behave like the platform
 * (docs/opencti-protocol.md, from "Start-up and registration" to "Sending bundles through the API"), and declares the connector queues in the real RabbitMQ like the platform
 * does. Everything is recorded for assertions.
 *
 * A suite shares one through `withOpenCtiPlatform` (an `it.layer` whose `it.effect` runs on the live clock);
 * at release it is closed (which deletes the queues it declared) and the suite fails if any GraphQL
 * request was invalid:
 *
 *   withOpenCtiPlatform({ declareQueues: false })((it) => {
 *     it.effect("...", () => Effect.gen(function*() {
 *       const platform = yield* OpenCtiPlatform
 *       ... run the connector against platform.url with platform.token ...
 *     }))
 *   })
 *
 * A test that needs its own (other options) takes `yield* openCtiStandIn(options)` in its scope.
 */
import amqp, { type Channel, type ChannelModel } from "amqplib"
import { execute, getOperationAST, GraphQLError, type GraphQLFormattedError, parse, validate } from "graphql"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { createServer as createHttpsServer } from "node:https"
import type { AddressInfo } from "node:net"
import { openCtiSchema, SCHEMA_VERSIONS, type SchemaVersion } from "./OpenCtiSchemas.js"

export const LOCAL_AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672"

export interface RabbitMqConnectionAnswer {
  readonly host: string
  readonly port: number
  readonly vhost: string
  readonly use_ssl: boolean
  readonly user: string
  readonly pass: string
}

export interface OpenCtiStandInOptions {
  /** The token the platform accepts (default: a random one). */
  readonly token?: string
  /** The platform version played: the schema requests execute against (variables are coerced to it). */
  readonly schemaVersion?: SchemaVersion
  /** What `about { version }` answers (default: the played version without its overlay suffix). */
  readonly version?: string
  /** The id of the token's user, returned as `connector_user_id`. */
  readonly userId?: string
  /** `config.connection` returned at registration (default: the local RabbitMQ, guest/guest). */
  readonly connection?: Partial<RabbitMqConnectionAnswer>
  /** Declare exchanges, queues and bindings in RabbitMQ at registration and ping (default true). */
  readonly declareQueues?: boolean
  /** RabbitMQ used for the declarations (default LOCAL_AMQP_URL). */
  readonly amqpUrl?: string
  /** Extra arguments for the push queue (e.g. a max length, to make the broker refuse messages). */
  readonly pushQueueArguments?: Readonly<Record<string, unknown>>
  /** Serve HTTPS with this certificate and key instead of HTTP. */
  readonly tls?: { readonly cert: string; readonly key: string }
}

export interface RecordedCall {
  /** The operation name of the document (e.g. `PingConnector`), or `(unparsable)`. */
  readonly operation: string
  readonly document: string
  readonly variables: Record<string, unknown>
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  /** The HTTP status answered. */
  readonly status: number
  readonly at: Date
}

export interface InvalidRequest {
  readonly document: string
  readonly variables: unknown
  readonly errors: ReadonlyArray<string>
}

export interface ConnectorRecord {
  readonly id: string
  name: string
  type: string
  scope: ReadonlyArray<string>
  state: string | null
  stateReset: boolean
  info: Record<string, unknown> | null
  queueMessagesNumber: number
  queueMessagesSize: number
  readonly createdAt: Date
  updatedAt: Date
}

export interface WorkRecord {
  readonly id: string
  readonly connectorId: string
  readonly name: string | null
  status: "progress" | "complete"
  expectations: number
  readonly expectationCalls: Array<number>
  processed: boolean
  readonly messages: Array<string>
  readonly errors: Array<string>
}

export interface PushedBundle {
  readonly connectorId: string
  readonly workId: string | null
  readonly bundle: { readonly type: string; readonly id: string; readonly objects: ReadonlyArray<any> }
}

export interface OpenCtiStandIn {
  /** Base URL to use as OPENCTI_URL (`/graphql` is where it answers). */
  readonly url: string
  readonly token: string
  readonly userId: string
  readonly calls: ReadonlyArray<RecordedCall>
  readonly invalidRequests: ReadonlyArray<InvalidRequest>
  readonly connectors: ReadonlyMap<string, ConnectorRecord>
  readonly works: ReadonlyMap<string, WorkRecord>
  readonly pushedBundles: ReadonlyArray<PushedBundle>
  /** The calls of one operation, in order. */
  readonly callsOf: (operation: string) => ReadonlyArray<RecordedCall>
  /**
   * Calls `listener` with every call as it is recorded, before it is answered, so that a test can act at
   * an exact point of the protocol (e.g. while the connector waits for this answer). Returns a function
   * that removes the listener.
   */
  readonly onCall: (listener: (call: RecordedCall) => void) => () => void
  /** What an administrator's "reset state" does: empty state, reset flag, purged queues. */
  readonly resetState: (connectorId: string) => Promise<void>
  /**
   * What a platform restored from an older backup (or a deletion in the UI) does: the connector and its
   * works are gone, so ping and workAdd answer "No connector found" until it registers again. The RabbitMQ
   * queues stay, with what they hold (the broker is not part of the restore).
   */
  readonly forgetConnector: (connectorId: string) => void
  /** The state as stored (as if an earlier connector had pinged it). */
  readonly setConnectorState: (connectorId: string, state: string | null) => void
  /** The push queue size the platform reports (bytes), for queue-threshold tests. */
  readonly setQueueSize: (connectorId: string, bytes: number, messages?: number) => void
  /** The next `count` requests fail: HTTP 503 (a proxy in front of a stopped platform) or a cut socket. */
  readonly failNext: (count: number, mode?: "503" | "reset") => void
  /** All requests fail from now on (true) or are served again (false). */
  readonly setUnavailable: (unavailable: boolean, mode?: "503" | "reset") => void
  /** Stops the server and deletes the queues and declarations it made. */
  /**
   * A platform restart: every open connection is dropped and new ones are refused for `downMs`, then the
   * stand-in listens again on the same port, with the same connectors, works and states.
   */
  readonly restart: (downMs: number) => Promise<void>
  readonly close: () => Promise<void>
}

const pushQueue = (id: string) => `push_${id}`
const listenQueue = (id: string) => `listen_${id}`
export const WORKER_EXCHANGE = "amqp.worker.exchange"
export const CONNECTOR_EXCHANGE = "amqp.connector.exchange"

/** The platform's `formatError`: `extensions.code` is copied to a top-level `name`. */
const formatError = (error: GraphQLError): GraphQLFormattedError & { name?: string } => {
  const formatted = error.toJSON()
  const code = formatted.extensions?.code
  return typeof code === "string" ? { name: code, ...formatted } : formatted
}

const functionalError = (message: string) => new GraphQLError(message, { extensions: { code: "FUNCTIONAL_ERROR" } })

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk: string) => (body += chunk))
    request.on("end", () => resolve(body))
    request.on("error", reject)
  })

export const startOpenCtiStandIn = async (options: OpenCtiStandInOptions = {}): Promise<OpenCtiStandIn> => {
  // Executed against the played version; every document must also be valid for every other version.
  const played = options.schemaVersion ?? "6.8.10"
  const schema = openCtiSchema(played)
  const otherSchemas = SCHEMA_VERSIONS.filter((version) => version !== played).map((version) => ({
    version,
    schema: openCtiSchema(version)
  }))
  const token = options.token ?? `standin-${crypto.randomUUID()}`
  const userId = options.userId ?? crypto.randomUUID()
  const version = options.version ?? played.replace(/\+.*$/, "")
  const declareQueues = options.declareQueues ?? true
  const connection: RabbitMqConnectionAnswer = {
    host: "127.0.0.1",
    port: 5672,
    vhost: "/",
    use_ssl: false,
    user: "guest",
    pass: "guest",
    ...options.connection
  }

  const calls: Array<RecordedCall> = []
  const callListeners = new Set<(call: RecordedCall) => void>()
  const invalidRequests: Array<InvalidRequest> = []
  const connectors = new Map<string, ConnectorRecord>()
  const works = new Map<string, WorkRecord>()
  const pushedBundles: Array<PushedBundle> = []
  const declaredConnectors = new Set<string>()
  let failures = { remaining: 0, forever: false, mode: "503" as "503" | "reset" }

  let broker: { model: ChannelModel; channel: Channel } | undefined
  const brokerChannel = async (): Promise<Channel> => {
    if (broker === undefined) {
      const model = await amqp.connect(options.amqpUrl ?? LOCAL_AMQP_URL)
      model.on("error", () => undefined)
      const channel = await model.createChannel()
      channel.on("error", () => undefined)
      const opened = { model, channel }
      // A broker restarted under the platform: the next declaration connects again.
      const forget = () => {
        if (broker === opened) broker = undefined
      }
      model.on("close", forget)
      channel.on("close", forget)
      broker = opened
    }
    return broker.channel
  }

  /** The platform's `registerConnectorQueues`: exchanges, queues and bindings, asserted at registration and ping. */
  const declare = async (connector: ConnectorRecord) => {
    if (!declareQueues) return
    const channel = await brokerChannel()
    const config = { id: connector.id, type: connector.type, scope: connector.scope }
    await channel.assertExchange(CONNECTOR_EXCHANGE, "direct", { durable: true })
    await channel.assertExchange(WORKER_EXCHANGE, "direct", { durable: true })
    await channel.assertQueue(listenQueue(connector.id), {
      durable: true,
      exclusive: false,
      autoDelete: false,
      arguments: { name: connector.name, config }
    })
    await channel.bindQueue(listenQueue(connector.id), CONNECTOR_EXCHANGE, `listen_routing_${connector.id}`)
    await channel.assertQueue(pushQueue(connector.id), {
      durable: true,
      exclusive: false,
      autoDelete: false,
      arguments: { name: connector.name, config, ...options.pushQueueArguments }
    })
    await channel.bindQueue(pushQueue(connector.id), WORKER_EXCHANGE, `push_routing_${connector.id}`)
    declaredConnectors.add(connector.id)
  }

  const connectorAnswer = (connector: ConnectorRecord) => ({
    id: connector.id,
    name: connector.name,
    active: Date.now() - connector.updatedAt.getTime() < 5 * 60_000,
    auto: false,
    only_contextual: false,
    connector_type: connector.type,
    connector_scope: connector.scope,
    connector_state: connector.state,
    connector_user_id: userId,
    connector_info: connector.info,
    connector_queue_details: {
      messages_number: connector.queueMessagesNumber,
      messages_size: connector.queueMessagesSize
    },
    updated_at: connector.updatedAt.toISOString(),
    created_at: connector.createdAt.toISOString(),
    built_in: false,
    config: {
      connection,
      listen: listenQueue(connector.id),
      listen_routing: `listen_routing_${connector.id}`,
      listen_exchange: CONNECTOR_EXCHANGE,
      push: pushQueue(connector.id),
      push_routing: `push_routing_${connector.id}`,
      push_exchange: WORKER_EXCHANGE,
      dead_letter_routing: "listen_routing_too-large-bundle"
    }
  })

  const knownConnector = (id: string) => {
    const connector = connectors.get(id)
    if (connector === undefined) throw functionalError("No connector found with the specified ID")
    return connector
  }

  const newWorkId = (connectorId: string) => {
    let at = Date.now()
    while (works.has(`work_${connectorId}_${new Date(at).toISOString()}`)) at++
    return `work_${connectorId}_${new Date(at).toISOString()}`
  }

  const addWork = (connectorId: string, name: string | null): WorkRecord => {
    const work: WorkRecord = {
      id: newWorkId(connectorId),
      connectorId,
      name,
      status: "progress",
      expectations: 0,
      expectationCalls: [],
      processed: false,
      messages: [],
      errors: []
    }
    works.set(work.id, work)
    return work
  }

  const knownWork = (id: string) => {
    const work = works.get(id)
    if (work === undefined) throw functionalError("Work not found")
    return work
  }

  const rootValue = {
    about: () => ({ version }),
    registerConnector: async ({ input }: { input: any }) => {
      const now = new Date()
      const existing = connectors.get(input.id)
      const connector: ConnectorRecord = existing ?? {
        id: input.id,
        name: input.name,
        type: input.type,
        scope: input.scope ?? [],
        state: null,
        stateReset: false,
        info: null,
        queueMessagesNumber: 0,
        queueMessagesSize: 0,
        createdAt: now,
        updatedAt: now
      }
      connector.name = input.name
      connector.type = input.type
      connector.scope = input.scope ?? []
      connector.updatedAt = now
      connectors.set(connector.id, connector)
      await declare(connector)
      return connectorAnswer(connector)
    },
    pingConnector: async ({ connectorInfo, id, state }: { id: string; state?: string | null; connectorInfo?: any }) => {
      const connector = knownConnector(id)
      await declare(connector)
      if (connector.stateReset) {
        // The platform only clears the flag: the state sent is not stored, updated_at is not refreshed.
        connector.stateReset = false
      } else {
        connector.state = state ?? null
        connector.updatedAt = new Date()
      }
      if (connectorInfo !== undefined && connectorInfo !== null) connector.info = { ...connectorInfo }
      return connectorAnswer(connector)
    },
    connector: ({ id }: { id: string }) => {
      const connector = connectors.get(id)
      return connector === undefined ? null : connectorAnswer(connector)
    },
    workAdd: ({ connectorId, friendlyName }: { connectorId: string; friendlyName?: string | null }) => {
      knownConnector(connectorId)
      return { id: addWork(connectorId, friendlyName ?? null).id }
    },
    workEdit: ({ id }: { id: string }) => ({
      addExpectations: ({ expectations }: { expectations?: number | null }) => {
        const work = knownWork(id)
        work.expectations += expectations ?? 0
        work.expectationCalls.push(expectations ?? 0)
        return id
      },
      toProcessed: ({ inError, message }: { message?: string | null; inError?: boolean | null }) => {
        const work = knownWork(id)
        work.processed = true
        if (inError === true) work.errors.push(message ?? "")
        else work.messages.push(message ?? "")
        // Nothing reports expectations here (there is no worker), so only an empty work completes.
        if (work.expectations === 0) work.status = "complete"
        return id
      }
    }),
    stixBundlePush: (
      { bundle, connectorId, work_id }: { connectorId: string; bundle: string; work_id?: string | null }
    ) => {
      const connector = connectors.get(connectorId)
      let parsed: PushedBundle["bundle"] | undefined
      try {
        parsed = JSON.parse(bundle)
      } catch {
        parsed = undefined
      }
      if (
        connector === undefined || parsed === undefined || parsed.type !== "bundle" || !Array.isArray(parsed.objects) ||
        parsed.objects.length === 0
      ) {
        throw new GraphQLError("Invalid bundle", { extensions: { code: "UNSUPPORTED_ERROR" } })
      }
      let workId = work_id ?? null
      if (workId === null || workId === "") {
        const work = addWork(connectorId, `${connector.name} run @ ${new Date().toISOString()}`)
        if (parsed.objects.length === 1) work.expectations += 1
        workId = work.id
      }
      pushedBundles.push({ connectorId, workId, bundle: parsed })
      return true
    }
  }

  const respond = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json" })
    response.end(JSON.stringify(body))
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (failures.forever || failures.remaining > 0) {
      if (failures.remaining > 0) failures.remaining--
      if (failures.mode === "reset") {
        request.socket.destroy()
        return
      }
      response.writeHead(503, { "content-type": "text/html" })
      response.end("<html><body>503 Service Unavailable</body></html>")
      return
    }
    if (request.method !== "POST" || request.url !== "/graphql") {
      response.writeHead(404)
      response.end()
      return
    }
    const text = await readBody(request)
    let payload: { query?: unknown; variables?: unknown }
    try {
      payload = JSON.parse(text)
    } catch {
      return respond(response, 400, { errors: [{ message: "POST body is not JSON" }] })
    }
    const document = typeof payload.query === "string" ? payload.query : ""
    const variables = (payload.variables ?? {}) as Record<string, unknown>
    const record = (operation: string, status: number) => {
      const call = { operation, document, variables, headers: { ...request.headers }, status, at: new Date() }
      calls.push(call)
      for (const listener of callListeners) listener(call)
    }
    const invalid = (errors: ReadonlyArray<string>) => {
      invalidRequests.push({ document, variables: payload.variables, errors })
      record("(invalid)", 400)
      respond(response, 400, {
        errors: errors.map((message) => ({
          message,
          name: "GRAPHQL_VALIDATION_FAILED",
          extensions: { code: "GRAPHQL_VALIDATION_FAILED" }
        }))
      })
    }
    let parsed
    try {
      parsed = parse(document)
    } catch (error) {
      return invalid([(error as Error).message])
    }
    const validationErrors = validate(schema, parsed)
    if (validationErrors.length > 0) return invalid(validationErrors.map((error) => error.message))
    for (const other of otherSchemas) {
      const errors = validate(other.schema, parsed)
      if (errors.length > 0) return invalid(errors.map((error) => `[${other.version}] ${error.message}`))
    }
    if (payload.variables === undefined || typeof variables !== "object" || variables === null) {
      return invalid(["variables must be present (pycti always sends them)"])
    }
    const operation = getOperationAST(parsed)?.name?.value ?? "(anonymous)"
    if (request.headers.authorization !== `Bearer ${token}`) {
      record(operation, 200)
      return respond(response, 200, {
        errors: [{
          name: "AUTH_REQUIRED",
          message: "You must be logged in to do this.",
          extensions: { code: "AUTH_REQUIRED" }
        }],
        data: null
      })
    }
    const result = await execute({ schema, document: parsed, rootValue, variableValues: variables })
    // Variable coercion errors are request errors: there is no data at all, as the platform answers them.
    if (result.errors !== undefined && result.data === undefined) {
      return invalid(result.errors.map((error) => error.message))
    }
    record(operation, 200)
    respond(response, 200, {
      ...(result.errors === undefined ? {} : { errors: result.errors.map(formatError) }),
      data: result.data ?? null
    })
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) respond(response, 500, { errors: [{ message: String(error) }] })
    })
  }
  const server: Server = options.tls === undefined ? createServer(listener) : createHttpsServer(options.tls, listener)
  const sockets = new Set<import("node:net").Socket>()
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    token,
    userId,
    calls,
    invalidRequests,
    connectors,
    works,
    pushedBundles,
    callsOf: (operation) => calls.filter((call) => call.operation === operation),
    onCall: (listener) => {
      callListeners.add(listener)
      return () => callListeners.delete(listener)
    },
    resetState: async (connectorId) => {
      const connector = knownConnector(connectorId)
      connector.state = ""
      connector.stateReset = true
      if (declaredConnectors.has(connectorId)) {
        const channel = await brokerChannel()
        await channel.purgeQueue(pushQueue(connectorId))
        await channel.purgeQueue(listenQueue(connectorId))
      }
    },
    forgetConnector: (connectorId) => {
      knownConnector(connectorId)
      connectors.delete(connectorId)
      for (const work of [...works.values()]) if (work.connectorId === connectorId) works.delete(work.id)
    },
    setConnectorState: (connectorId, state) => {
      const now = new Date()
      const connector = connectors.get(connectorId) ?? {
        id: connectorId,
        name: "pre-existing",
        type: "EXTERNAL_IMPORT",
        scope: [],
        state: null,
        stateReset: false,
        info: null,
        queueMessagesNumber: 0,
        queueMessagesSize: 0,
        createdAt: now,
        updatedAt: now
      }
      connector.state = state
      connectors.set(connectorId, connector)
    },
    setQueueSize: (connectorId, bytes, messages = 0) => {
      const connector = knownConnector(connectorId)
      connector.queueMessagesSize = bytes
      connector.queueMessagesNumber = messages
    },
    failNext: (count, mode = "503") => {
      failures = { remaining: count, forever: false, mode }
    },
    setUnavailable: (unavailable, mode = "503") => {
      failures = { remaining: 0, forever: unavailable, mode }
    },
    restart: async (downMs) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
      await new Promise((resolve) => setTimeout(resolve, downMs))
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve))
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (declaredConnectors.size > 0) {
        const channel = await brokerChannel()
        for (const id of declaredConnectors) {
          await channel.deleteQueue(pushQueue(id))
          await channel.deleteQueue(listenQueue(id))
        }
      }
      if (broker !== undefined) await broker.model.close().catch(() => undefined)
    }
  }
}
