/**
 * The SpyCloud Enterprise API over HTTP (docs/spycloud-api.md, from "The watchlist endpoint" to "The breach
 * catalog"): the watchlist as a stream of pages, batched and cached catalog lookups, and the probe for `check`.
 * Every failure that survives the retries is a typed `SpycloudError`; none is ever read as "no more pages".
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import Undici from "@effect/platform-node/Undici"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import {
  Clock,
  DateTime,
  Duration,
  Effect,
  Either,
  Layer,
  Metric,
  Option,
  Redacted,
  type Schedule,
  Stream
} from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import { jsonSyntaxErrorText } from "../lib/ParseErrorText.js"
import { REDACTED_TEXT, withoutRegisteredSecrets } from "../lib/SecretScrubber.js"
import { type BreachCatalog, decodeBreachCatalog, type SourceId } from "./BreachRecord.js"
import { CatalogCache, DEFAULT_CATALOG_CACHE_CAPACITY } from "./CatalogCache.js"
import { classifyFailedResponse } from "./FailureClassification.js"
import { paginatePrefetched } from "./PrefetchedPages.js"
import { parseRetryAfter } from "./RetryAfter.js"
import { isGatewayTimeout, isRetryableFailure, RetryableFailure, retryPolicy } from "./RetryPolicy.js"
import {
  type BreachPage,
  type BreachQuery,
  catalogKey,
  SpycloudClient,
  type SpycloudClientShape
} from "./SpycloudClient.js"
import { BadResponse, ResponseTooLarge, type SpycloudError, Timeout, Unavailable } from "./SpycloudError.js"
import * as Metrics from "./SpycloudMetrics.js"
import { decodeWatchlistEnvelope, decodeWatchlistPage, watchlistParams } from "./WatchlistPage.js"

export interface SpycloudClientOptions {
  /** The API root, e.g. `https://api.spycloud.io/enterprise-v2/` (a missing trailing `/` is added). */
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
  /** Time allowed for one response, body included. */
  readonly readTimeout: Duration.DurationInput
  /** Retries of a request that failed with 429 (throttling), 5xx, 504, a timeout, a network error or a bad body. */
  readonly maxRetries: number
  readonly retryInitialDelay: Duration.DurationInput
  /** Upper bound of one retry delay, `Retry-After` included. */
  readonly retryMaxDelay: Duration.DurationInput
  /** Catalog entries kept in memory; default 5000. */
  readonly catalogCacheCapacity?: number
  /** Source ids per catalog request; default 50. */
  readonly catalogBatchSize?: number
  /** Largest body read; a larger one is abandoned and retried like a bad body. Default `DEFAULT_MAX_RESPONSE_BYTES`. */
  readonly maxResponseBytes?: number
}

/** The default bound of `SPYCLOUD_MAX_RESPONSE_MB`, in bytes (keep in step with the settings table). */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

/** `check` wants an answer soon: the probe retries at most this often, whatever `maxRetries` says. */
const PROBE_MAX_RETRIES = 1
const DEFAULT_CATALOG_BATCH_SIZE = 50
/** Keeps catalog URLs well under the 8 KiB request-line limit of common gateways. */
const CATALOG_MAX_PATH_CHARS = 2000

type Endpoint = Metrics.Endpoint
type AttemptError = SpycloudError | RetryableFailure

/** What a transport-level failure was, in words, without the request (whose headers hold the key). */
const transportDetail = (error: HttpClientError.HttpClientError): string => {
  const causes: Array<string> = []
  let cause: unknown = error.cause
  for (let depth = 0; depth < 3 && cause !== undefined && cause !== null; depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown }
    const text = [typeof code === "string" ? code : "", typeof message === "string" ? message : ""]
      .filter((part) => part !== "")
      .join(": ")
    if (text !== "" && !causes.includes(text)) causes.push(text)
    cause = (cause as { cause?: unknown }).cause
  }
  const what = error._tag === "RequestError" ? "request failed" : "response body could not be read"
  return causes.length > 0 ? `${what} (${causes.join("; ")})` : what
}

