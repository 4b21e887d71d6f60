import { expect } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Option, Schedule } from "effect"
import { BundleSink } from "../../src/importer/BundleSink.js"
import * as OpenCti from "../../src/opencti/OpenCti.js"
import { OpenCtiClient } from "../../src/opencti/OpenCtiClient.js"
import type { StixBundle } from "../../src/stix/StixObject.js"
import { OpenCtiPlatform, withOpenCtiPlatform } from "../support/opencti/OpenCtiPlatform.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { configLayer, openCtiEnv } from "../support/opencti/TestSettings.js"
import { describeWithShared } from "../support/Shared.js"

const BUNDLE: StixBundle = {
  type: "bundle",
  id: "bundle--3b9f2a51-7c1d-4e8a-b6f0-1d2c3e4f5a6b",
  objects: [
    {
      type: "incident",
      id: "incident--1",
      created_by_ref: "identity--a",
      object_marking_refs: ["marking-definition--m"]
    },
    {
      type: "user-account",
      id: "user-account--1",
      account_login: "jdoe",
      object_marking_refs: ["marking-definition--m"]
    },
    { type: "relationship", id: "relationship--1", source_ref: "user-account--1", target_ref: "incident--1" },
    { type: "identity", id: "identity--a", name: "SpyCloud" },
    { type: "marking-definition", id: "marking-definition--m" }
  ]
}

describeWithShared("OpenCti layers", () => {
  withOpenCtiPlatform()((it) => {
    /** Sends BUNDLE in a fresh work through the sink CONNECTOR_QUEUE_PROTOCOL selects. */
    const sendWith = (protocol: "amqp" | "api") =>
      Effect.gen(function*() {
        const env = openCtiEnv(yield* OpenCtiPlatform, { CONNECTOR_QUEUE_PROTOCOL: protocol })
        const layer = OpenCti.sinkLayer.pipe(
          Layer.provideMerge(OpenCti.layer(Schedule.spaced("10 millis"))),
          Layer.provideMerge(configLayer(env))
        )
        const workId = yield* Effect.gen(function*() {
          const workId = yield* (yield* OpenCtiClient).workAdd("SpyCloud run")
          yield* (yield* BundleSink).send(BUNDLE, Option.some(workId))
          return workId
        }).pipe(Effect.provide(layer), Effect.provide(Logger.minimumLogLevel(LogLevel.None)))
        return { id: env.CONNECTOR_ID, workId }
      })

    it.effect("CONNECTOR_QUEUE_PROTOCOL chooses the sink; the same objects arrive by RabbitMQ or by stixBundlePush", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const amqp = yield* sendWith("amqp")
        const queued = yield* Effect.promise(() =>
          drainPushQueue(`push_${amqp.id}`, { expected: BUNDLE.objects.length })
        )
        expect(platform.works.get(amqp.workId)!.expectations).toBe(BUNDLE.objects.length)

        const api = yield* sendWith("api")
        const pushed = platform.pushedBundles.filter((push) => push.connectorId === api.id)
        expect(pushed).toHaveLength(1)
        expect(pushed[0]!.workId).toBe(api.workId)
        expect(platform.works.get(api.workId)!.expectations).toBe(0)
        expect(yield* Effect.promise(() => drainPushQueue(`push_${api.id}`))).toEqual({ messages: [], objects: [] })

        const sorted = (objects: ReadonlyArray<{ id: string }>) => [...objects].sort((a, b) => a.id.localeCompare(b.id))
        expect(sorted(queued.objects)).toEqual(sorted(BUNDLE.objects))
        expect(sorted(pushed[0]!.bundle.objects)).toEqual(sorted(BUNDLE.objects))
      }))
  })
})
