import { describe, expect, it } from "@effect/vitest"
import {
  Chunk,
  Deferred,
  Effect,
  Exit,
  Fiber,
  Layer,
  Logger,
  LogLevel,
  Metric,
  Option,
  Random,
  Redacted,
  Stream,
  TestClock
} from "effect"
import { makeConfigProvider } from "../../src/config/ConfigSource.js"
import * as ConnectorConfig from "../../src/config/ConnectorConfig.js"
import type { BreachPage, BreachQuery, SpycloudClientShape } from "../../src/spycloud/SpycloudClient.js"
import { SpycloudClient } from "../../src/spycloud/SpycloudClient.js"
import * as SpycloudClientLive from "../../src/spycloud/SpycloudClientLive.js"
import type { SpycloudError } from "../../src/spycloud/SpycloudError.js"
import * as Metrics from "../../src/spycloud/SpycloudMetrics.js"
import {
  type FakeHttp,
  fakeHttp,
  hang,
  page,
  reset,
  respond,
  scriptedHttp
} from "../support/spycloud/FakeHttpClient.js"

const API_KEY = "sk-test-7d1e93c0a2"
const BASE = "https://spycloud.test/enterprise-v2"

const OPTIONS: SpycloudClientLive.SpycloudClientOptions = {
  baseUrl: BASE,
  apiKey: Redacted.make(API_KEY),
  readTimeout: "30 seconds",
  maxRetries: 3,
  retryInitialDelay: "1 second",
  retryMaxDelay: "10 seconds"
}

const QUERY: BreachQuery = {
  dateField: "publish",
  since: "2024-01-01",
  until: Option.some("2024-01-31T23:59:59Z"),
  severity: [20, 25, 30],
  watchlistType: Option.some("email")
}

const record = (id: string, extra: Record<string, unknown> = {}) => ({
  document_id: id,
  source_id: 5001,
  spycloud_publish_date: "2024-01-02T00:00:00Z",
  severity: 20,
  ...extra
})

const clientFor = (http: FakeHttp, overrides: Partial<SpycloudClientLive.SpycloudClientOptions> = {}) =>
  SpycloudClientLive.make({ ...OPTIONS, ...overrides }).pipe(Effect.provide(http.layer))

const pagesOf = (client: SpycloudClientShape, query: BreachQuery = QUERY) =>
  Stream.runCollect(client.breachRecords(query)).pipe(Effect.map(Chunk.toArray))

/** Runs an effect that sleeps, moving the test clock a second at a time until it is done. */
const runClocked = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (let second = 0; second < 3600; second++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return yield* done.value
      yield* TestClock.adjust("1 second")
    }
    return yield* Effect.dieMessage("still running after an hour of test time")
  })

const failureOf = <A>(effect: Effect.Effect<A, SpycloudError>) =>
  Effect.flatMap(Effect.exit(runClocked(effect)), (exit) =>
    Exit.isFailure(exit) && exit.cause._tag === "Fail"
      ? Effect.succeed(exit.cause.error)
      : Effect.dieMessage(`expected a typed failure, got ${String(exit)}`))

const ids = (pages: ReadonlyArray<BreachPage>) => pages.flatMap((p) => p.records.map((r) => r.document_id))