/** Splits ids into requests of at most `size` ids and a bounded URL length. */
const catalogBatches = (ids: ReadonlyArray<string>, size: number): Array<Array<string>> => {
  const batches: Array<Array<string>> = []
  let current: Array<string> = []
  let length = 0
  for (const id of ids) {
    const encoded = encodeURIComponent(id)
    if (current.length > 0 && (current.length >= size || length + encoded.length + 1 > CATALOG_MAX_PATH_CHARS)) {
      batches.push(current)
      current = []
      length = 0
    }
    current.push(encoded)
    length += encoded.length + 1
  }
  if (current.length > 0) batches.push(current)
  return batches
}

const decodeCatalogPage = (json: unknown): Either.Either<Array<BreachCatalog>, string> =>
  Either.map(decodeWatchlistEnvelope(json), (envelope) => {
    // A catalog entry that does not decode is left out: its source reads as "Unknown", like a missing one.
    const catalogs: Array<BreachCatalog> = []
    for (const input of envelope.results) {
      const decoded = decodeBreachCatalog(input)
      if (Either.isRight(decoded)) catalogs.push(decoded.right)
    }
    return catalogs
  })

/**
 * The error a request ends with once its retries are used up. A 504 anywhere in the chain makes it a
 * `Timeout` (the query is too heavy, the engine splits it), whatever the last attempt met.
 */
const exhausted = (
  failure: RetryableFailure,
  attempts: number,
  metGatewayTimeout: boolean,
  maxResponseBytes: number
): SpycloudError => {
  if (metGatewayTimeout) {
    return new Timeout({ attempts, ...(failure.reason === "gateway-timeout" ? {} : { last: failure.detail }) })
  }
  switch (failure.reason) {
    case "gateway-timeout":
      return new Timeout({ attempts })
    case "bad-body":
      return new BadResponse({ detail: `${failure.detail} (${attempts} attempt${attempts === 1 ? "" : "s"})` })
    case "too-large":
      return new ResponseTooLarge({ limitBytes: maxResponseBytes, attempts })
    default:
      return new Unavailable({ attempts, detail: failure.detail })
  }
}

const tooLarge = (maxBytes: number, seen: string) =>
  new RetryableFailure({
    reason: "too-large",
    detail: `the response is larger than ${maxBytes} bytes (${seen}); abandoned unread`,
    retryAfter: Option.none()
  })

/**
 * The body as text, read chunk by chunk and abandoned once it passes `maxBytes` (before reading anything when
 * `Content-Length` says so): what is held never exceeds the bound, whatever the server sends. Bytes that are
 * not UTF-8 become U+FFFD, as `response.text` does.
 */
const boundedText = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number
): Effect.Effect<string, HttpClientError.ResponseError | RetryableFailure> => {
  const declared = Number(response.headers["content-length"])
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Effect.fail(tooLarge(maxBytes, `Content-Length ${declared}`))
  }
  return Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    return response.stream.pipe(
      Stream.runForEach((chunk) => {
        size += chunk.length
        if (size > maxBytes) return Effect.fail(tooLarge(maxBytes, `more than ${size} bytes sent`))
        chunks.push(chunk)
        return Effect.void
      }),
      Effect.map(() => Buffer.concat(chunks, size).toString("utf8"))
    )
  })
}

