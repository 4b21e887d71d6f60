import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Exit, Fiber, Layer, Logger, Metric, Option, Ref, Schedule, TestClock } from "effect"
import { ConnectorState } from "../../src/importer/ConnectorState.js"
import type { Registration } from "../../src/opencti/Answers.js"
import * as ConnectorInfo from "../../src/opencti/ConnectorInfo.js"
import * as OpenCtiClient from "../../src/opencti/OpenCtiClient.js"
import { OpenCtiUnreachable } from "../../src/opencti/OpenCtiError.js"
import * as OpenCtiState from "../../src/opencti/OpenCtiState.js"
import * as Recoveries from "../../src/opencti/Recoveries.js"
import * as RegistrationModule from "../../src/opencti/Registration.js"
import * as Metrics from "../../src/telemetry/Metrics.js"
import { OpenCtiPlatform, withOpenCtiPlatform } from "../support/opencti/OpenCtiPlatform.js"
import { configLayer, openCtiEnv } from "../support/opencti/TestSettings.js"
import { describeWithShared } from "../support/Shared.js"

/** An in-memory platform that stores pinged state like OpenCTI does, including the reset protocol. */
const fakePlatform = (initial: string | null) => {
  const platform = {
    stored: initial,
    resetPending: false,
    pings: [] as Array<{ state: string; info: ConnectorInfo.ConnectorInfoInput; at: number }>,
    failing: 0,
    /** Virtual time each ping takes. */
    latency: 0,
    reset() {
      platform.stored = ""
      platform.resetPending = true
    }
  }
  const client = {
    ping: (state: string, info: ConnectorInfo.ConnectorInfoInput) =>
      Effect.gen(function*() {
        if (platform.latency > 0) yield* Effect.sleep(platform.latency)
        const at = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
        if (platform.failing > 0) {
          platform.failing--
          return yield* new OpenCtiUnreachable({
            url: "http://fake/graphql",
            operation: "pingConnector",
            reason: "down"
          })
        }
        platform.pings.push({ state, info, at })
        if (platform.resetPending) platform.resetPending = false
        else platform.stored = state
        return { id: "c", connectorState: platform.stored }
      })
  } as unknown as OpenCtiClient.OpenCtiClientShape
  return { platform, client }
}

const registrationWith = (connectorState: string | null) =>
  ({ id: "c", connectorState, connectorUserId: "u" }) as unknown as Registration

/** ConnectorState + PlatformPing + the ConnectorInfo Ref over a fake platform, logging into `logs`. */
const stateLayer = (
  fake: ReturnType<typeof fakePlatform>,
  options: OpenCtiState.OpenCtiStateOptions,
  logs: Array<string> = []
) =>
  OpenCtiState.layer(options).pipe(
    Layer.provideMerge(ConnectorInfo.layer({ queueThreshold: 250, runAndTerminate: false })),
    Layer.provide(Layer.succeed(OpenCtiClient.OpenCtiClient, fake.client)),
    Layer.provide(Layer.succeed(RegistrationModule.OpenCtiRegistration, registrationWith(fake.platform.stored))),
    Layer.provide(Recoveries.layer),
    Layer.provide(configLayer(openCtiEnv({ url: "http://127.0.0.1:1", token: "unused" }))),
    Layer.provideMerge(Logger.add(Logger.make(({ message }) => logs.push(String(message)))))
  )

describe("parseState (pycti's get_state)", () => {
  it("keeps only a non-empty JSON object", () => {
    expect(OpenCtiState.parseState("{\"last_import_date\": \"2024-01-01\"}")).toEqual(
      Option.some({ last_import_date: "2024-01-01" })
    )
    for (const text of [null, "", "null", "{}", "[1]", "42", "\"text\"", "{not json"]) {
      expect(OpenCtiState.parseState(text)).toEqual(Option.none())
    }
  })
})

