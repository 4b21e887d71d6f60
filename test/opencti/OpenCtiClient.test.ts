import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Option, Redacted, Schedule, TestClock } from "effect"
import { createServer } from "node:net"
import { registerSecrets } from "../../src/lib/SecretScrubber.js"
import * as OpenCtiClient from "../../src/opencti/OpenCtiClient.js"
import type { OpenCtiError } from "../../src/opencti/OpenCtiError.js"
import { OpenCtiPlatform, withOpenCtiPlatform } from "../support/opencti/OpenCtiPlatform.js"
import { registrationInput } from "../support/opencti/RegistrationInput.js"
import { describeWithShared } from "../support/Shared.js"

const CONNECTOR_ID = "11111111-2222-4333-8444-555555555555"

const REGISTRATION_INPUT = registrationInput(CONNECTOR_ID)

const INFO = {
  run_and_terminate: false,
  buffering: false,
  queue_threshold: 500,
  queue_messages_size: 0,
  next_run_datetime: null,
  last_run_datetime: null
}

/** Everything an error could leak through: its message, its JSON and the pretty cause. */
const renderings = (error: OpenCtiError) => [error.message, JSON.stringify(error), Cause.pretty(Cause.fail(error))]

const failureOf = <A>(exit: Exit.Exit<A, OpenCtiError>): OpenCtiError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return failure.value
}

