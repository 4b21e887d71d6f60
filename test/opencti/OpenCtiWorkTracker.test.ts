import { expect } from "@effect/vitest"
import { Context, Effect, Layer, Option, Schedule } from "effect"
import { WorkTracker } from "../../src/importer/WorkTracker.js"
import * as OpenCtiClient from "../../src/opencti/OpenCtiClient.js"
import * as OpenCtiWorkTracker from "../../src/opencti/OpenCtiWorkTracker.js"
import * as Recoveries from "../../src/opencti/Recoveries.js"
import * as Registration from "../../src/opencti/Registration.js"
import { OpenCtiPlatform, withOpenCtiPlatform } from "../support/opencti/OpenCtiPlatform.js"
import { configLayer, openCtiEnv } from "../support/opencti/TestSettings.js"
import { describeWithShared } from "../support/Shared.js"

describeWithShared("OpenCtiWorkTracker against the OpenCTI stand-in", () => {
  withOpenCtiPlatform({ declareQueues: false })((it) => {
    // Built in the test's scope: the client's HTTP dispatcher is destroyed when the layer is released.
    const tracker = (env: Record<string, string>) =>
      Layer.build(
        OpenCtiWorkTracker.layer.pipe(
          Layer.provideMerge(Registration.layer(Schedule.spaced("10 millis"))),
          Layer.provideMerge(OpenCtiClient.layerConfig),
          Layer.provideMerge(Recoveries.layer),
          Layer.provide(configLayer(env))
        )
      ).pipe(Effect.map(Context.get(WorkTracker)))

    it.scoped("opens a work for the connector and closes it with the summary, or in error", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform)
        const works = yield* tracker(env)
        const ok = yield* works.start("SpyCloud run @ 2025-01-01")
        expect(Option.isSome(ok)).toBe(true)
        yield* works.finish(ok, "12 records, 3 incidents", false)
        const failed = yield* works.start("SpyCloud run @ 2025-01-02")
        yield* works.finish(failed, "SpyCloud API unreachable", true)
        const okWork = platform.works.get(Option.getOrThrow(ok))!
        expect(okWork).toMatchObject({
          connectorId: env.CONNECTOR_ID,
          name: "SpyCloud run @ 2025-01-01",
          processed: true
        })
        expect(okWork.messages).toEqual(["12 records, 3 incidents"])
        expect(platform.works.get(Option.getOrThrow(failed))!.errors).toEqual(["SpyCloud API unreachable"])
      }))

    it.scoped("opens no work when CONNECTOR_SEND_TO_QUEUE is false, like pycti", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const env = openCtiEnv(platform, { CONNECTOR_SEND_TO_QUEUE: "false", CONNECTOR_SEND_TO_DIRECTORY: "true" })
        const works = yield* tracker({ ...env, CONNECTOR_SEND_TO_DIRECTORY_PATH: "/tmp/unused" })
        const before = platform.calls.length
        const work = yield* works.start("SpyCloud run")
        yield* works.finish(work, "done", false)
        expect(work).toEqual(Option.none())
        expect(platform.calls.length).toBe(before)
      }))

    it.scoped("a work that cannot be closed is logged, not raised", () =>
      Effect.gen(function*() {
        const platform = yield* OpenCtiPlatform
        const works = yield* tracker(openCtiEnv(platform))
        yield* works.finish(Option.some("work_that_does_not_exist"), "done", false)
      }))
  })
})
