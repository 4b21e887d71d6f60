/**
 * A local SpyCloud Enterprise API for tests, the demo and the benchmark: an HTTP server with the documented
 * behaviour (docs/spycloud-api.md): `X-API-KEY` check, the watchlist endpoint with its filters, newest first,
 * cursor pagination of 1000 records a page with expiring cursors, the catalog endpoint with comma-separated ids,
 * and injectable faults (`Faults.ts`).
 *
 *   const standIn = await startSpycloudStandIn({ dataset: { records: 5000, days: 10 } })
 *   // standIn.baseUrl = "http://127.0.0.1:<port>/enterprise-v2/", standIn.apiKey
 *   ...
 *   await standIn.stop()
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { randomBytes, randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import {
  createDataset,
  type Dataset,
  type DatasetOptions,
  type RecordFilter,
  type ResolvedFilter,
  resolveFilter,
  type WatchlistType
} from "./Dataset.js"
import { type Endpoint, type FaultKind, FaultPlan, type Faults } from "./Faults.js"

export * from "./Dataset.js"
export * from "./Faults.js"

export interface StandInOptions {
  /** The records to serve: a dataset, or the options to create one. */
  readonly dataset: Dataset | DatasetOptions
  /** The key clients must send; default a random one. */
  readonly apiKey?: string
  /** Default 0: any free port. */
  readonly port?: number
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Records per page; default 1000, like SpyCloud. */
  readonly pageSize?: number
  /** A cursor older than this is "not found"; default: cursors do not age. */
  readonly cursorTtlMs?: number
  /** A cursor used this many times is "not found" afterwards; default: no limit. */
  readonly cursorMaxUses?: number
  readonly faults?: Faults
  /** Delay before every answer, in ms (a slow SpyCloud, so that a test can act in the middle of a pass). */
  readonly latencyMs?: number
  /** Where cursor ages come from; default `Date.now` (tests pass their own to age cursors without waiting). */
  readonly clock?: () => number
}

export interface LoggedRequest {
  readonly method: string
  /** The path, e.g. `/enterprise-v2/breach/catalog/1,2`. */
  readonly path: string
  readonly endpoint: Endpoint | "other"
  /** Query parameters (the last value of a repeated one). */
  readonly query: Readonly<Record<string, string>>
  /** The query string as received, to check how parameters were encoded. */
  readonly rawQuery: string
  /** The HTTP status sent, or what happened instead. */
  readonly status: number | "reset" | "hang"
  readonly fault: FaultKind | undefined
}

export interface SpycloudStandIn {
  /** Ends with `/enterprise-v2/`, like the real base URL. */
  readonly baseUrl: string
  readonly apiKey: string
  readonly port: number
  readonly dataset: Dataset
  /** Replaces the faults (and restarts their sequence). */
  readonly setFaults: (faults: Faults) => void
  /** The requests received, oldest first (at most the last 100,000). */
  readonly requests: () => ReadonlyArray<LoggedRequest>
  readonly resetRequests: () => void
  readonly stop: () => Promise<void>
}

const PREFIX = "/enterprise-v2/"
const WATCHLIST_TYPES: ReadonlyArray<WatchlistType> = ["email", "domain", "subdomain", "ip"]
const MAX_LOGGED = 100_000
const MAX_CURSORS = 10_000

const CURSOR_NOT_FOUND = {
  errorType: "BadRequest",
  errorMessage: "[BadRequest] Invalid parameter: 'cursor'. Cursor not found."
}

interface CursorState {
  readonly filter: ResolvedFilter
  readonly hits: number
  /** Index in the dataset where the next page starts looking. */
  readonly nextIndex: number
  readonly served: number
  readonly createdAt: number
  uses: number
}

type Outcome = { readonly status: number; readonly headers?: Record<string, string>; readonly body: unknown }

const badParameter = (name: string): Outcome => ({
  status: 400,
  body: { errorType: "BadRequest", errorMessage: `Invalid parameter: '${name}'.` }
})

/** The watchlist filter of a request, or the parameter that is wrong. */
const filterOfParams = (params: URLSearchParams): RecordFilter | { readonly invalid: string } => {
  const text = (name: string) => {
    const value = params.get(name)
    return value === null || value.trim() === "" ? undefined : value.trim()
  }
  const severityText = text("severity")
  let severity: Array<number> | undefined
  if (severityText !== undefined) {
    const parts = severityText.split(",").map((part) => part.trim())
    if (parts.some((part) => !/^\d+$/.test(part))) return { invalid: "severity" }
    severity = parts.map(Number)
  }
  const type = text("watchlist_type")
  if (type !== undefined && !WATCHLIST_TYPES.includes(type as WatchlistType)) return { invalid: "watchlist_type" }
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    value === undefined ? {} : ({ [key]: value } as { [P in K]: V })
  return {
    ...optional("since", text("since")),
    ...optional("until", text("until")),
    ...optional("sinceModification", text("since_modification_date")),
    ...optional("untilModification", text("until_modification_date")),
    ...optional("severity", severity),
    ...optional("watchlistType", type as WatchlistType | undefined)
  }
}