describe("OpenCtiState over a platform", () => {
  it.scoped("starts from the registration's state and pings it at once, then every 40 s", () =>
    Effect.gen(function*() {
      const fake = fakePlatform("{\"email_last_import_date\": \"2024-03-01T00:00:00Z\"}")
      const context = yield* Layer.build(stateLayer(fake, { background: true }))
      const state = yield* Effect.provide(ConnectorState, context)
      expect(yield* state.get).toEqual(Option.some({ email_last_import_date: "2024-03-01T00:00:00Z" }))
      yield* TestClock.adjust("1 millis")
      expect(fake.platform.pings.map((ping) => ping.at)).toEqual([0])
      expect(JSON.parse(fake.platform.pings[0]!.state)).toEqual({ email_last_import_date: "2024-03-01T00:00:00Z" })
      yield* TestClock.adjust("120 seconds")
      expect(fake.platform.pings.map((ping) => ping.at)).toEqual([0, 40_000, 80_000, 120_000])
    }))

  it.scoped("sends connector_info from the Ref the scheduler updates, datetimes as YYYY-MM-DDTHH:MM:SSZ", () =>
    Effect.gen(function*() {
      const fake = fakePlatform(null)
      const context = yield* Layer.build(stateLayer(fake, { background: true }))
      yield* TestClock.adjust("1 millis")
      expect(fake.platform.pings[0]).toMatchObject({
        state: "null",
        info: {
          run_and_terminate: false,
          buffering: false,
          queue_threshold: 250,
          queue_messages_size: 0,
          next_run_datetime: null,
          last_run_datetime: null
        }
      })
      const info = yield* Effect.provide(ConnectorInfo.ConnectorInfo, context)
      yield* Ref.update(info, (current) => ({
        ...current,
        buffering: true,
        queueMessagesSize: 612.5,
        lastRunDatetime: Option.some(DateTime.unsafeMake("2025-02-03T04:05:06.789Z")),
        nextRunDatetime: Option.some(DateTime.unsafeMake("2025-02-03T05:05:06.789Z"))
      }))
      yield* TestClock.adjust("40 seconds")
      expect(fake.platform.pings[1]!.info).toEqual({
        run_and_terminate: false,
        buffering: true,
        queue_threshold: 250,
        queue_messages_size: 612.5,
        next_run_datetime: "2025-02-03T05:05:06Z",
        last_run_datetime: "2025-02-03T04:05:06Z"
      })
    }))

  it.scoped("set pings at once and returns once the platform holds the state", () =>
    Effect.gen(function*() {
      const fake = fakePlatform(null)
      const state = yield* Effect.provide(ConnectorState, yield* Layer.build(stateLayer(fake, { background: false })))
      expect(fake.platform.pings).toEqual([])
      yield* state.get
      yield* state.set({ last_import_date: "2025-01-02T00:00:00Z" })
      expect(fake.platform.pings).toHaveLength(1)
      expect(JSON.parse(fake.platform.stored!)).toEqual({ last_import_date: "2025-01-02T00:00:00Z" })
      expect(yield* state.get).toEqual(Option.some({ last_import_date: "2025-01-02T00:00:00Z" }))
    }))

  it.scoped("a reset on the platform empties the state, which is then pinged as \"null\"", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const fake = fakePlatform("{\"last_import_date\": \"2024-01-01T00:00:00Z\"}")
      const state = yield* Effect.provide(
        ConnectorState,
        yield* Layer.build(stateLayer(fake, { background: true }, logs))
      )
      yield* TestClock.adjust("1 millis")
      fake.platform.reset()
      yield* TestClock.adjust("40 seconds")
      expect(fake.platform.stored).toBe("")
      expect(logs).toContain("Connector state has been remotely reset")
      expect(yield* state.get).toEqual(Option.none())
      yield* TestClock.adjust("40 seconds")
      expect(fake.platform.pings.at(-1)!.state).toBe("null")
      expect(fake.platform.stored).toBe("null")
    }))

  it.scoped("a pass that read the state before a reset cannot checkpoint over it; the next pass can", () =>
    Effect.gen(function*() {
      const fake = fakePlatform("{\"last_import_date\": \"2024-01-01T00:00:00Z\"}")
      const state = yield* Effect.provide(ConnectorState, yield* Layer.build(stateLayer(fake, { background: true })))
      yield* state.get
      fake.platform.reset()
      yield* TestClock.adjust("40 seconds")
      const refused = yield* Effect.exit(state.set({ last_import_date: "2024-06-01T00:00:00Z" }))
      expect(Exit.isFailure(refused)).toBe(true)
      expect(fake.platform.stored).toBe("null")
      expect(yield* state.get).toEqual(Option.none())
      yield* state.set({ last_import_date: "2020-01-01T00:00:00Z" })
      expect(JSON.parse(fake.platform.stored!)).toEqual({ last_import_date: "2020-01-01T00:00:00Z" })
    }))

  it.scoped("a reset discovered by set's own ping fails the set and is not undone (unlike pycti's force_ping)", () =>
    Effect.gen(function*() {
      const fake = fakePlatform("{\"last_import_date\": \"2024-01-01T00:00:00Z\"}")
      const state = yield* Effect.provide(ConnectorState, yield* Layer.build(stateLayer(fake, { background: false })))
      yield* state.get
      fake.platform.reset()
      const exit = yield* Effect.exit(state.set({ last_import_date: "2024-06-01T00:00:00Z" }))
      expect(exit).toMatchObject({ _tag: "Failure" })
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("reset on the OpenCTI platform")
      expect(fake.platform.pings).toHaveLength(1)
      expect(fake.platform.stored).toBe("")
      expect(yield* state.get).toEqual(Option.none())
    }))

  it.scoped("a reset made while the connector was stopped does not fail its first checkpoint", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const fake = fakePlatform("{\"last_import_date\": \"2024-01-01T00:00:00Z\"}")
      fake.platform.reset()
      const state = yield* Effect.provide(
        ConnectorState,
        yield* Layer.build(stateLayer(fake, { background: false }, logs))
      )
      expect(yield* state.get).toEqual(Option.none())
      yield* state.set({ last_import_date: "2020-01-01T00:00:00Z" })
      expect(JSON.parse(fake.platform.stored!)).toEqual({ last_import_date: "2020-01-01T00:00:00Z" })
      expect(logs).not.toContain("Connector state has been remotely reset")
      // Only the first answer may be the flag of an earlier reset: a later reset still stops the pass.
      fake.platform.reset()
      const exit = yield* Effect.exit(state.set({ last_import_date: "2020-02-01T00:00:00Z" }))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(fake.platform.stored).toBe("")
    }))

  it.scoped("background ping failures are logged and counted, and the next tick pings again", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const fake = fakePlatform(null)
      fake.platform.failing = 2
      const errorsBefore = (yield* Metric.value(Metrics.pingApiErrors)).count
      yield* Layer.build(stateLayer(fake, { background: true }, logs))
      yield* TestClock.adjust("80 seconds")
      expect(logs.filter((line) => line === "Error pinging the API")).toHaveLength(2)
      expect((yield* Metric.value(Metrics.pingApiErrors)).count - errorsBefore).toBe(2)
      expect(fake.platform.pings.map((ping) => ping.at)).toEqual([80_000])
    }))

  it.scoped("set retries an unreachable platform, then fails with StateError", () =>
    Effect.gen(function*() {
      const fake = fakePlatform(null)
      const context = yield* Layer.build(stateLayer(fake, {
        background: false,
        forcePingRetry: Schedule.spaced("5 seconds").pipe(Schedule.intersect(Schedule.recurs(2)))
      }))
      const state = yield* Effect.provide(ConnectorState, context)
      fake.platform.failing = 2
      const recovered = yield* Effect.fork(state.set({ last_import_date: "2025-01-01T00:00:00Z" }))
      yield* TestClock.adjust("10 seconds")
      expect(yield* Fiber.join(recovered)).toBeUndefined()
      fake.platform.failing = 10
      const failing = yield* Effect.fork(Effect.exit(state.set({ last_import_date: "2025-02-01T00:00:00Z" })))
      yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.join(failing)
      expect(exit).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "StateError" } } })
    }))

  it.scoped("pings never overlap: a forced ping waits for the background one in flight", () =>
    Effect.gen(function*() {
      const fake = fakePlatform(null)
      fake.platform.latency = 1000
      const state = yield* Effect.provide(ConnectorState, yield* Layer.build(stateLayer(fake, { background: true })))
      yield* TestClock.adjust("100 millis")
      const setting = yield* Effect.fork(state.set({ last_import_date: "2025-03-01T00:00:00Z" }))
      yield* TestClock.adjust("3 seconds")
      yield* Fiber.join(setting)
      expect(fake.platform.pings.map((ping) => [ping.at, ping.state])).toEqual([
        [1000, "null"],
        [2000, "{\"last_import_date\":\"2025-03-01T00:00:00Z\"}"]
      ])
      expect(JSON.parse(fake.platform.stored!)).toEqual({ last_import_date: "2025-03-01T00:00:00Z" })
    }))

  it.scoped("PlatformPing.now sends the current connector_info at once", () =>
    Effect.gen(function*() {
      const fake = fakePlatform(null)
      const context = yield* Layer.build(stateLayer(fake, { background: false }))
      const info = yield* Effect.provide(ConnectorInfo.ConnectorInfo, context)
      yield* Ref.update(info, (current) => ({ ...current, runAndTerminate: true }))
      yield* (yield* Effect.provide(OpenCtiState.PlatformPing, context)).now
      expect(fake.platform.pings.map((ping) => ping.info.run_and_terminate)).toEqual([true])
    }))
})

