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
 * would turn every later `it.effect` of the file into a live test; they are put back once `body` is written,
 * and the `it` given to `body` keeps this layer's own (its describes run later).
 */
import { it as globalIt, layer, type Vitest } from "@effect/vitest"
import type { Layer } from "effect"

const testers = (
  { effect, flakyTest, layer, prop, scoped }: Pick<Vitest.Methods, "effect" | "flakyTest" | "layer" | "prop" | "scoped">
) => ({
  effect,
  flakyTest,
  layer,
  prop,
  scoped
})

export const liveLayer =
  <R, E>(shared: Layer.Layer<R, E>) => (body: (it: Vitest.MethodsNonLive<R, true>) => void): void => {
    const saved = testers(globalIt)
    try {
      layer(shared, { excludeTestServices: true })((it) => {
        const own: Record<PropertyKey, unknown> = { ...testers(it as never) }
        body(
          new Proxy(it, { get: (target, key, receiver) => key in own ? own[key] : Reflect.get(target, key, receiver) })
        )
      })
    } finally {
      Object.assign(globalIt, saved)
    }
  }