/** A port nobody listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

describeWithShared("OpenCtiClient against the OpenCTI stand-in", () => {
  withOpenCtiPlatform({ declareQueues: false })((it) => {
    /** A client of the suite's stand-in. */
    const client = (overrides: Partial<OpenCtiClient.OpenCtiClientOptions> = {}) =>
      Effect.flatMap(OpenCtiPlatform, (platform) =>
        OpenCtiClient.make({
          url: platform.url,
          token: Redacted.make(platform.token),
          connectorId: CONNECTOR_ID,
          ...overrides
        })).pipe(Effect.provide(NodeHttpClient.layer))

    it.effect("about answers the version, sent with the Bearer token, the user agent and the custom headers", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const api = yield* client({
          customHeaders: Option.some(Redacted.make("X-Proxy-Key: s3cret ; broken-entry ;x-tenant:acme"))
        })
        expect(yield* api.about).toBe("6.8.10")
        const call = platform.callsOf("healthCheck").at(-1)!
        expect(call.headers.authorization).toBe(`Bearer ${platform.token}`)
        expect(call.headers["user-agent"]).toBe(OpenCtiClient.USER_AGENT)
        expect(call.headers["x-proxy-key"]).toBe("s3cret")
        expect(call.headers["x-tenant"]).toBe("acme")
        expect(call.headers["content-type"]).toMatch(/^application\/json/)
        expect(call.variables).toEqual({})
      }))

    it.effect("a refused token is OpenCtiUnauthorized, and the token appears in no rendering of the error", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const badToken = "not-the-token-6c1d2e"
        const api = yield* client({ token: Redacted.make(badToken) })
        const error = failureOf(yield* Effect.exit(api.about))
        expect(error._tag).toBe("OpenCtiUnauthorized")
        expect(error).toMatchObject({ code: "AUTH_REQUIRED", operation: "healthCheck" })
        for (const text of renderings(error)) {
          expect(text).not.toContain(badToken)
          expect(text).not.toContain(platform.token)
        }
      }))

    it.effect("an unreachable platform is OpenCtiUnreachable naming the endpoint", () =>
      Effect.gen(function*() {
        const port = yield* Effect.promise(closedPort)
        const api = yield* client({ url: `http://127.0.0.1:${port}` })
        const error = failureOf(yield* Effect.exit(api.about))
        expect(error._tag).toBe("OpenCtiUnreachable")
        expect(error.message).toContain(`http://127.0.0.1:${port}/graphql`)
        expect(error.message).toContain("not reachable")
      }))

    it.effect("a platform error carries the platform's name and message", () =>
      Effect.gen(function*() {
        const api = yield* client()
        const error = failureOf(yield* Effect.exit(api.workToProcessed("no-such-work", "done", false)))
        expect(error).toMatchObject({
          _tag: "OpenCtiGraphqlError",
          code: "FUNCTIONAL_ERROR",
          reason: "Work not found",
          operation: "workToProcessed"
        })
      }))

    it.effect("a connector the platform does not know is OpenCtiConnectorUnknown, for ping, workAdd and the queue query", () =>
      Effect.gen(function*() {
        const api = yield* client({ connectorId: "no-such-connector" })
        const calls: ReadonlyArray<Effect.Effect<unknown, OpenCtiError>> = [
          api.ping("null", INFO),
          api.workAdd("a work"),
          api.connectorQueue
        ]
        for (const call of calls) {
          const error = failureOf(yield* Effect.exit(call))
          expect(error).toMatchObject({ _tag: "OpenCtiConnectorUnknown", connectorId: "no-such-connector" })
          expect(error.message).toContain("OpenCTI does not know connector no-such-connector")
        }
      }))

    it.effect("registers, pings, reads the queue, and runs a work through its life", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const api = yield* client()
        const registration = yield* api.register(REGISTRATION_INPUT)
        expect(registration.id).toBe(CONNECTOR_ID)
        expect(registration.connectorState).toBeNull()
        expect(registration.connectorUserId).toBe(platform.userId)
        expect(registration.config.pushExchange).toBe("amqp.worker.exchange")
        expect(registration.config.pushRouting).toBe(`push_routing_${CONNECTOR_ID}`)
        expect(Redacted.value(registration.config.connection.pass)).toBe("guest")

        const pinged = yield* api.ping("{\"last_import_date\":\"2025-01-01T00:00:00Z\"}", INFO)
        expect(pinged.connectorState).toBe("{\"last_import_date\":\"2025-01-01T00:00:00Z\"}")
        expect(platform.connectors.get(CONNECTOR_ID)?.info).toEqual(INFO)

        platform.setQueueSize(CONNECTOR_ID, 1_234_567, 89)
        expect(yield* api.connectorQueue).toEqual({ messagesNumber: 89, messagesSize: 1_234_567 })

        const workId = yield* api.workAdd("SpyCloud run")
        yield* api.addExpectations(workId, 7)
        yield* api.workToProcessed(workId, "7 objects", false)
        const work = platform.works.get(workId)!
        expect(work).toMatchObject({
          connectorId: CONNECTOR_ID,
          name: "SpyCloud run",
          expectations: 7,
          processed: true
        })
        expect(work.messages).toEqual(["7 objects"])

        const failed = yield* api.workAdd("failing run")
        yield* api.workToProcessed(failed, "boom", true)
        expect(platform.works.get(failed)!.errors).toEqual(["boom"])
      }))

    it.effect("stixBundlePush sends the whole bundle with the work id, or null without one", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const api = yield* client()
        yield* api.register(REGISTRATION_INPUT)
        const bundle = { type: "bundle", id: "bundle--1", objects: [{ type: "identity", id: "identity--1" }] }
        yield* api.stixBundlePush(JSON.stringify(bundle), Option.some("work-1"))
        yield* api.stixBundlePush(JSON.stringify(bundle), Option.none())
        const pushes = platform.callsOf("StixBundlePush").slice(-2)
        expect(pushes.map((call) => call.variables.work_id)).toEqual(["work-1", null])
        expect(platform.pushedBundles.at(-2)).toEqual({ connectorId: CONNECTOR_ID, workId: "work-1", bundle })
        const empty = failureOf(
          yield* Effect.exit(api.stixBundlePush(JSON.stringify({ ...bundle, objects: [] }), Option.none()))
        )
        expect(empty).toMatchObject({
          _tag: "OpenCtiGraphqlError",
          code: "UNSUPPORTED_ERROR",
          reason: "Invalid bundle"
        })
      }))

    it.effect("awaitPlatform waits while a proxy answers 503, then succeeds", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const api = yield* client()
        const before = platform.calls.length
        platform.failNext(2)
        const version = yield* OpenCtiClient.awaitPlatform(api, Schedule.spaced("10 millis"))
        expect(version).toBe("6.8.10")
        // The two refused requests are not recorded as calls; the third one is.
        expect(platform.calls.length - before).toBe(1)
      }))

    it.effect("awaitPlatform survives cut connections, and gives up clearly when its schedule ends", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const api = yield* client()
        platform.failNext(1, "reset")
        expect(yield* OpenCtiClient.awaitPlatform(api, Schedule.spaced("10 millis"))).toBe("6.8.10")
        platform.setUnavailable(true)
        const exit = yield* Effect.exit(
          OpenCtiClient.awaitPlatform(api, Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(2))))
        )
        platform.setUnavailable(false)
        const error = failureOf(exit)
        expect(error._tag).toBe("OpenCtiUnreachable")
        expect(error.message).toContain("HTTP 503")
      }))

    it.effect("awaitPlatform does not wait on a refused token", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const api = yield* client({ token: Redacted.make("wrong") })
        const before = platform.callsOf("healthCheck").length
        const error = failureOf(yield* Effect.exit(OpenCtiClient.awaitPlatform(api, Schedule.spaced("10 millis"))))
        expect(error._tag).toBe("OpenCtiUnauthorized")
        expect(platform.callsOf("healthCheck").length - before).toBe(1)
      }))
  })
})

/** A client over a scripted HttpClient that answers every request with `answer`. */
const scripted = (answer: (request: Request) => Response | undefined) =>
  OpenCtiClient.make({ url: "http://opencti.test", token: Redacted.make("tok-9f8e"), connectorId: "c" }).pipe(
    Effect.provide(Layer.succeed(
      HttpClient.HttpClient,
      HttpClient.make((request) =>
        Effect.suspend(() => {
          const response = answer(new Request(request.url, { method: request.method }))
          return response === undefined ? Effect.never : Effect.succeed(HttpClientResponse.fromWeb(request, response))
        })
      )
    ))
  )

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

