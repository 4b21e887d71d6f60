import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Logger, Metric, Option, Schedule, TestClock } from "effect"
import { ConnectorState } from "../../src/importer/ConnectorState.js"
import type { Registration } from "../../src/opencti/Answers.js"
import * as ConnectorInfo from "../../src/opencti/ConnectorInfo.js"
import * as OpenCti from "../../src/opencti/OpenCti.js"
import { OpenCtiClient, type OpenCtiClientShape } from "../../src/opencti/OpenCtiClient.js"
import { OpenCtiConnectorUnknown } from "../../src/opencti/OpenCtiError.js"
import * as OpenCtiState from "../../src/opencti/OpenCtiState.js"
import * as Reregistration from "../../src/opencti/Reregistration.js"
import * as Metrics from "../../src/telemetry/Metrics.js"
import { OpenCtiPlatform, withOpenCtiPlatform } from "../support/opencti/OpenCtiPlatform.js"
import { registrationInput } from "../support/opencti/RegistrationInput.js"
import { configLayer, openCtiEnv } from "../support/opencti/TestSettings.js"
import { describeWithShared } from "../support/Shared.js"

const reregistrations = Effect.map(Metric.value(Metrics.reregistrations), (state) => state.count)

describeWithShared("Reregistration against the OpenCTI stand-in", () => {
  withOpenCtiPlatform({ declareQueues: false })((it) => {
    /** The OpenCTI layers of `run` (client, registration, state with pings) for a fresh connector id. */
    const platformLayer = (env: Record<string, string>, logs: Array<string>) =>
      OpenCtiState.layer({ background: false, forcePingRetry: Schedule.stop }).pipe(
        Layer.provideMerge(ConnectorInfo.layer({ queueThreshold: 500, runAndTerminate: false })),
        Layer.provideMerge(OpenCti.layer(Schedule.spaced("10 millis"))),
        Layer.provideMerge(configLayer(env)),
        Layer.provideMerge(
          Logger.replace(
            Logger.defaultLogger,
            Logger.make(({ logLevel, message }) => logs.push(`${logLevel.label} ${String(message)}`))
          )
        )
      )

    it.effect("a checkpoint after the platform forgot the connector registers it again and lands, with the state this process knows", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const id = env.CONNECTOR_ID
        const logs: Array<string> = []
        const before = yield* reregistrations
        yield* Effect.gen(function*() {
          const state = yield* ConnectorState
          yield* state.set({ last_import_date: "2024-03-01T00:00:00+00:00" })
          platform.forgetConnector(id)
          // The process still knows its checkpoint and goes on from it.
          expect(yield* state.get).toEqual(Option.some({ last_import_date: "2024-03-01T00:00:00+00:00" }))
          yield* state.set({ last_import_date: "2024-03-02T00:00:00+00:00" })
          expect(platform.connectors.get(id)?.state).toBe("{\"last_import_date\":\"2024-03-02T00:00:00+00:00\"}")
          expect(yield* (yield* Reregistration.CurrentRegistration)).toMatchObject({ id })
        }).pipe(Effect.provide(platformLayer(env, logs)))
        const registrations = platform.callsOf("RegisterConnector").filter((call) =>
          (call.variables.input as { id: string }).id === id
        )
        expect(registrations).toHaveLength(2)
        expect(registrations[1]!.variables).toEqual(registrations[0]!.variables)
        expect(logs).toContain("WARN OpenCTI no longer knows the connector; registering it again")
        expect((yield* reregistrations) - before).toBe(1)
      }))

    it.effect("workAdd and the queue query register again too; concurrent failures register once", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const id = env.CONNECTOR_ID
        yield* Effect.gen(function*() {
          const client = yield* OpenCtiClient
          platform.forgetConnector(id)
          const [workId, queue] = yield* Effect.all([client.workAdd("SpyCloud run"), client.connectorQueue], {
            concurrency: "unbounded"
          })
          expect(platform.works.get(workId)?.connectorId).toBe(id)
          expect(queue).toEqual({ messagesNumber: 0, messagesSize: 0 })
        }).pipe(Effect.provide(platformLayer(env, [])))
        const registrations = platform.callsOf("RegisterConnector").filter((call) =>
          (call.variables.input as { id: string }).id === id
        )
        expect(registrations).toHaveLength(2)
      }))

    it.effect("a reset while the platform knows the connector is still a reset: the next pass starts over", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const id = env.CONNECTOR_ID
        yield* Effect.gen(function*() {
          const state = yield* ConnectorState
          yield* state.set({ last_import_date: "2024-03-01T00:00:00+00:00" })
          yield* Effect.promise(() => platform.resetState(id))
          yield* (yield* OpenCtiState.PlatformPing).now.pipe(Effect.ignore)
          expect(yield* state.get).toEqual(Option.none())
        }).pipe(Effect.provide(platformLayer(env, [])))
        expect(
          platform.callsOf("RegisterConnector").filter((call) => (call.variables.input as { id: string }).id === id)
        )
          .toHaveLength(1)
      }))
  })
})

describe("Reregistration's backoff", () => {
  const INPUT = registrationInput("c")
  const REGISTRATION = { id: "c", connectorState: null, config: { push: "push_c" } } as unknown as Registration

  /** A client whose connector is always forgotten right after each registration. */
  const forgetful = () => {
    const registeredAt: Array<number> = []
    let known = true
    const client = {
      register: () =>
        Effect.clockWith((clock) => clock.currentTimeMillis).pipe(
          Effect.map((now) => {
            registeredAt.push(now)
            known = true
            return REGISTRATION
          })
        ),
      workAdd: () =>
        Effect.suspend(() => {
          if (!known) {
            return Effect.fail(new OpenCtiConnectorUnknown({ operation: "workAdd", connectorId: "c", reason: "gone" }))
          }
          known = false
          return Effect.succeed("work")
        })
    } as unknown as OpenCtiClientShape
    return { client, registeredAt, forget: () => (known = false) }
  }

  it.effect("the first re-registration is immediate; while the platform keeps forgetting, the next ones wait", () =>
    Effect.gen(function*() {
      const fake = forgetful()
      const { client } = yield* Reregistration.make(fake.client, INPUT, REGISTRATION, {
        backoff: Schedule.exponential("5 seconds"),
        quietPeriod: "10 minutes"
      })
      yield* client.workAdd("one")
      yield* client.workAdd("two")
      expect(fake.registeredAt).toEqual([0])
      const third = yield* Effect.fork(client.workAdd("three"))
      yield* TestClock.adjust("4 seconds")
      expect(fake.registeredAt).toEqual([0])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(third)
      expect(fake.registeredAt).toEqual([0, 5_000])
      // The wait doubles while it keeps forgetting...
      const fourth = yield* Effect.fork(client.workAdd("four"))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fourth)
      expect(fake.registeredAt).toEqual([0, 5_000, 15_000])
      // ...and after a quiet period, registering again is immediate once more.
      yield* TestClock.adjust("10 minutes")
      yield* client.workAdd("five")
      expect(fake.registeredAt).toEqual([0, 5_000, 15_000, 615_000])
    }))
})