describe("SpycloudClientLive.breachRecords", () => {
  it.effect("follows the cursor to the end, re-sending every filter with it", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(
        page([record("a"), record("b")], "cursor-1", 5),
        page([record("c"), record("d")], "cursor-2", 5),
        page([record("e")], "", 5)
      )
      const pages = yield* pagesOf(yield* clientFor(http))

      expect(ids(pages)).toEqual(["a", "b", "c", "d", "e"])
      expect(pages.map((p) => p.number)).toEqual([1, 2, 3])
      expect(pages[0]!.hits).toBe(5)
      expect(http.requests.map((r) => r.params.get("cursor"))).toEqual([null, "cursor-1", "cursor-2"])
      for (const request of http.requests) {
        expect(request.method).toBe("GET")
        expect(request.path).toBe("/enterprise-v2/breach/data/watchlist")
        expect(request.params.get("since")).toBe("2024-01-01")
        expect(request.params.get("until")).toBe("2024-01-31T23:59:59Z")
        expect(request.params.getAll("severity")).toEqual(["20,25,30"])
        expect(request.params.get("watchlist_type")).toBe("email")
        expect(request.headers["x-api-key"]).toBe(API_KEY)
        expect(request.headers["accept"]).toBe("application/json")
      }
    }))

  it.effect("queries the modification date range without the publish-date parameters", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(page([record("a")]))
      yield* pagesOf(yield* clientFor(http), {
        dateField: "modification",
        since: "2024-02-01",
        until: Option.none(),
        severity: [],
        watchlistType: Option.none()
      })
      const params = [...http.requests[0]!.params.keys()]
      expect(params).toEqual(["since_modification_date"])
      expect(http.requests[0]!.params.get("since_modification_date")).toBe("2024-02-01")
    }))

  it.effect("ends on a missing or null cursor as well as an empty one", () =>
    Effect.gen(function*() {
      const missing = scriptedHttp(respond(200, { hits: 1, results: [record("a")] }))
      expect(ids(yield* pagesOf(yield* clientFor(missing)))).toEqual(["a"])
      const nullCursor = scriptedHttp(respond(200, { cursor: null, hits: 1, results: [record("b")] }))
      expect(ids(yield* pagesOf(yield* clientFor(nullCursor)))).toEqual(["b"])
    }))

  it.effect("keeps unknown fields and accepts any integer severity", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(page([
        record("s26", { severity: 26, x_new_field: { nested: [1, 2] }, email: "a@example.com" }),
        record("s30", { severity: 30, cookies_present: true }),
        record("s99", { severity: 99 }),
        record("s-text", { severity: "25" })
      ]))
      const [only] = yield* pagesOf(yield* clientFor(http))
      expect(only!.skipped).toEqual([])
      expect(only!.records.map((r) => r.severity)).toEqual([26, 30, 99, 25])
      expect(only!.records[0]!.x_new_field).toEqual({ nested: [1, 2] })
      expect(only!.records[0]!.email).toBe("a@example.com")
      expect(only!.records[1]!.cookies_present).toBe(true)
    }))

  it.effect("skips malformed records with their id and reason, and keeps streaming", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(
        page([
          record("good-1"),
          { source_id: 1, spycloud_publish_date: "2024-01-02T00:00:00Z" },
          record("bad-date", { spycloud_publish_date: "yesterday" }),
          "not a record",
          null,
          record("bad-severity", { severity: "high" }),
          record("no-source", { source_id: undefined })
        ], "next"),
        page([record("good-2")])
      )
      const pages = yield* pagesOf(yield* clientFor(http))
      expect(ids(pages)).toEqual(["good-1", "good-2"])
      const skipped = pages[0]!.skipped
      expect(skipped.map((s) => Option.getOrNull(s.documentId))).toEqual([
        null,
        "bad-date",
        null,
        null,
        "bad-severity",
        "no-source"
      ])
      expect(skipped[0]!.reason).toContain("document_id")
      expect(skipped[1]!.reason).toContain("spycloud_publish_date")
      expect(skipped[2]!.reason).toContain("not a JSON object")
      expect(skipped[4]!.reason).toContain("severity")
      expect(skipped[5]!.reason).toContain("source_id")
    }))

  it.effect("requests the next page while the current one is consumed, and no further", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(
        page([record("a")], "c1"),
        page([record("b")], "c2"),
        page([record("c")], "")
      )
      const client = yield* clientFor(http)
      const firstSeen = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const consumer = yield* client.breachRecords(QUERY).pipe(
        Stream.tap((p) =>
          p.number === 1
            ? Effect.zipRight(Deferred.succeed(firstSeen, undefined), Deferred.await(release))
            : Effect.void
        ),
        Stream.runCollect,
        Effect.fork
      )
      yield* Deferred.await(firstSeen)
      // Let the prefetch fiber run as far as it can while page 1 is held.
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
      expect(http.requests.map((r) => r.params.get("cursor"))).toEqual([null, "c1"])
      yield* Deferred.succeed(release, undefined)
      const pages = Chunk.toArray(yield* Fiber.join(consumer))
      expect(ids(pages)).toEqual(["a", "b", "c"])
      expect(http.requests).toHaveLength(3)
    }))

  it.effect("stops requesting when the consumer stops early", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(page([record("a")], "c1"), page([record("b")], "c2"))
      const client = yield* clientFor(http)
      const taken = yield* client.breachRecords(QUERY).pipe(Stream.take(1), Stream.runCollect)
      expect(ids(Chunk.toArray(taken))).toEqual(["a"])
      expect(http.requests.length).toBeLessThanOrEqual(2)
    }))

  it.effect("fails, after delivering the pages before it, when a cursor has expired", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(
        page([record("a")], "c1"),
        respond(400, {
          errorType: "BadRequest",
          errorMessage: "[BadRequest] Invalid parameter: 'cursor'. Cursor not found."
        })
      )
      const client = yield* clientFor(http)
      const delivered: Array<string> = []
      const error = yield* failureOf(
        client.breachRecords(QUERY).pipe(
          Stream.runForEach((p) => Effect.sync(() => delivered.push(...p.records.map((r) => r.document_id))))
        )
      )
      expect(delivered).toEqual(["a"])
      expect(error._tag).toBe("CursorExpired")
      expect(http.requests).toHaveLength(2)
    }))

  it.effect("rejects an empty page that hands back the cursor it was asked for", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(page([record("a")], "same"), page([], "same", 1))
      const error = yield* failureOf(pagesOf(yield* clientFor(http)))
      expect(error._tag).toBe("BadResponse")
    }))

  it.effect("counts undecodable records", () =>
    Effect.gen(function*() {
      const before = (yield* Metric.value(Metrics.recordsUndecodable)).count
      const http = scriptedHttp(page([record("a"), { nope: true }, 42]))
      yield* pagesOf(yield* clientFor(http))
      expect((yield* Metric.value(Metrics.recordsUndecodable)).count - before).toBe(2)
    }))
})