describe("OpenCtiClient answers", () => {
  it.effect("HTTP 400 with errors (a document this platform does not know) is a GraphQL error", () =>
    Effect.gen(function*() {
      const api = yield* scripted(() =>
        json({
          errors: [{
            message: "Cannot query field \"jwks\" on type \"Connector\".",
            extensions: { code: "GRAPHQL_VALIDATION_FAILED" }
          }]
        }, 400)
      )
      const error = failureOf(yield* Effect.exit(api.about))
      expect(error).toMatchObject({ _tag: "OpenCtiGraphqlError", code: "GRAPHQL_VALIDATION_FAILED" })
      expect(error.message).toContain("Cannot query field")
    }))

  it.effect("HTTP 401 is OpenCtiUnauthorized; HTTP 502 is OpenCtiUnreachable; HTTP 500 is a bad response", () =>
    Effect.gen(function*() {
      const unauthorized = failureOf(
        yield* Effect.exit((yield* scripted(() => new Response("", { status: 401 }))).about)
      )
      expect(unauthorized._tag).toBe("OpenCtiUnauthorized")
      const gateway = failureOf(yield* Effect.exit((yield* scripted(() => new Response("", { status: 502 }))).about))
      expect(gateway._tag).toBe("OpenCtiUnreachable")
      const server = failureOf(
        yield* Effect.exit((yield* scripted(() => new Response("Internal oops", { status: 500 }))).about)
      )
      expect(server).toMatchObject({ _tag: "OpenCtiBadResponse" })
      expect(server.message).toContain("HTTP 500: Internal oops")
    }))

  it.effect("an answer that is not GraphQL, or lacks the field, is a bad response", () =>
    Effect.gen(function*() {
      const html = failureOf(yield* Effect.exit((yield* scripted(() => new Response("<html>"))).about))
      expect(html.message).toContain("not a GraphQL answer")
      const missing = failureOf(yield* Effect.exit((yield* scripted(() => json({ data: {} }))).workAdd("x")))
      expect(missing._tag).toBe("OpenCtiBadResponse")
      expect(missing.message).toContain("data.workAdd")
      const nullConnector = failureOf(
        yield* Effect.exit((yield* scripted(() => json({ data: { connector: null } }))).connectorQueue)
      )
      expect(nullConnector._tag).toBe("OpenCtiConnectorUnknown")
      expect(nullConnector.message).toContain("no connector")
    }))

  it.effect("a registration answer of an unexpected shape is reported without its values", () =>
    Effect.gen(function*() {
      const api = yield* scripted(() =>
        json({
          data: {
            registerConnector: {
              id: CONNECTOR_ID,
              connector_state: null,
              connector_user_id: null,
              config: {
                connection: {
                  host: "rabbit",
                  vhost: "/",
                  use_ssl: false,
                  port: "5672",
                  user: "u",
                  pass: "RmqSecret77"
                },
                push: "q",
                push_routing: "r",
                push_exchange: "e"
              }
            }
          }
        })
      )
      const error = failureOf(yield* Effect.exit(api.register(REGISTRATION_INPUT)))
      expect(error.message).toContain("data.registerConnector is not as expected: config.connection.port: expected")
      for (const text of renderings(error)) expect(text).not.toContain("RmqSecret77")
    }))

  it.effect("an error body echoing the token or a custom header is scrubbed", () =>
    Effect.gen(function*() {
      registerSecrets("tok-9f8e", "HeaderSecret42")
      const echo = "you sent authorization: Bearer tok-9f8e and x-proxy-key: HeaderSecret42"
      const bodies = [
        new Response(echo, { status: 500 }),
        new Response(`<html>${echo}</html>`),
        json({ errors: [{ message: echo, extensions: { code: "FUNCTIONAL_ERROR" } }] })
      ]
      for (const body of bodies) {
        const error = failureOf(yield* Effect.exit((yield* scripted(() => body)).about))
        for (const text of renderings(error)) {
          expect(text).not.toContain("tok-9f8e")
          expect(text).not.toContain("HeaderSecret42")
        }
        expect(error.message).toContain("<redacted>")
      }
    }))

  it.effect("a platform that never answers times out as unreachable", () =>
    Effect.gen(function*() {
      const api = yield* scripted(() => undefined)
      const fiber = yield* Effect.fork(Effect.exit(api.about))
      yield* TestClock.adjust("61 seconds")
      const error = failureOf(yield* Fiber.join(fiber))
      expect(error._tag).toBe("OpenCtiUnreachable")
      expect(error.message).toContain("no answer within 1m")
    }))

  it.effect("the start-up wait backs off on its own schedule before failing", () =>
    Effect.gen(function*() {
      let attempts = 0
      const api = yield* scripted(() => {
        attempts++
        return new Response("", { status: 503 })
      })
      const fiber = yield* Effect.fork(Effect.exit(OpenCtiClient.awaitPlatform(api)))
      yield* TestClock.adjust("10 seconds")
      // Attempts at 0, 2 s and 2 + 4 s.
      expect(attempts).toBe(3)
      yield* TestClock.adjust("10 minutes")
      const error = failureOf(yield* Fiber.join(fiber))
      expect(error._tag).toBe("OpenCtiUnreachable")
      const afterGivingUp = attempts
      yield* TestClock.adjust("10 minutes")
      expect(attempts).toBe(afterGivingUp)
    }))
})
