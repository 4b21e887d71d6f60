/**
 * The client against the local stand-in over real HTTP (undici), with real time: retry delays are a few
 * milliseconds so that nothing waits long.
 */
import { describe, expect } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Option, Redacted, Stream } from "effect"
import { makeConfigProvider } from "../../src/config/ConfigSource.js"
import * as ConnectorConfig from "../../src/config/ConnectorConfig.js"
import {
  type BreachPage,
  type BreachQuery,
  SpycloudClient,
  type SpycloudClientShape
} from "../../src/spycloud/SpycloudClient.js"
import * as SpycloudClientLive from "../../src/spycloud/SpycloudClientLive.js"
import type { SpycloudError } from "../../src/spycloud/SpycloudError.js"
import { liveLayer } from "../support/LiveLayer.js"
import {
  filterOfQuery,
  SpycloudApi,
  type SpycloudStandIn,
  startSpycloudStandIn
} from "../support/spycloud/SpycloudStandIn.js"

/** Uses a client inside the lifetime of its HTTP layer (the undici agent closes with the layer). */
const withClient = <A, E>(
  use: (client: SpycloudClientShape) => Effect.Effect<A, E>,
  overrides: Partial<SpycloudClientLive.SpycloudClientOptions> = {}
) =>
  Effect.flatMap(SpycloudApi, (standIn) =>
    SpycloudClientLive.make({
      baseUrl: standIn.baseUrl,
      apiKey: Redacted.make(standIn.apiKey),
      readTimeout: "10 seconds",
      maxRetries: 5,
      retryInitialDelay: "2 millis",
      retryMaxDelay: "20 millis",
      ...overrides
    })).pipe(
      Effect.flatMap(use),
      Effect.provide(SpycloudClientLive.makeNodeHttpClientLayer({ connectTimeout: "5 seconds" }))
    )

const QUERY: BreachQuery = {
  dateField: "publish",
  since: "2024-09-03",
  until: Option.some("2024-09-19T00:00:00Z"),
  severity: [20, 25],
  watchlistType: Option.some("email")
}

const pagesOf = (query: BreachQuery, overrides: Partial<SpycloudClientLive.SpycloudClientOptions> = {}) =>
  withClient((client) => Effect.map(Stream.runCollect(client.breachRecords(query)), Chunk.toArray), overrides)

const failureOf = <A, R>(effect: Effect.Effect<A, SpycloudError, R>) =>
  Effect.flatMap(Effect.exit(effect), (exit) =>
    Exit.isFailure(exit) && exit.cause._tag === "Fail"
      ? Effect.succeed(exit.cause.error)
      : Effect.dieMessage(`expected a typed failure, got ${String(exit)}`))

const ids = (pages: ReadonlyArray<BreachPage>) => pages.flatMap((p) => p.records.map((r) => r.document_id))

const withFaults = (faults: Parameters<SpycloudStandIn["setFaults"]>[0]) =>
  Effect.map(SpycloudApi, (standIn) => {
    standIn.setFaults(faults)
    standIn.resetRequests()
  })