describe("SpycloudClientLive errors", () => {
  const failWith = (reply: ReturnType<typeof respond>) =>
    Effect.gen(function*() {
      const http = fakeHttp(() => reply)
      const error = yield* failureOf(pagesOf(yield* clientFor(http)))
      return { error, requests: http.requests.length }
    })

  it.effect("403 with SpyCloud-Error: Invalid API key fails at once, naming the key", () =>
    Effect.gen(function*() {
      const { error, requests } = yield* failWith(
        respond(403, { message: "Forbidden" }, { "SpyCloud-Error": "Invalid API key" })
      )
      expect(requests).toBe(1)
      expect(error).toMatchObject({ _tag: "Forbidden", reason: "invalid-api-key" })
      expect(error.message).toContain("SPYCLOUD_API_KEY")
    }))

  it.effect("403 with SpyCloud-Error: Invalid IP says to allow-list the address", () =>
    Effect.gen(function*() {
      const { error, requests } = yield* failWith(
        respond(403, { message: "Forbidden" }, { "SpyCloud-Error": "Invalid IP address 198.51.100.7" })
      )
      expect(requests).toBe(1)
      expect(error).toMatchObject({ _tag: "Forbidden", reason: "ip-not-allowed" })
      expect(error.message).toMatch(/allow-list/)
      expect(error.message).toContain("198.51.100.7")
    }))

  it.effect("403 with the gateway's explicit deny is an entitlement problem", () =>
    Effect.gen(function*() {
      const { error } = yield* failWith(
        respond(403, { message: "User is not authorized to access this resource with an explicit deny" })
      )
      expect(error).toMatchObject({ _tag: "Forbidden", reason: "not-entitled" })
    }))

  it.effect("a bare 403 names both the key and the IP allow-list", () =>
    Effect.gen(function*() {
      const { error } = yield* failWith(respond(403, { message: "Forbidden" }))
      expect(error).toMatchObject({ _tag: "Forbidden", reason: "unknown" })
      expect(error.message).toContain("SPYCLOUD_API_KEY")
      expect(error.message).toMatch(/allow-list/)
    }))

  it.effect("401 reads as an invalid key", () =>
    Effect.gen(function*() {
      const { error, requests } = yield* failWith(respond(401, { message: "Unauthorized" }))
      expect(requests).toBe(1)
      expect(error).toMatchObject({ _tag: "Forbidden", reason: "invalid-api-key" })
      expect(error.message).toContain("HTTP 401")
    }))

  it.effect("429 LimitExceededException is the quota: no retry", () =>
    Effect.gen(function*() {
      const { error, requests } = yield* failWith(
        respond(429, { message: "Limit Exceeded" }, {
          "x-amzn-ErrorType": "LimitExceededException",
          "Retry-After": "1"
        })
      )
      expect(requests).toBe(1)
      expect(error._tag).toBe("QuotaExceeded")
      expect(error.message).toMatch(/quota/)
    }))

  it.effect("any other 400 is Rejected without retrying, with the server's message", () =>
    Effect.gen(function*() {
      const { error, requests } = yield* failWith(
        respond(400, { errorType: "BadRequest", errorMessage: "Invalid parameter: 'severity'." })
      )
      expect(requests).toBe(1)
      expect(error).toMatchObject({ _tag: "Rejected", status: 400 })
      expect(error.message).toContain("Invalid parameter: 'severity'.")
    }))

  it.effect("reads error messages from message, errorMessage or error", () =>
    Effect.gen(function*() {
      const fromError = yield* failWith(respond(404, { error: "NOT_FOUND" }))
      expect(fromError.error.message).toContain("NOT_FOUND")
      const fromText = yield* failWith(respond(418, "plain text teapot"))
      expect(fromText.error.message).toContain("plain text teapot")
    }))

  it.effect("a 504 gets one more attempt, then becomes Timeout (the query is too heavy: splitting cures it)", () =>
    Effect.gen(function*() {
      const { error, requests } = yield* failWith(respond(504, { message: "Endpoint request timed out" }))
      expect(requests).toBe(2)
      expect(error).toMatchObject({ _tag: "Timeout", attempts: 2 })
    }))

  it.effect("a 504 anywhere in the retry chain makes it a Timeout, whatever the last attempt met", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(reset, respond(502, {}), respond(504, {}), reset, page([record("never")]))
      const error = yield* runClocked(failureOf(pagesOf(yield* clientFor(http))))
      expect(http.requests).toHaveLength(4)
      expect(error).toMatchObject({ _tag: "Timeout", attempts: 4 })
      expect(error.message).toContain("other side closed")

      const first = scriptedHttp(respond(504, {}), reset, page([record("never")]))
      const afterTimeout = yield* runClocked(failureOf(pagesOf(yield* clientFor(first))))
      expect(first.requests).toHaveLength(2)
      expect(afterTimeout._tag).toBe("Timeout")
    }))

  it.effect("transient failures before a 504 do not use up its one more attempt", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(reset, respond(503, {}), respond(504, {}), page([record("a")]))
      const pages = yield* runClocked(pagesOf(yield* clientFor(http)))
      expect(ids(pages)).toEqual(["a"])
      expect(http.requests).toHaveLength(4)
    }))

  it.effect.each([500, 502, 503])(
    "%i on every attempt becomes Unavailable after the retries",
    (status) =>
      Effect.gen(function*() {
        const { error, requests } = yield* failWith(respond(status, { message: "Internal server error" }))
        expect(requests).toBe(OPTIONS.maxRetries + 1)
        expect(error).toMatchObject({ _tag: "Unavailable", attempts: OPTIONS.maxRetries + 1 })
        expect(error.message).toContain(`HTTP ${status}`)
      })
  )

  it.effect("429 throttling on every attempt becomes Unavailable after the retries", () =>
    Effect.gen(function*() {
      const { error, requests } = yield* failWith(
        respond(429, { message: "Too Many Requests" }, { "x-amzn-ErrorType": "TooManyRequestsException" })
      )
      expect(requests).toBe(OPTIONS.maxRetries + 1)
      expect(error._tag).toBe("Unavailable")
    }))

  it.effect("a dropped connection is retried, then Unavailable", () =>
    Effect.gen(function*() {
      const http = fakeHttp(() => reset)
      const error = yield* failureOf(pagesOf(yield* clientFor(http)))
      expect(http.requests).toHaveLength(OPTIONS.maxRetries + 1)
      expect(error._tag).toBe("Unavailable")
      expect(error.message).toContain("other side closed")
    }))

  it.effect("no answer within the read timeout is retried, then Unavailable", () =>
    Effect.gen(function*() {
      const http = fakeHttp(() => hang)
      const error = yield* failureOf(pagesOf(yield* clientFor(http, { maxRetries: 1 })))
      expect(http.requests).toHaveLength(2)
      expect(error._tag).toBe("Unavailable")
      expect(error.message).toContain("30s")
    }))

  it.effect("a body that is not JSON, or not a page, is retried, then BadResponse", () =>
    Effect.gen(function*() {
      const truncated = fakeHttp(() => respond(200, "{\"cursor\":\"x\",\"hits\":3,\"results\":[{\"docu"))
      const notJson = yield* failureOf(pagesOf(yield* clientFor(truncated)))
      expect(truncated.requests).toHaveLength(OPTIONS.maxRetries + 1)
      expect(notJson._tag).toBe("BadResponse")
      expect(notJson.message).toContain("not valid JSON")

      const wrongShape = fakeHttp(() => respond(200, { cursor: "", hits: 1, results: "nope" }))
      const notPage = yield* failureOf(pagesOf(yield* clientFor(wrongShape)))
      expect(notPage._tag).toBe("BadResponse")
      expect(notPage.message).toContain("results")
    }))

  it.effect("an answer over maxResponseBytes is abandoned, retried, then ResponseTooLarge; one under it is read", () =>
    Effect.gen(function*() {
      const big = [record("a", { user_agent: "x".repeat(5000) })]
      const tooLarge = fakeHttp(() => page(big))
      const error = yield* failureOf(pagesOf(yield* clientFor(tooLarge, { maxRetries: 1, maxResponseBytes: 4096 })))
      expect(tooLarge.requests).toHaveLength(2)
      expect(error._tag).toBe("ResponseTooLarge")
      expect(error.message).toContain("larger than 4096 bytes")
      expect(error.message).toContain("SPYCLOUD_MAX_RESPONSE_MB")

      const fits = yield* pagesOf(yield* clientFor(fakeHttp(() => page(big)), { maxResponseBytes: 8192 }))
      expect(ids(fits)).toEqual(["a"])
    }))

  it.effect("recovers when a retry succeeds, whatever failed before", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(
        reset,
        respond(502, { message: "bad gateway" }),
        respond(504, { message: "timeout" }),
        page([record("a")])
      )
      const pages = yield* runClocked(pagesOf(yield* clientFor(http)))
      expect(ids(pages)).toEqual(["a"])
      expect(http.requests).toHaveLength(4)
    }))

  it.effect("never puts the API key in an error or a log line", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.make(({ annotations, message }) => {
        lines.push(JSON.stringify({ message, annotations: [...annotations] }))
      })
      // A server that echoes the key back must not leak it either.
      const replies = [
        respond(403, { message: `key ${API_KEY} rejected` }, { "SpyCloud-Error": `Invalid API key ${API_KEY}` }),
        respond(400, { message: `bad ${API_KEY}` }),
        respond(429, { message: API_KEY }, { "x-amzn-ErrorType": "LimitExceededException" }),
        respond(500, { message: `oops ${API_KEY}` }),
        respond(504, `timeout ${API_KEY}`),
        respond(200, `{${API_KEY}`)
      ]
      for (const reply of replies) {
        const http = fakeHttp(() => reply)
        const error = yield* failureOf(pagesOf(yield* clientFor(http, { maxRetries: 1 }))).pipe(
          Effect.provide(Layer.merge(Logger.add(capture), Logger.minimumLogLevel(LogLevel.All)))
        )
        const text = [error.message, String(error), JSON.stringify(error)].join("\n")
        expect(text).not.toContain(API_KEY)
      }
      expect(lines.length).toBeGreaterThan(0)
      expect(lines.join("\n")).not.toContain(API_KEY)
    }))
})