/** Starts the stand-in; it listens until `stop()`. */
export const startSpycloudStandIn = async (options: StandInOptions): Promise<SpycloudStandIn> => {
  const dataset = "matching" in options.dataset ? options.dataset : createDataset(options.dataset)
  const apiKey = options.apiKey ?? `standin-${randomBytes(12).toString("hex")}`
  const pageSize = options.pageSize ?? 1000
  const now = options.clock ?? Date.now
  let plan = new FaultPlan(options.faults ?? {})
  let log: Array<LoggedRequest> = []
  const cursors = new Map<string, CursorState>()
  const hanging = new Set<ServerResponse>()
  const sockets = new Set<Socket>()
  let stopped: Promise<void> | undefined

  const record = (entry: LoggedRequest) => {
    log.push(entry)
    if (log.length > MAX_LOGGED) log = log.slice(-MAX_LOGGED / 2)
  }

  const newCursor = (state: CursorState) => {
    const token = randomUUID()
    cursors.set(token, state)
    if (cursors.size > MAX_CURSORS) cursors.delete(cursors.keys().next().value!)
    return token
  }

  const lookupCursor = (token: string): CursorState | undefined => {
    const state = cursors.get(token)
    if (state === undefined) return undefined
    const expired = (options.cursorTtlMs !== undefined && now() - state.createdAt > options.cursorTtlMs) ||
      (options.cursorMaxUses !== undefined && state.uses >= options.cursorMaxUses)
    if (expired) {
      cursors.delete(token)
      return undefined
    }
    state.uses += 1
    return state
  }

  /** One page of a query, from a position; hands out a cursor unless it is the last page. */
  const servePage = (filter: ResolvedFilter, hits: number, from: number, served: number): Outcome => {
    const results: Array<unknown> = []
    let nextIndex = from
    for (const info of dataset.matching(filter, from)) {
      results.push(dataset.recordAt(info.index))
      nextIndex = info.index + 1
      if (results.length >= pageSize) break
    }
    const total = served + results.length
    const cursor = total < hits && results.length > 0
      ? newCursor({ filter, hits, nextIndex, served: total, createdAt: now(), uses: 0 })
      : ""
    return { status: 200, body: { cursor, hits, results } }
  }

  const faultOutcome = (kind: FaultKind, faults: Faults): Outcome | "reset" | "hang" | "truncated" => {
    const retryAfter = faults.retryAfterSeconds ?? 1
    switch (kind) {
      case "504":
        return { status: 504, body: { message: "Endpoint request timed out" } }
      case "500":
        return { status: 500, body: { message: "Internal server error" } }
      case "502":
        return { status: 502, body: { message: "Bad Gateway" } }
      case "503":
        return { status: 503, body: { message: "Service Unavailable" } }
      case "throttle":
        return {
          status: 429,
          headers: { "x-amzn-ErrorType": "TooManyRequestsException", "Retry-After": String(retryAfter) },
          body: { message: "Too Many Requests" }
        }
      case "throttle-date":
        return {
          status: 429,
          headers: {
            "x-amzn-ErrorType": "TooManyRequestsException",
            "Retry-After": new Date(Date.now() + retryAfter * 1000).toUTCString()
          },
          body: { message: "Too Many Requests" }
        }
      case "quota":
        return {
          status: 429,
          headers: { "x-amzn-ErrorType": "LimitExceededException" },
          body: { message: "Limit Exceeded" }
        }
      case "cursor-expired":
        return { status: 400, body: CURSOR_NOT_FOUND }
      case "reset":
      case "hang":
      case "truncated":
        return kind
    }
  }

  const send = (response: ServerResponse, outcome: Outcome, truncate = false) => {
    const text = JSON.stringify(outcome.body)
    const body = truncate ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text
    response.writeHead(outcome.status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...outcome.headers
    })
    response.end(body)
  }

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://stand-in")
    const query = Object.fromEntries(url.searchParams)
    const path = url.pathname
    const route = path.startsWith(PREFIX) ? path.slice(PREFIX.length) : undefined
    const endpoint: Endpoint | "other" = route === "breach/data/watchlist"
      ? "watchlist"
      : route?.startsWith("breach/catalog/") === true
      ? "catalog"
      : "other"
    const base = { method: request.method ?? "GET", path, endpoint, query, rawQuery: url.search.slice(1) }
    const finish = (outcome: Outcome, fault?: FaultKind, truncate = false) => {
      record({ ...base, status: outcome.status, fault })
      send(response, outcome, truncate)
    }

    if (request.headers["x-api-key"] !== apiKey) {
      return finish({ status: 403, headers: { "SpyCloud-Error": "Invalid API key" }, body: { message: "Forbidden" } })
    }
    const faults = plan.faults
    if (faults.forbidden === "ip") {
      return finish({
        status: 403,
        headers: { "SpyCloud-Error": `Invalid IP address ${request.socket.remoteAddress ?? "unknown"}` },
        body: { message: "Forbidden" }
      })
    }
    if (faults.forbidden === "not-entitled") {
      return finish({
        status: 403,
        body: { message: "User is not authorized to access this resource with an explicit deny" }
      })
    }
    if (endpoint === "other" || request.method !== "GET") {
      return finish({ status: 404, body: { message: "Not Found" } })
    }

    // Work out the answer first, so that a fault decision can depend on the query's size.
    let answer: () => Outcome
    let hits: number | undefined
    let hasCursor = false
    if (endpoint === "catalog") {
      const ids = decodeURIComponent(route!.slice("breach/catalog/".length)).split(",").filter((id) => id !== "")
      answer = () => {
        const results = ids.flatMap((id) => {
          const entry = dataset.catalog(id)
          return entry === undefined ? [] : [entry]
        })
        return { status: 200, body: { cursor: "", hits: results.length, results } }
      }
    } else {
      const token = url.searchParams.get("cursor")?.trim() ?? ""
      hasCursor = token !== ""
      if (hasCursor) {
        answer = () => {
          const state = lookupCursor(token)
          if (state === undefined) return { status: 400, body: CURSOR_NOT_FOUND }
          return servePage(state.filter, state.hits, state.nextIndex, state.served)
        }
      } else {
        const filter = filterOfParams(url.searchParams)
        if ("invalid" in filter) return finish(badParameter(filter.invalid))
        const resolved = resolveFilter(filter)
        if ("invalid" in resolved) return finish(badParameter(resolved.invalid))
        const total = dataset.count(resolved)
        hits = total
        answer = () => servePage(resolved, total, 0, 0)
      }
    }

    const fault = plan.next({ endpoint, query, hasCursor, hits })
    if (fault !== undefined) {
      const outcome = faultOutcome(fault, faults)
      if (outcome === "reset") {
        record({ ...base, status: "reset", fault })
        request.socket.destroy()
        return
      }
      if (outcome === "hang") {
        record({ ...base, status: "hang", fault })
        hanging.add(response)
        return
      }
      if (outcome === "truncated") return finish(answer(), fault, true)
      return finish(outcome, fault)
    }
    finish(answer())
  }

  const handleSafely = (request: IncomingMessage, response: ServerResponse) => {
    try {
      handle(request, response)
    } catch (error) {
      send(response, { status: 500, body: { message: `stand-in bug: ${(error as Error).message}` } })
    }
  }
  const latency = options.latencyMs ?? 0
  const server = createServer((request, response) => {
    if (latency > 0) setTimeout(() => handleSafely(request, response), latency)
    else handleSafely(request, response)
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("the stand-in has no TCP address")
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address

  return {
    baseUrl: `http://${host}:${address.port}${PREFIX}`,
    apiKey,
    port: address.port,
    dataset,
    setFaults: (faults) => {
      plan = new FaultPlan(faults)
    },
    requests: () => log.slice(),
    resetRequests: () => {
      log = []
    },
    stop: () => (stopped ??= new Promise<void>((resolve) => {
      for (const response of hanging) response.destroy()
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }))
  }
}

/** The stand-in for the length of a scope, stopped at its end. */
export const spycloudStandIn = (options: StandInOptions): Effect.Effect<SpycloudStandIn, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startSpycloudStandIn(options)),
    (standIn) => Effect.promise(() => standIn.stop())
  )

/** The stand-in a suite shares: `liveLayer(SpycloudApi.layer(options))`, then `yield* SpycloudApi`. */
export class SpycloudApi extends Context.Tag("test/SpycloudApi")<SpycloudApi, SpycloudStandIn>() {
  static readonly layer = (options: StandInOptions): Layer.Layer<SpycloudApi> =>
    Layer.scoped(SpycloudApi, spycloudStandIn(options))
}