liveLayer(
  SpycloudApi.layer({
    dataset: { records: 20_000, days: 20, endDate: "2024-09-20", seed: 42, invalidEvery: 97, modifiedEvery: 11 }
  })
)((it) => {
  describe("SpycloudClientLive against the stand-in", () => {
    it.effect("delivers every record of a filtered query, in order, across pages", () =>
      Effect.gen(function*() {
        const standIn = yield* SpycloudApi
        yield* withFaults({})
        const expected = standIn.dataset.documentIds(filterOfQuery(QUERY))
        expect(expected.length).toBeGreaterThan(5000)
        const pages = yield* pagesOf(QUERY)
        expect(ids(pages)).toEqual(expected)
        expect(pages.length).toBe(Math.ceil(standIn.dataset.count(filterOfQuery(QUERY)) / 1000))
        expect(pages[0]!.hits).toBe(standIn.dataset.count(filterOfQuery(QUERY)))
        const skipped = pages.flatMap((p) => p.skipped)
        expect(skipped).toHaveLength(standIn.dataset.malformedCount(filterOfQuery(QUERY)))
        for (const record of pages.flatMap((p) => p.records)) {
          expect([20, 25]).toContain(record.severity)
          const published = Date.parse(record.spycloud_publish_date)
          expect(published).toBeGreaterThanOrEqual(Date.parse("2024-09-03T00:00:00Z"))
          expect(published).toBeLessThanOrEqual(Date.parse("2024-09-19T00:00:00Z"))
        }
        const watchlistRequests = standIn.requests().filter((r) => r.endpoint === "watchlist")
        expect(watchlistRequests.every((r) => r.query.severity === "20,25" && r.query.watchlist_type === "email")).toBe(
          true
        )
      }))

    it.effect("delivers modified records by modification date", () =>
      Effect.gen(function*() {
        const standIn = yield* SpycloudApi
        yield* withFaults({})
        const query: BreachQuery = {
          dateField: "modification",
          since: "2024-09-10",
          until: Option.none(),
          severity: [],
          watchlistType: Option.none()
        }
        const pages = yield* pagesOf(query)
        const expected = standIn.dataset.documentIds(filterOfQuery(query))
        expect(expected.length).toBeGreaterThan(0)
        expect(ids(pages)).toEqual(expected)
      }))

    it.effect("still delivers everything when half the answers fail", () =>
      Effect.gen(function*() {
        const standIn = yield* SpycloudApi
        yield* withFaults({
          rate: 0.5,
          kinds: ["504", "500", "502", "503", "throttle", "throttle-date", "reset", "truncated"],
          retryAfterSeconds: 0,
          maxConsecutive: 4,
          seed: 9
        })
        const pages = yield* pagesOf(QUERY)
        expect(ids(pages)).toEqual(standIn.dataset.documentIds(filterOfQuery(QUERY)))
        const sources = standIn.dataset.sourceIds
        const catalogs = yield* withClient((client) => client.catalogs(sources))
        expect([...catalogs.keys()].sort()).toEqual(
          sources.filter((id) => standIn.dataset.catalog(id) !== undefined).map(String).sort()
        )
        const faults = standIn.requests().filter((r) => r.fault !== undefined)
        expect(faults.length).toBeGreaterThan(3)
        expect(new Set(faults.map((r) => r.fault)).size).toBeGreaterThan(3)
      }))

    it.effect("fails fast on the quota, with a message saying so", () =>
      Effect.gen(function*() {
        const standIn = yield* SpycloudApi
        yield* withFaults({ sequence: ["quota"] })
        const error = yield* failureOf(pagesOf(QUERY))
        expect(error._tag).toBe("QuotaExceeded")
        expect(error.message).toMatch(/quota/)
        expect(standIn.requests()).toHaveLength(1)
      }))

    it.effect("fails fast on a wrong key, naming the key", () =>
      Effect.gen(function*() {
        const standIn = yield* SpycloudApi
        yield* withFaults({})
        const error = yield* failureOf(pagesOf(QUERY, { apiKey: Redacted.make("not-the-key") }))
        expect(error).toMatchObject({ _tag: "Forbidden", reason: "invalid-api-key" })
        expect(error.message).toContain("SPYCLOUD_API_KEY")
        expect(standIn.requests()).toHaveLength(1)
      }))

    it.effect("fails with CursorExpired when the cursor is gone mid-query", () =>
      Effect.gen(function*() {
        yield* withFaults({ sequence: ["ok", "cursor-expired"] })
        const error = yield* failureOf(pagesOf(QUERY))
        expect(error._tag).toBe("CursorExpired")
      }))

    it.effect("reports Timeout for a query too heavy for the gateway", () =>
      Effect.gen(function*() {
        const standIn = yield* SpycloudApi
        yield* withFaults({ timeoutAboveHits: 1000 })
        const error = yield* failureOf(pagesOf(QUERY, { maxRetries: 2 }))
        expect(error).toMatchObject({ _tag: "Timeout", attempts: 2 })
        const small = yield* pagesOf({ ...QUERY, since: "2024-09-18", until: Option.some("2024-09-18") })
        expect(ids(small)).toEqual(
          standIn.dataset.documentIds(
            filterOfQuery({ ...QUERY, since: "2024-09-18", until: Option.some("2024-09-18") })
          )
        )
      }))

    it.effect("gives up on a server that does not answer within the read timeout", () =>
      Effect.gen(function*() {
        yield* withFaults({ sequence: ["hang", "hang"] })
        const error = yield* failureOf(pagesOf(QUERY, { readTimeout: "200 millis", maxRetries: 1 }))
        expect(error._tag).toBe("Unavailable")
        expect(error.message).toContain("200ms")
      }))

    it.effect("reports a connection refused as Unavailable", () =>
      Effect.gen(function*() {
        const closed = yield* Effect.promise(() => startSpycloudStandIn({ dataset: { records: 1 } }))
        yield* Effect.promise(() => closed.stop())
        const error = yield* failureOf(
          pagesOf(QUERY, { baseUrl: closed.baseUrl, maxRetries: 1 })
        )
        expect(error._tag).toBe("Unavailable")
        expect(error.message).toMatch(/ECONNREFUSED/)
      }))
  })

  describe("SpycloudClientLive.probe against the stand-in", () => {
    it.effect("succeeds with the right key", () =>
      Effect.gen(function*() {
        const standIn = yield* SpycloudApi
        yield* withFaults({})
        yield* withClient((client) => client.probe)
        expect(standIn.requests()).toEqual([expect.objectContaining({ endpoint: "watchlist", status: 200 })])
      }))

    it.effect("fails with a message about the key when the key is wrong", () =>
      Effect.gen(function*() {
        yield* withFaults({})
        const error = yield* failureOf(withClient((client) => client.probe, { apiKey: Redacted.make("wrong") }))
        expect(error).toMatchObject({ _tag: "Forbidden", reason: "invalid-api-key" })
        expect(error.message).toContain("SPYCLOUD_API_KEY")
        expect(error.message).not.toContain("wrong")
      }))

    it.effect("fails with a message about the IP allow-list when the IP is not allowed", () =>
      Effect.gen(function*() {
        yield* withFaults({ forbidden: "ip" })
        const error = yield* failureOf(withClient((client) => client.probe))
        expect(error).toMatchObject({ _tag: "Forbidden", reason: "ip-not-allowed" })
        expect(error.message).toMatch(/IP allow-list/)
        yield* withFaults({})
      }))

    it.effect("works as wired at the edge: configuration, Node HTTP layer and client layer", () =>
      Effect.gen(function*() {
        const standIn = yield* SpycloudApi
        yield* withFaults({})
        const config = ConnectorConfig.layer.pipe(
          Layer.provide(Layer.setConfigProvider(makeConfigProvider({
            CONNECTOR_ID: "edge-test",
            CONNECTOR_SEND_TO_QUEUE: "false",
            CONNECTOR_SEND_TO_DIRECTORY: "true",
            CONNECTOR_SEND_TO_DIRECTORY_PATH: "/tmp/unused",
            SPYCLOUD_API_BASE_URL: standIn.baseUrl.replace(/\/$/, ""),
            SPYCLOUD_API_KEY: standIn.apiKey,
            SPYCLOUD_CONNECT_TIMEOUT: "PT2S"
          }, new Map())))
        )
        const live = SpycloudClientLive.layer.pipe(
          Layer.provide(SpycloudClientLive.nodeHttpClientLayer),
          Layer.provide(config)
        )
        yield* Effect.flatMap(SpycloudClient, (client) => client.probe).pipe(Effect.provide(live))
        expect(standIn.requests()).toEqual([expect.objectContaining({ endpoint: "watchlist", status: 200 })])
      }))
  })
})