describe("SpycloudClientLive retry schedule", () => {
  const countAt = (http: FakeHttp, seconds: number) =>
    Effect.gen(function*() {
      yield* TestClock.setTime(seconds * 1000)
      return http.requests.length
    })

  it.effect("backs off exponentially with ±20 % jitter", () =>
    Effect.gen(function*() {
      const http = fakeHttp(() => respond(503, { message: "unavailable" }))
      const client = yield* clientFor(http, { retryInitialDelay: "1 second", retryMaxDelay: "1 minute" })
      const fiber = yield* Effect.fork(Effect.exit(pagesOf(client)))
      // Retry 1 after 0.8-1.2 s; retry 2 after 1.6-2.4 s more; retry 3 after 3.2-4.8 s more.
      expect(yield* countAt(http, 0.79)).toBe(1)
      expect(yield* countAt(http, 1.21)).toBe(2)
      expect(yield* countAt(http, 2.39)).toBe(2)
      expect(yield* countAt(http, 3.61)).toBe(3)
      expect(yield* countAt(http, 5.59)).toBe(3)
      expect(yield* countAt(http, 8.41)).toBe(4)
      const exit = yield* Fiber.join(fiber)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(http.requests).toHaveLength(4)
    }))

  it.effect("draws the jitter from the Random service", () =>
    Effect.gen(function*() {
      // With every draw at 0 the delays are 0.8 s, 1.6 s, 3.2 s: retries at t = 0.8, 2.4 and 5.6.
      const http = fakeHttp(() => respond(500, {}))
      const client = yield* clientFor(http)
      const fiber = yield* Effect.fork(Effect.exit(pagesOf(client).pipe(Effect.withRandom(Random.fixed([0])))))
      expect(yield* countAt(http, 0.799)).toBe(1)
      expect(yield* countAt(http, 0.8)).toBe(2)
      expect(yield* countAt(http, 2.399)).toBe(2)
      expect(yield* countAt(http, 2.4)).toBe(3)
      expect(yield* countAt(http, 5.599)).toBe(3)
      expect(yield* countAt(http, 5.6)).toBe(4)
      yield* Fiber.join(fiber)
    }))

  it.effect("caps every delay at the maximum", () =>
    Effect.gen(function*() {
      const http = fakeHttp(() => respond(500, {}))
      const client = yield* clientFor(http, {
        maxRetries: 5,
        retryInitialDelay: "2 seconds",
        retryMaxDelay: "3 seconds"
      })
      const fiber = yield* Effect.fork(Effect.exit(pagesOf(client)))
      // Uncapped, retries 2-5 would wait 3.2 s to 38 s each; capped, each waits at most 3 s.
      for (let retry = 1; retry <= 5; retry++) {
        expect(yield* countAt(http, retry * 3)).toBe(retry + 1)
      }
      yield* Fiber.join(fiber)
    }))

  it.effect("does not retry at all with maxRetries 0", () =>
    Effect.gen(function*() {
      const http = fakeHttp(() => respond(504, {}))
      const error = yield* failureOf(pagesOf(yield* clientFor(http, { maxRetries: 0 })))
      expect(http.requests).toHaveLength(1)
      expect(error).toMatchObject({ _tag: "Timeout", attempts: 1 })
    }))

  it.effect("waits exactly Retry-After seconds on throttling, without jitter", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(
        respond(429, { message: "Too Many Requests" }, { "Retry-After": "7" }),
        page([record("a")])
      )
      const fiber = yield* Effect.fork(pagesOf(yield* clientFor(http)))
      expect(yield* countAt(http, 6.999)).toBe(1)
      expect(yield* countAt(http, 7)).toBe(2)
      expect(ids(yield* Fiber.join(fiber))).toEqual(["a"])
    }))

  it.effect("reads Retry-After as an HTTP date", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2025, 0, 1, 12, 0, 0))
      const http = scriptedHttp(
        respond(429, {}, { "Retry-After": new Date(Date.UTC(2025, 0, 1, 12, 0, 5)).toUTCString() }),
        page([record("a")])
      )
      const fiber = yield* Effect.fork(pagesOf(yield* clientFor(http)))
      yield* TestClock.adjust("4999 millis")
      expect(http.requests).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      expect(http.requests).toHaveLength(2)
      expect(ids(yield* Fiber.join(fiber))).toEqual(["a"])
    }))

  it.effect("caps a Retry-After above the maximum delay, and counts it", () =>
    Effect.gen(function*() {
      const before = (yield* Metric.value(Metrics.retryAfterCapped)).count
      const http = scriptedHttp(respond(503, {}, { "Retry-After": "3600" }), page([record("a")]))
      const fiber = yield* Effect.fork(pagesOf(yield* clientFor(http, { retryMaxDelay: "10 seconds" })))
      expect(yield* countAt(http, 9.999)).toBe(1)
      expect(yield* countAt(http, 10)).toBe(2)
      yield* Fiber.join(fiber)
      expect((yield* Metric.value(Metrics.retryAfterCapped)).count - before).toBe(1)
    }))

  it.effect("records every attempt and every retry as metrics", () =>
    Effect.gen(function*() {
      const requests = (status: string) =>
        Metric.value(Metric.tagged(Metric.tagged(Metrics.requests, "endpoint", "watchlist"), "status", status))
      const retries = Metric.value(
        Metric.tagged(Metric.tagged(Metrics.retries, "endpoint", "watchlist"), "reason", "gateway-timeout")
      )
      const before = { ok: (yield* requests("200")).count, timeout: (yield* requests("504")).count }
      const retriesBefore = (yield* retries).count
      const http = scriptedHttp(respond(504, {}), page([record("a")]))
      yield* runClocked(pagesOf(yield* clientFor(http)))
      expect((yield* requests("200")).count - before.ok).toBe(1)
      expect((yield* requests("504")).count - before.timeout).toBe(1)
      expect((yield* retries).count - retriesBefore).toBe(1)
    }))
})

