import { expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Logger, LogLevel, Metric, Option, Schedule, type Scope } from "effect"
import { BundleSink, type SinkError } from "../../src/importer/BundleSink.js"
import { ConnectorState } from "../../src/importer/ConnectorState.js"
import { WorkTracker } from "../../src/importer/WorkTracker.js"
import { resolveEndpoint } from "../../src/opencti/AmqpEndpoint.js"
import * as AmqpSink from "../../src/opencti/AmqpSink.js"
import type { Registration } from "../../src/opencti/Answers.js"
import * as ConnectorInfo from "../../src/opencti/ConnectorInfo.js"
import * as OpenCtiClient from "../../src/opencti/OpenCtiClient.js"
import * as OpenCtiState from "../../src/opencti/OpenCtiState.js"
import * as OpenCtiWorkTracker from "../../src/opencti/OpenCtiWorkTracker.js"
import * as Recoveries from "../../src/opencti/Recoveries.js"
import * as RecoveryMetrics from "../../src/opencti/RecoveryMetrics.js"
import * as RegistrationModule from "../../src/opencti/Registration.js"
import type { StixBundle, StixObject } from "../../src/stix/StixObject.js"
import { type AmqpFrameCounter, amqpFrameCounter } from "../support/opencti/AmqpFrames.js"
import { OpenCtiPlatform, openCtiStandIn, withOpenCtiPlatform } from "../support/opencti/OpenCtiPlatform.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { rabbitMqProxy, type TcpProxy, tcpProxy } from "../support/opencti/TcpProxy.js"
import { clientIn, configLayer, openCtiEnv, settingsFor } from "../support/opencti/TestSettings.js"
import { describeWithShared } from "../support/Shared.js"

const MARKING = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
const AUTHOR = "identity--115e787b-4b83-59ef-b350-aeb7b1736c74"

/** A bundle shaped like the mapper's: marking, author, then per record an incident, observables, relationships. */
const breachBundle = (records: number, tag = "r"): StixBundle => {
  const objects: Array<StixObject> = []
  for (let i = 0; i < records; i++) {
    const incident = `incident--${tag}-${i}`
    const email = `email-addr--${tag}-${i}`
    objects.push(
      { type: "incident", id: incident, name: `breach ${i}`, created_by_ref: AUTHOR, object_marking_refs: [MARKING] },
      { type: "email-addr", id: email, value: `user${i}@example.com`, object_marking_refs: [MARKING] },
      { type: "relationship", id: `relationship--${tag}-${i}`, source_ref: email, target_ref: incident }
    )
  }
  objects.push(
    { type: "identity", id: AUTHOR, name: "SpyCloud", identity_class: "organization" },
    { type: "marking-definition", id: MARKING }
  )
  return { type: "bundle", id: `bundle--${crypto.randomUUID()}`, objects }
}

const quiet = Logger.minimumLogLevel(LogLevel.None)

