import { expect } from "@effect/vitest"
import { Effect, Layer, Ref, Schedule } from "effect"
import { checkBuffering } from "../../src/opencti/Buffering.js"
import * as ConnectorInfo from "../../src/opencti/ConnectorInfo.js"
import * as OpenCti from "../../src/opencti/OpenCti.js"
import { OpenCtiPlatform, withOpenCtiPlatform } from "../support/opencti/OpenCtiPlatform.js"
import { configLayer, openCtiEnv } from "../support/opencti/TestSettings.js"
import { describeWithShared } from "../support/Shared.js"

describeWithShared("checkBuffering against the OpenCTI stand-in", () => {
  withOpenCtiPlatform({ declareQueues: false })((it) => {
    it.effect("compares the push queue in MB with CONNECTOR_QUEUE_THRESHOLD and records it in connector_info", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform, { CONNECTOR_QUEUE_THRESHOLD: "2.5" })
        yield* Effect.gen(function*() {
          const info = yield* ConnectorInfo.ConnectorInfo
          platform.setQueueSize(env.CONNECTOR_ID, 2_400_000)
          expect(yield* checkBuffering).toEqual({ buffering: false, queueMessagesSize: 2.4, queueThreshold: 2.5 })
          expect(yield* Ref.get(info)).toMatchObject({ buffering: false, queueMessagesSize: 2.4, queueThreshold: 2.5 })
          platform.setQueueSize(env.CONNECTOR_ID, 2_500_000)
          expect((yield* checkBuffering).buffering).toBe(true)
          expect((yield* Ref.get(info)).buffering).toBe(true)
        }).pipe(
          Effect.provide(
            ConnectorInfo.layerConfig.pipe(
              Layer.merge(OpenCti.layer(Schedule.spaced("10 millis"))),
              Layer.provideMerge(configLayer(env))
            )
          )
        )
      }))
  })
})