describe("SpycloudClientLive.catalogs", () => {
  const catalog = (id: number, title: string) => ({
    id,
    uuid: `00000000-0000-4000-8000-${String(id).padStart(12, "0")}`,
    title,
    type: "SOMETHING_NEW",
    breach_main_category: "phished"
  })

  it.effect("asks for many ids in one request and leaves unknown ones out", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(page([catalog(11, "Eleven"), catalog(12, "Twelve")]))
      const client = yield* clientFor(http)
      const found = yield* client.catalogs([11, 12, 13, 12])
      expect(http.requests).toHaveLength(1)
      expect(http.requests[0]!.path).toBe("/enterprise-v2/breach/catalog/11,12,13")
      expect(http.requests[0]!.headers["x-api-key"]).toBe(API_KEY)
      expect([...found.keys()].sort()).toEqual(["11", "12"])
      expect(found.get("12")).toMatchObject({ title: "Twelve", breach_main_category: "phished", type: "SOMETHING_NEW" })
    }))

  it.effect("serves known ids from the cache and asks again for unknown ones", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(
        page([catalog(11, "Eleven")]),
        page([]),
        page([catalog(13, "Thirteen")])
      )
      const client = yield* clientFor(http)
      yield* client.catalogs([11, 13])
      const second = yield* client.catalogs([11, 13])
      expect(second.get("11")?.title).toBe("Eleven")
      expect(second.has("13")).toBe(false)
      expect(http.requests[1]!.path).toBe("/enterprise-v2/breach/catalog/13")
      const third = yield* client.catalogs([13, 11])
      expect(third.get("13")?.title).toBe("Thirteen")
      expect(http.requests[2]!.path).toBe("/enterprise-v2/breach/catalog/13")
      expect(http.requests).toHaveLength(3)
    }))

  it.effect("does not cache a failed lookup: the next call asks again", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(
        respond(403, {}, { "SpyCloud-Error": "Invalid API key" }),
        page([catalog(11, "Eleven")])
      )
      const client = yield* clientFor(http)
      const error = yield* failureOf(client.catalogs([11]))
      expect(error._tag).toBe("Forbidden")
      const found = yield* client.catalogs([11])
      expect(found.get("11")?.title).toBe("Eleven")
      expect(http.requests).toHaveLength(2)
    }))

  it.effect("retries catalog requests like any other", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(respond(502, {}), page([catalog(11, "Eleven")]))
      const client = yield* clientFor(http)
      const found = yield* runClocked(client.catalogs([11]))
      expect(found.get("11")?.title).toBe("Eleven")
    }))

  it.effect("reads a 404 as unknown ids, not as an error", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(respond(404, { message: "Not Found" }))
      const found = yield* (yield* clientFor(http)).catalogs([99])
      expect(found.size).toBe(0)
    }))

  it.effect("splits long id lists, URL-encodes each id and maps UUID ids back", () =>
    Effect.gen(function*() {
      const uuid = "8d0edaea-1111-4222-8333-444455556666"
      const http = fakeHttp((request) => {
        const requested = request.path.split("/").at(-1)!.split(",").map(decodeURIComponent)
        return page(
          requested.map((id) => id === uuid ? { id: 777, uuid, title: "By UUID" } : catalog(Number(id), `C${id}`))
        )
      })
      const client = yield* clientFor(http, { catalogBatchSize: 2 })
      const found = yield* client.catalogs([1, 2, 3, uuid, "a b"])
      expect(http.requests.map((r) => r.url.pathname.split("/").at(-1))).toEqual(["1,2", `3,${uuid}`, "a%20b"])
      expect(found.get(uuid)?.title).toBe("By UUID")
      expect(found.get("3")?.title).toBe("C3")
    }))

  it.effect("skips catalog entries that do not decode", () =>
    Effect.gen(function*() {
      const http = scriptedHttp(page([catalog(11, "Eleven"), { title: "no id" }, { id: 12, title: 5 }]))
      const found = yield* (yield* clientFor(http)).catalogs([11, 12])
      expect([...found.keys()]).toEqual(["11"])
    }))
})

