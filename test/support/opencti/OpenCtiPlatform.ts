/**
 * The OpenCTI stand-in for vitest suites: a scoped resource checked at its release, a layer, and a layer
 * shared by a suite. Apart from test/support/opencti/OpenCtiStandIn.ts, which scripts (benchmark, soak) import
 * outside vitest.
 */
import { expect } from "@effect/vitest"
import { Context, Effect, Layer, type Scope } from "effect"
import { liveLayer } from "../LiveLayer.js"
import { type OpenCtiStandIn, type OpenCtiStandInOptions, startOpenCtiStandIn } from "./OpenCtiStandIn.js"

/**
 * The stand-in as a scoped resource. Its release closes it, then fails (a defect, so the test or the
 * suite holding it fails) if any request was invalid for the schemas: no test can miss that check.
 */
export const openCtiStandIn = (
  options: OpenCtiStandInOptions = {}
): Effect.Effect<OpenCtiStandIn, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startOpenCtiStandIn(options)),
    (platform) =>
      Effect.promise(() => platform.close()).pipe(
        Effect.zipRight(Effect.sync(() => {
          expect(platform.invalidRequests, "GraphQL requests the OpenCTI schemas reject").toEqual([])
        }))
      )
  )

/** The stand-in a suite shares: `it.layer(OpenCtiPlatform.layer(options))`, then `yield* OpenCtiPlatform`. */
export class OpenCtiPlatform extends Context.Tag("test/OpenCtiPlatform")<OpenCtiPlatform, OpenCtiStandIn>() {
  static readonly layer = (options: OpenCtiStandInOptions = {}): Layer.Layer<OpenCtiPlatform> =>
    Layer.scoped(OpenCtiPlatform, openCtiStandIn(options))
}

/** One stand-in shared by the tests of `body`, checked at its release (see test/support/LiveLayer.ts). */
export const withOpenCtiPlatform = (options: OpenCtiStandInOptions = {}) => liveLayer(OpenCtiPlatform.layer(options))