/** Builds the client from plain options; the HTTP implementation comes from the context. */
export const make = (
  options: SpycloudClientOptions
): Effect.Effect<SpycloudClientShape, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const baseUrl = options.baseUrl.replace(/\/*$/, "/")
    const apiKey = Redacted.value(options.apiKey)
    const readTimeout = Duration.decode(options.readTimeout)
    const cache = new CatalogCache(options.catalogCacheCapacity ?? DEFAULT_CATALOG_CACHE_CAPACITY)
    const batchSize = options.catalogBatchSize ?? DEFAULT_CATALOG_BATCH_SIZE
    const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES

    // Belt and braces: no text that reaches an error or a log can carry the key, even if a server echoed it.
    const scrub = (text: string) =>
      apiKey === "" || !text.includes(apiKey) ? text : text.split(apiKey).join(REDACTED_TEXT)

    const policyFor = (endpoint: Endpoint, maxRetries: number): Schedule.Schedule<unknown, AttemptError> =>
      retryPolicy<AttemptError>({
        maxRetries,
        initialDelay: options.retryInitialDelay,
        maxDelay: options.retryMaxDelay,
        onRetry: (failure, delay) =>
          Effect.zipRight(
            Metrics.recordRetry(endpoint, failure.reason),
            Effect.logDebug("SpyCloud request failed; retrying").pipe(
              Effect.annotateLogs({
                endpoint,
                reason: failure.reason,
                detail: failure.detail,
                delay_ms: Duration.toMillis(delay)
              })
            )
          ),
        onRetryAfterCapped: (requested) =>
          Effect.zipRight(
            Metric.increment(Metrics.retryAfterCapped),
            Effect.logWarning("SpyCloud asked to wait longer than SPYCLOUD_RETRY_MAX_DELAY; waiting the maximum").pipe(
              Effect.annotateLogs({ endpoint, retry_after_ms: Duration.toMillis(requested) })
            )
          )
      })
    const policies = {
      watchlist: policyFor("watchlist", options.maxRetries),
      catalog: policyFor("catalog", options.maxRetries),
      probe: policyFor("watchlist", Math.min(options.maxRetries, PROBE_MAX_RETRIES))
    }

    const get = (path: string, params: ReadonlyArray<readonly [string, string]> = []) =>
      HttpClientRequest.get(baseUrl + path, { urlParams: params, acceptJson: true, headers: { "X-API-KEY": apiKey } })

    /** One HTTP exchange: a decoded body, a typed error, or a failure worth retrying. */
    const attempt = <A>(
      endpoint: Endpoint,
      request: HttpClientRequest.HttpClientRequest,
      decode: (json: unknown) => Either.Either<A, string>
    ): Effect.Effect<A, AttemptError> =>
      Effect.gen(function*() {
        const started = yield* Clock.currentTimeMillis
        const exchange = yield* http.execute(request).pipe(
          Effect.flatMap((response) =>
            Effect.map(boundedText(response, maxResponseBytes), (body) => ({ response, body }))
          ),
          Effect.timeoutFail({
            duration: readTimeout,
            onTimeout: () =>
              new RetryableFailure({
                reason: "read-timeout",
                detail: `no complete response within ${Duration.format(readTimeout)}`,
                retryAfter: Option.none()
              })
          }),
          Effect.catchTags({
            RequestError: (error) =>
              Effect.fail(
                new RetryableFailure({
                  reason: "transport",
                  detail: scrub(transportDetail(error)),
                  retryAfter: Option.none()
                })
              ),
            ResponseError: (error) =>
              Effect.fail(
                new RetryableFailure({
                  reason: "transport",
                  detail: scrub(transportDetail(error)),
                  retryAfter: Option.none()
                })
              )
          }),
          Effect.tapError((failure) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Metrics.recordRequest(
                endpoint,
                failure.reason === "read-timeout"
                  ? "timeout"
                  : failure.reason === "too-large"
                  ? "too-large"
                  : "transport",
                (now - started) / 1000
              ))
          )
        )
        const finished = yield* Clock.currentTimeMillis
        // Every secret the connector holds is taken out before parsing: an answer that echoes one (into a
        // record, say) cannot carry it into a bundle, a log or the state.
        const { response } = exchange
        const body = withoutRegisteredSecrets(scrub(exchange.body))
        yield* Metrics.recordRequest(endpoint, String(response.status), (finished - started) / 1000)
        if (response.status < 200 || response.status > 299) {
          const headers: Record<string, string> = {}
          for (const [name, value] of Object.entries(response.headers)) headers[name] = scrub(value)
          return yield* classifyFailedResponse({
            status: response.status,
            headers,
            body,
            retryAfter: parseRetryAfter(response.headers["retry-after"], finished)
          })
        }
        let json: unknown
        try {
          json = JSON.parse(body)
        } catch (error) {
          return yield* new RetryableFailure({
            reason: "bad-body",
            detail: jsonSyntaxErrorText(error, body.length),
            retryAfter: Option.none()
          })
        }
        const decoded = decode(json)
        if (Either.isLeft(decoded)) {
          return yield* new RetryableFailure({
            reason: "bad-body",
            detail: decoded.left,
            retryAfter: Option.none()
          })
        }
        return decoded.right
      })

    /** A request with its retries; what survives them is a `SpycloudError`. */
    const send = <A>(
      endpoint: Endpoint,
      policy: Schedule.Schedule<unknown, AttemptError>,
      request: HttpClientRequest.HttpClientRequest,
      decode: (json: unknown) => Either.Either<A, string>
    ): Effect.Effect<A, SpycloudError> =>
      Effect.suspend(() => {
        let attempts = 0
        let metGatewayTimeout = false
        return Effect.suspend(() => {
          attempts += 1
          return attempt(endpoint, request, decode)
        }).pipe(
          Effect.tapError((error) => Effect.sync(() => void (metGatewayTimeout ||= isGatewayTimeout(error)))),
          Effect.retry(policy),
          Effect.catchIf(
            isRetryableFailure,
            (failure) => Effect.fail(exhausted(failure, attempts, metGatewayTimeout, maxResponseBytes))
          )
        )
      })

    interface PageState {
      readonly cursor: Option.Option<string>
      readonly number: number
    }

    const breachRecords = (query: BreachQuery) =>
      paginatePrefetched<PageState, BreachPage, SpycloudError, never>(
        { cursor: Option.none(), number: 1 },
        ({ cursor, number }) =>
          send(
            "watchlist",
            policies.watchlist,
            get("breach/data/watchlist", watchlistParams(query, cursor)),
            (json) => decodeWatchlistPage(json, number)
          ).pipe(
            Effect.flatMap((page) => {
              const empty = page.records.length === 0 && page.skipped.length === 0
              // Following such a cursor would ask for the same empty page forever.
              const stuck = Option.isSome(page.cursor) && Option.isSome(cursor) && page.cursor.value === cursor.value
              if (empty && stuck) {
                return Effect.fail(
                  new BadResponse({ detail: `page ${number} is empty and hands back the cursor it was asked for` })
                )
              }
              const result: BreachPage = { hits: page.hits, number, records: page.records, skipped: page.skipped }
              const next = Option.map(
                page.cursor,
                (value): PageState => ({ cursor: Option.some(value), number: number + 1 })
              )
              return Effect.as(
                Metric.incrementBy(Metrics.recordsUndecodable, page.skipped.length),
                [result, next] as const
              )
            })
          )
      )

    const catalogs = (ids: ReadonlyArray<SourceId>) =>
      Effect.gen(function*() {
        const found = new Map<string, BreachCatalog>()
        const missing = new Set<string>()
        for (const id of ids) {
          const key = catalogKey(id)
          if (found.has(key) || missing.has(key)) continue
          const cached = cache.get(key)
          if (cached !== undefined) found.set(key, cached)
          else missing.add(key)
        }
        yield* Metric.incrementBy(Metrics.catalogCacheHits, found.size)
        yield* Metric.incrementBy(Metrics.catalogCacheMisses, missing.size)
        for (const batch of catalogBatches([...missing], batchSize)) {
          const entries = yield* send(
            "catalog",
            policies.catalog,
            get(`breach/catalog/${batch.join(",")}`),
            decodeCatalogPage
          ).pipe(
            // Asked only for unknown ids, SpyCloud may answer 404: they are unknown, not an error.
            Effect.catchIf(
              (error) => error._tag === "Rejected" && error.status === 404,
              () => Effect.succeed<Array<BreachCatalog>>([])
            )
          )
          // An entry answers for its numeric id and for its UUID, whichever the record used.
          const byKey = new Map<string, BreachCatalog>()
          for (const entry of entries) {
            byKey.set(catalogKey(entry.id), entry)
            if (typeof entry.uuid === "string" && entry.uuid !== "") byKey.set(entry.uuid, entry)
          }
          for (const encoded of batch) {
            const key = decodeURIComponent(encoded)
            const entry = byKey.get(key)
            if (entry !== undefined) {
              found.set(key, entry)
              cache.set(key, entry)
            }
          }
        }
        return found as ReadonlyMap<string, BreachCatalog>
      })

    const probe = Effect.gen(function*() {
      const today = DateTime.formatIsoDateUtc(yield* DateTime.now)
      const query: BreachQuery = {
        dateField: "publish",
        since: today,
        until: Option.some(today),
        severity: [],
        watchlistType: Option.none()
      }
      yield* send(
        "watchlist",
        policies.probe,
        get("breach/data/watchlist", watchlistParams(query, Option.none())),
        decodeWatchlistEnvelope
      )
    })

    return SpycloudClient.of({ breachRecords, catalogs, probe })
  })