describeWithShared("OpenCtiState against the OpenCTI stand-in", () => {
  withOpenCtiPlatform({ declareQueues: false })((it) => {
    it.effect("the state arrives through ping, and a reset made on the platform is seen by the state port", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const id = env.CONNECTOR_ID
        const layer = OpenCtiState.layer({ background: true, pingInterval: "50 millis" }).pipe(
          Layer.provideMerge(ConnectorInfo.layer({ queueThreshold: 500, runAndTerminate: false })),
          Layer.provideMerge(RegistrationModule.layer(Schedule.spaced("10 millis"))),
          Layer.provideMerge(OpenCtiClient.layerConfig),
          Layer.provideMerge(Recoveries.layer),
          Layer.provide(configLayer(env))
        )
        yield* Effect.scoped(Effect.gen(function*() {
          const state = yield* Effect.provide(ConnectorState, yield* Layer.build(layer))
          expect(yield* state.get).toEqual(Option.none())
          yield* state.set({ last_import_date: "2025-04-01T00:00:00+00:00" })
          expect(JSON.parse(platform.connectors.get(id)!.state!)).toEqual({
            last_import_date: "2025-04-01T00:00:00+00:00"
          })
          yield* Effect.promise(() => platform.resetState(id))
          yield* Effect.sleep("200 millis")
          expect(yield* state.get).toEqual(Option.none())
          expect(platform.connectors.get(id)!.state).toBe("null")
        }))
        const pings = platform.callsOf("PingConnector").filter((call) => call.variables.id === id)
        expect(pings.length).toBeGreaterThanOrEqual(3)
        expect(pings.every((call) => typeof call.variables.state === "string")).toBe(true)
      }))
  })
})
