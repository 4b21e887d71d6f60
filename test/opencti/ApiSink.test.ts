import { expect } from "@effect/vitest"
import { Effect, Layer, Option, Schedule } from "effect"
import { BundleSink } from "../../src/importer/BundleSink.js"
import * as ApiSink from "../../src/opencti/ApiSink.js"
import * as OpenCtiClient from "../../src/opencti/OpenCtiClient.js"
import * as Recoveries from "../../src/opencti/Recoveries.js"
import * as Registration from "../../src/opencti/Registration.js"
import type { StixBundle } from "../../src/stix/StixObject.js"
import { OpenCtiPlatform, withOpenCtiPlatform } from "../support/opencti/OpenCtiPlatform.js"
import { clientIn, configLayer, openCtiEnv } from "../support/opencti/TestSettings.js"
import { describeWithShared } from "../support/Shared.js"

const BUNDLE: StixBundle = {
  type: "bundle",
  id: "bundle--6f1a3b40-0c4e-4d6a-9a53-2f1d0b7c8e90",
  objects: [
    { type: "marking-definition", id: "marking-definition--m" },
    { type: "identity", id: "identity--a", name: "SpyCloud", object_marking_refs: ["marking-definition--m"] },
    { type: "email-addr", id: "email-addr--e", value: "jane@example.com", x_opencti_created_by_ref: "identity--a" }
  ]
}

describeWithShared("ApiSink against the OpenCTI stand-in", () => {
  withOpenCtiPlatform({ declareQueues: false })((it) => {
    it.effect("pushes the whole bundle with stixBundlePush, with the work, and adds no expectations itself", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform, { CONNECTOR_QUEUE_PROTOCOL: "api" })
        const layer = ApiSink.layer.pipe(
          Layer.provideMerge(Registration.layer(Schedule.spaced("10 millis"))),
          Layer.provideMerge(OpenCtiClient.layerConfig),
          Layer.provideMerge(Recoveries.layer),
          Layer.provide(configLayer(env))
        )
        yield* Effect.gen(function*() {
          const sink = yield* BundleSink
          const client = yield* OpenCtiClient.OpenCtiClient
          const workId = yield* client.workAdd("SpyCloud run")
          yield* sink.send(BUNDLE, Option.some(workId))
          yield* sink.send(BUNDLE, Option.none())
          yield* sink.send({ ...BUNDLE, objects: [] }, Option.some(workId))
          const pushed = platform.pushedBundles.filter((push) => push.connectorId === env.CONNECTOR_ID)
          expect(pushed).toHaveLength(2)
          expect(pushed[0]).toEqual({
            connectorId: env.CONNECTOR_ID,
            workId,
            bundle: { type: "bundle", id: BUNDLE.id, spec_version: "2.1", objects: BUNDLE.objects }
          })
          expect(pushed[1]!.workId).not.toBe(workId)
          expect(platform.works.get(workId)!.expectationCalls).toEqual([])
        }).pipe(Effect.provide(layer))
      }))

    it.scoped("a refused bundle fails the send with SinkError", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform, { CONNECTOR_QUEUE_PROTOCOL: "api" })
        // Built in the test's scope: the client's HTTP dispatcher is destroyed when its layer is released, and
        // the refusal must be the platform's.
        const client = yield* clientIn(env)
        const before = platform.callsOf("StixBundlePush").length
        // Not registered: the platform refuses bundles of an unknown connector.
        const exit = yield* Effect.exit(ApiSink.make(client).send(BUNDLE, Option.none()))
        expect(exit).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "SinkError", sink: "api" } } })
        expect(platform.callsOf("StixBundlePush").length).toBeGreaterThan(before)
      }))
  })
})