/** The client configured from `spycloud.*` settings. */
export const layer: Layer.Layer<SpycloudClient, never, HttpClient.HttpClient | ConnectorConfig> = Layer.effect(
  SpycloudClient,
  Effect.gen(function*() {
    const { spycloud } = yield* ConnectorConfig
    // The configuration is rejected without a key, so reaching this is a wiring bug.
    const apiKey = yield* Option.match(spycloud.apiKey, {
      onNone: () => Effect.dieMessage("SPYCLOUD_API_KEY is not set; the configuration should have been rejected"),
      onSome: Effect.succeed
    })
    return yield* make({
      baseUrl: spycloud.apiBaseUrl,
      apiKey,
      readTimeout: spycloud.readTimeout,
      maxRetries: spycloud.maxRetries,
      retryInitialDelay: spycloud.retryInitialDelay,
      retryMaxDelay: spycloud.retryMaxDelay,
      maxResponseBytes: spycloud.maxResponseMb * 1024 * 1024
    })
  })
)

/**
 * Node's HTTP client (undici) for the edge to provide, with a connect timeout. The read timeout is
 * enforced by the client itself (`readTimeout`): @effect/platform-node disables undici's own header and
 * body timeouts and leaves them to Effect.
 */
export const makeNodeHttpClientLayer = (options: {
  readonly connectTimeout: Duration.DurationInput
}): Layer.Layer<HttpClient.HttpClient> =>
  NodeHttpClient.layerUndiciWithoutDispatcher.pipe(
    Layer.provide(
      Layer.scoped(
        NodeHttpClient.Dispatcher,
        Effect.acquireRelease(
          Effect.sync(() =>
            new Undici.Agent({ connect: { timeout: Duration.toMillis(Duration.decode(options.connectTimeout)) } })
          ),
          (agent) => Effect.promise(() => agent.destroy())
        )
      )
    )
  )

/** `makeNodeHttpClientLayer` with `SPYCLOUD_CONNECT_TIMEOUT`. */
export const nodeHttpClientLayer: Layer.Layer<HttpClient.HttpClient, never, ConnectorConfig> = Layer.unwrapEffect(
  Effect.map(ConnectorConfig, ({ spycloud }) => makeNodeHttpClientLayer({ connectTimeout: spycloud.connectTimeout }))
)