const sinkErrorOf = (exit: Exit.Exit<void, SinkError>): SinkError => {
  if (Exit.isSuccess(exit)) throw new Error("expected the send to fail")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

describeWithShared("AmqpSink against the OpenCTI stand-in and the local RabbitMQ", () => {
  withOpenCtiPlatform()((it) => {
    /**
     * Registers a fresh connector with the stand-in; its push queue exists afterwards. The client is built
     * in the caller's scope, which its HTTP dispatcher must outlive.
     */
    const register = (env: Record<string, string>) =>
      Effect.gen(function*() {
        const client = yield* clientIn(env)
        const registration = yield* RegistrationModule.register(
          client,
          RegistrationModule.registrationInput(yield* settingsFor(env)),
          Schedule.spaced("10 millis")
        )
        return { client, registration }
      })

    /** A sink for that connector, through `proxy` when given, reconnecting quickly. */
    const sinkFor = (
      env: Record<string, string>,
      registration: Registration,
      client: OpenCtiClient.OpenCtiClientShape,
      proxy?: TcpProxy,
      overrides: Partial<AmqpSink.AmqpSinkOptions> = {}
    ): Effect.Effect<BundleSink["Type"], never, Scope.Scope> =>
      Effect.gen(function*() {
        const settings = yield* settingsFor(env)
        const endpoint = resolveEndpoint(registration.config.connection, settings.mq)
        return yield* AmqpSink.make({
          endpoint: proxy === undefined ? endpoint : { ...endpoint, host: "127.0.0.1", port: proxy.port },
          exchange: registration.config.pushExchange,
          routingKey: registration.config.pushRouting,
          applicantId: registration.connectorUserId,
          connectionName: `test ${env.CONNECTOR_ID}`,
          addExpectations: client.addExpectations,
          reconnect: Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(3))),
          ...overrides
        })
      })

    it.effect(
      "registers, opens a work, publishes one message per object with as many expectations, closes the work, saves state",
      () =>
        Effect.gen(function*() {
          const platform = yield* OpenCtiPlatform
          const env = openCtiEnv(platform)
          const layer = Layer.mergeAll(
            AmqpSink.layer,
            OpenCtiWorkTracker.layer,
            OpenCtiState.layer({ background: true }).pipe(
              Layer.provide(ConnectorInfo.layer({ queueThreshold: 500, runAndTerminate: false }))
            )
          ).pipe(
            Layer.provideMerge(RegistrationModule.layer(Schedule.spaced("10 millis"))),
            Layer.provideMerge(OpenCtiClient.layerConfig),
            Layer.provideMerge(Recoveries.layer),
            Layer.provide(configLayer(env))
          )
          const first = breachBundle(40, "a")
          const second = breachBundle(25, "b")
          const workId = yield* Effect.gen(function*() {
            const sink = yield* BundleSink
            const works = yield* WorkTracker
            const state = yield* ConnectorState
            yield* state.get
            const work = yield* works.start("SpyCloud run @ test")
            yield* sink.send(first, work)
            yield* sink.send(second, work)
            yield* state.set({ last_import_date: "2025-05-01T00:00:00+00:00" })
            yield* works.finish(work, "65 records imported", false)
            return Option.getOrThrow(work)
          }).pipe(Effect.provide(layer), Effect.provide(quiet))

          const work = platform.works.get(workId)!
          expect(work.expectationCalls).toEqual([first.objects.length, second.objects.length])
          expect(work.messages).toEqual(["65 records imported"])
          expect(JSON.parse(platform.connectors.get(env.CONNECTOR_ID)!.state!)).toEqual({
            last_import_date: "2025-05-01T00:00:00+00:00"
          })

          const drained = yield* Effect.promise(() =>
            drainPushQueue(`push_${env.CONNECTOR_ID}`, { expected: first.objects.length + second.objects.length })
          )
          expect(drained.messages).toHaveLength(work.expectations)
          for (const message of drained.messages) {
            expect(message.envelope).toMatchObject({
              bundle_type: "QUEUE_BUNDLE",
              applicant_id: platform.userId,
              work_id: workId,
              update: false
            })
            expect(message.properties).toMatchObject({ deliveryMode: 2, contentEncoding: "utf-8" })
          }
          const ids = (bundle: StixBundle) => bundle.objects.map((object) => object.id).sort()
          const firstIds = drained.messages.slice(0, first.objects.length).map((m) => m.bundle.objects[0].id).sort()
          expect(firstIds).toEqual(ids(first))
          expect(drained.objects.map((object) => object.id).sort()).toEqual([...ids(first), ...ids(second)].sort())
          // Dependency order inside each bundle: the marking and the author come first.
          expect(drained.messages.slice(0, 2).map((m) => m.bundle.objects[0].type).sort()).toEqual([
            "identity",
            "marking-definition"
          ])
        })
    )

    it.effect("uses the MQ_* overrides instead of the host the platform returns", () =>
      Effect.gen(function*() {
        const proxy = yield* rabbitMqProxy
        const unreachable = yield* openCtiStandIn({ connection: { host: "rabbitmq.internal.invalid", port: 1 } })
        const env = openCtiEnv(unreachable, { MQ_HOST: "127.0.0.1", MQ_PORT: String(proxy.port) })
        const layer = AmqpSink.layer.pipe(
          Layer.provideMerge(RegistrationModule.layer(Schedule.spaced("10 millis"))),
          Layer.provideMerge(OpenCtiClient.layerConfig),
          Layer.provideMerge(Recoveries.layer),
          Layer.provide(configLayer(env))
        )
        yield* Effect.flatMap(BundleSink, (sink) => sink.send(breachBundle(2), Option.none())).pipe(
          Effect.provide(layer),
          Effect.provide(quiet)
        )
        expect(proxy.connections()).toBe(1)
        const drained = yield* Effect.promise(() => drainPushQueue(`push_${env.CONNECTOR_ID}`, { expected: 8 }))
        expect(drained.messages).toHaveLength(8)
        expect(drained.messages.every((message) => !("work_id" in message.envelope))).toBe(true)
      }).pipe(Effect.scoped))

    it.scoped(
      "a connection cut mid-publish: the send reconnects, publishes again exactly the unconfirmed messages and succeeds",
      () =>
        Effect.gen(function*() {
          const platform = yield* OpenCtiPlatform
          const env = openCtiEnv(platform)
          const { client, registration } = yield* register(env)
          yield* Effect.gen(function*() {
            // The proxy counts, per connection, the publishes it forwarded and the confirms the broker returned.
            const frames: Array<AmqpFrameCounter> = []
            const proxy = yield* tcpProxy({ host: "127.0.0.1", port: 5672 }, {
              tap: () => {
                const counter = amqpFrameCounter()
                frames.push(counter)
                return counter
              }
            })
            const recoveries = yield* Recoveries.make
            const reconnectionsBefore = yield* Metric.value(RecoveryMetrics.rabbitmqReconnections)
            const sink = yield* sinkFor(env, registration, client, proxy, { recoveries })
            const large = breachBundle(3000, "cut")
            const total = large.objects.length
            const sending = yield* Effect.fork(sink.send(large, Option.none()))
            // Once part of the bundle (about 5 MB on the wire) went through, hold the rest back and wait for the
            // broker to confirm some of what it got (persistent messages: after writing them), then cut: some
            // messages are confirmed, some were published and not confirmed, some not published at all.
            while (proxy.bytesUp() < 2_000_000) yield* Effect.sleep("2 millis")
            proxy.holdUp()
            const before = frames[0]!
            while (before.confirms() === 0) yield* Effect.sleep("2 millis")
            const published = before.publishes()
            const confirmed = before.confirms()
            proxy.cut()
            yield* Fiber.join(sending)
            expect(published).toBeLessThan(total)
            expect(proxy.connections()).toBe(2)
            // The new connection carries every message the broker had not confirmed, and none it had.
            expect(frames[1]!.publishes()).toBe(total - confirmed)
            const reconnections = yield* Metric.value(RecoveryMetrics.rabbitmqReconnections)
            expect(reconnections.count - reconnectionsBefore.count).toBe(1)
            const [note, ...others] = yield* recoveries.take
            expect(others).toEqual([])
            expect(note).toMatch(
              /^RabbitMQ connection lost \(connection lost while publishing \(.+\)\), reconnected after \d+\.\d s, resent \d+ unconfirmed messages of 1 bundle$/
            )
            // "Resent" counts the unconfirmed messages that had been written before the cut: at least those the
            // proxy forwarded, at most every unconfirmed one.
            const resent = Number(/resent (\d+)/.exec(note!)![1])
            expect(resent).toBeGreaterThanOrEqual(published - confirmed)
            expect(resent).toBeLessThanOrEqual(total - confirmed)
            // Every message of the bundle is in the queue; those the broker got but had not confirmed are there
            // twice (the same ids: upserts).
            const wanted = new Set(large.objects.map((object) => object.id))
            const seen = new Set<string>()
            const drained = yield* Effect.promise(() =>
              drainPushQueue(`push_${env.CONNECTOR_ID}`, {
                until: (messages) => {
                  const last = messages.at(-1)
                  if (last !== undefined) seen.add(last.bundle.objects[0].id)
                  return seen.size === wanted.size
                },
                timeoutMs: 30_000
              })
            )
            const got = new Set(drained.objects.map((object) => object.id))
            expect([...wanted].filter((id) => !got.has(id))).toEqual([])
            expect(got.size).toBe(wanted.size)
            expect(drained.messages.length - total).toBeLessThanOrEqual(published - confirmed)
          }).pipe(Effect.scoped, Effect.provide(quiet))
        })
    )

    it.scoped("a broker down for 2 s during a send: the send waits, reconnects and succeeds", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const { client, registration } = yield* register(env)
        yield* Effect.gen(function*() {
          const proxy = yield* rabbitMqProxy
          const recoveries = yield* Recoveries.make
          const sink = yield* sinkFor(env, registration, client, proxy, {
            recoveries,
            reconnect: AmqpSink.reconnectSchedule("30 seconds")
          })
          yield* sink.send(breachBundle(1, "up"), Option.none())
          proxy.refuse(true)
          proxy.cut()
          const back = setTimeout(() => proxy.refuse(false), 2000)
          const startedAt = Date.now()
          yield* sink.send(breachBundle(2, "down"), Option.none()).pipe(
            Effect.ensuring(Effect.sync(() => clearTimeout(back)))
          )
          expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1900)
          const [note] = yield* recoveries.take
          expect(note).toMatch(
            /^RabbitMQ connection lost \(.+\), reconnected after [2-9]\.\d s, resent (nothing|8 unconfirmed messages of 1 bundle)$/
          )
          const drained = yield* Effect.promise(() => drainPushQueue(`push_${env.CONNECTOR_ID}`, { expected: 5 + 8 }))
          expect(drained.objects.filter((object) => object.type === "incident").map((object) => object.id).sort())
            .toEqual(["incident--down-0", "incident--down-1", "incident--up-0"])
        }).pipe(Effect.scoped, Effect.provide(quiet))
      }))

    it.scoped("a broker that stays down fails the send after the reconnect schedule; it recovers when the broker is back", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const { client, registration } = yield* register(env)
        yield* Effect.gen(function*() {
          const proxy = yield* rabbitMqProxy
          const sink = yield* sinkFor(env, registration, client, proxy)
          const up = breachBundle(1, "up")
          yield* sink.send(up, Option.none())
          proxy.refuse(true)
          proxy.cut()
          // Every send tries to reconnect for its budget, then fails saying why.
          sinkErrorOf(yield* Effect.exit(sink.send(breachBundle(1, "down"), Option.none())))
          const down = sinkErrorOf(yield* Effect.exit(sink.send(breachBundle(1, "down"), Option.none())))
          expect(down.reason).toMatch(/^RabbitMQ unavailable for \d+\.\d s, longer than MQ_RECONNECT_TIMEOUT allows/)
          expect(down.reason).toMatch(/cannot connect to RabbitMQ at amqp:\/\/guest@127\.0\.0\.1:\d+\/%2F/)
          expect(down.reason).toContain("5 of the bundle's 5 messages unconfirmed")
          expect(down.message).not.toContain("guest:guest")
          proxy.refuse(false)
          const back = breachBundle(1, "back")
          yield* sink.send(back, Option.none())
          const drained = yield* Effect.promise(() =>
            drainPushQueue(`push_${env.CONNECTOR_ID}`, { expected: up.objects.length + back.objects.length })
          )
          expect(drained.objects.filter((object) => object.type === "incident").map((object) => object.id).sort())
            .toEqual(["incident--back-0", "incident--up-0"])
        }).pipe(Effect.scoped, Effect.provide(quiet))
      }))

    it.scoped("an interrupted send (shutdown) abandons its connection; a later send opens a new one", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const { client, registration } = yield* register(env)
        yield* Effect.gen(function*() {
          const proxy = yield* rabbitMqProxy
          const sink = yield* sinkFor(env, registration, client, proxy)
          const sending = yield* Effect.fork(sink.send(breachBundle(5000, "stop"), Option.none()))
          while (proxy.bytesUp() < 500_000) yield* Effect.sleep("2 millis")
          yield* Fiber.interrupt(sending)
          const after = breachBundle(2, "next")
          yield* sink.send(after, Option.none())
          expect(proxy.connections()).toBe(2)
          const isAfter = (id: string) => id.includes("--next-")
          const drained = yield* Effect.promise(() =>
            // Thousands of the interrupted send's messages come first: on a loaded machine, more than the default 10 s.
            drainPushQueue(`push_${env.CONNECTOR_ID}`, {
              until: (messages) => messages.filter((m) => isAfter(m.bundle.objects[0].id)).length === 6,
              timeoutMs: 60_000
            })
          )
          expect(drained.objects.filter((object) => isAfter(object.id))).toHaveLength(6)
        }).pipe(Effect.scoped, Effect.provide(quiet))
      }))

    it.scoped("expectations that cannot be added stop the send before anything is published", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const { client, registration } = yield* register(env)
        yield* Effect.gen(function*() {
          const sink = yield* sinkFor(env, registration, client)
          const asked = platform.callsOf("addExpectations").length
          const error = sinkErrorOf(yield* Effect.exit(sink.send(breachBundle(3), Option.some("work_unknown"))))
          expect(error.reason).toContain("cannot add expectations to work work_unknown")
          // The platform itself refused them.
          expect(platform.callsOf("addExpectations").length).toBeGreaterThan(asked)
          const drained = yield* Effect.promise(() => drainPushQueue(`push_${env.CONNECTOR_ID}`))
          expect(drained.messages).toEqual([])
        }).pipe(Effect.scoped, Effect.provide(quiet))
      }))

    it.scoped("per-bundle messages: one per bundle with every object, and no expectations (the worker adds them)", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const { client, registration } = yield* register(env)
        const announced: Array<number> = []
        yield* Effect.gen(function*() {
          const sink = yield* sinkFor(env, registration, client, undefined, {
            messages: "per-bundle",
            addExpectations: (_work, count) => Effect.sync(() => void announced.push(count))
          })
          const first = breachBundle(40, "whole")
          const second = breachBundle(2, "small")
          yield* sink.send(first, Option.some("work_1"))
          yield* sink.send(second, Option.some("work_1"))
          const drained = yield* Effect.promise(() => drainPushQueue(`push_${env.CONNECTOR_ID}`, { expected: 2 }))
          expect(drained.messages.map((message) => message.bundle.objects.map((object) => object.id))).toEqual([
            first.objects.map((object) => object.id),
            second.objects.map((object) => object.id)
          ])
          expect(drained.messages[0]!.envelope).toMatchObject({
            bundle_type: "QUEUE_BUNDLE",
            applicant_id: platform.userId,
            action_sequence: 1,
            work_id: "work_1"
          })
          expect(drained.messages[0]!.properties).toMatchObject({ deliveryMode: 2, contentEncoding: "utf-8" })
          expect(announced).toEqual([])
        }).pipe(Effect.scoped, Effect.provide(quiet))
      }))
  })
})

describeWithShared("AmqpSink when the broker refuses messages", () => {
  it.live("a nack fails the send", () =>
    Effect.gen(function*() {
      // The push queue accepts 5 messages and refuses more: RabbitMQ nacks the rest.
      const platform = yield* openCtiStandIn({
        pushQueueArguments: { "x-max-length": 5, "x-overflow": "reject-publish" }
      })
      const env = openCtiEnv(platform)
      const layer = AmqpSink.layer.pipe(
        Layer.provideMerge(RegistrationModule.layer(Schedule.spaced("10 millis"))),
        Layer.provideMerge(OpenCtiClient.layerConfig),
        Layer.provideMerge(Recoveries.layer),
        Layer.provide(configLayer(env))
      )
      const exit = yield* Effect.flatMap(BundleSink, (sink) => Effect.exit(sink.send(breachBundle(3), Option.none())))
        .pipe(Effect.provide(layer), Effect.provide(quiet))
      expect(sinkErrorOf(exit).reason).toContain("RabbitMQ did not accept the bundle: message nacked")
    }).pipe(Effect.scoped))
})
