/**
 * Shares a layer's services (stand-ins, proxies) among the tests of a suite, built once before its first
 * test and released after its last, so each resource's own checks at release fail the suite.
 *
 *   describeWithShared("…", () => {
 *     liveLayer(OpenCtiPlatform.layer())((it) => {
 *       it.effect("…", () => Effect.gen(function*() { const platform = yield* OpenCtiPlatform … }))
 *     })
 *   })
 *
 * The tests run without the test services: these resources are real servers, so `it.effect` there runs on
 * the live clock, like `it.live`. @effect/vitest's `layer` installs its testers on the global `it`, which
 * would turn every later `it.effect` of the file into a live test; they are put back once `body` is written.
 */
import { it as globalIt, layer, type Vitest } from "@effect/vitest"
import type { Layer } from "effect"

export const liveLayer =
  <R, E>(shared: Layer.Layer<R, E>) => (body: (it: Vitest.MethodsNonLive<R, true>) => void): void => {
    const { effect, flakyTest, layer: nested, prop, scoped } = globalIt
    try {
      layer(shared, { excludeTestServices: true })(body)
    } finally {
      Object.assign(globalIt, { effect, flakyTest, layer: nested, prop, scoped })
    }
  }