describe("SpycloudClientLive.probe", () => {
  it.effect("makes one watchlist request for today", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2025, 5, 30, 13, 45))
      const http = scriptedHttp(page([record("a"), record("b")], "more", 2000))
      yield* (yield* clientFor(http)).probe
      expect(http.requests).toHaveLength(1)
      expect(http.requests[0]!.path).toBe("/enterprise-v2/breach/data/watchlist")
      expect(Object.fromEntries(http.requests[0]!.params)).toEqual({ since: "2025-06-30", until: "2025-06-30" })
    }))

  it.effect("reports the typed error, retrying at most once", () =>
    Effect.gen(function*() {
      const forbidden = fakeHttp(() => respond(403, {}, { "SpyCloud-Error": "Invalid IP 203.0.113.9" }))
      const error = yield* failureOf((yield* clientFor(forbidden)).probe)
      expect(error).toMatchObject({ _tag: "Forbidden", reason: "ip-not-allowed" })
      const down = fakeHttp(() => respond(503, {}))
      yield* failureOf((yield* clientFor(down, { maxRetries: 5 })).probe)
      expect(down.requests).toHaveLength(2)
    }))
})

describe("SpycloudClientLive.layer", () => {
  it.effect("reads the base URL, key and retry settings from the configuration", () =>
    Effect.gen(function*() {
      const http = fakeHttp(() => respond(503, {}))
      const config = ConnectorConfig.layer.pipe(
        Layer.provide(Layer.setConfigProvider(makeConfigProvider({
          CONNECTOR_ID: "id",
          CONNECTOR_SEND_TO_QUEUE: "false",
          CONNECTOR_SEND_TO_DIRECTORY: "true",
          CONNECTOR_SEND_TO_DIRECTORY_PATH: "/tmp/x",
          SPYCLOUD_API_KEY: "key-from-config",
          SPYCLOUD_API_BASE_URL: "https://other.test/base",
          SPYCLOUD_MAX_RETRIES: "2",
          SPYCLOUD_RETRY_INITIAL_DELAY: "PT1S"
        }, new Map())))
      )
      const client = yield* SpycloudClient.pipe(
        Effect.provide(SpycloudClientLive.layer.pipe(Layer.provide(Layer.merge(config, http.layer))))
      )
      const error = yield* failureOf(pagesOf(client))
      expect(error).toMatchObject({ _tag: "Unavailable", attempts: 3 })
      expect(http.requests).toHaveLength(3)
      expect(http.requests[0]!.url.origin + http.requests[0]!.path).toBe(
        "https://other.test/base/breach/data/watchlist"
      )
      expect(http.requests[0]!.headers["x-api-key"]).toBe("key-from-config")
    }))
})
