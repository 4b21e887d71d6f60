import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Either, Fiber, Layer, Option, TestClock } from "effect"
import { ConnectorConfig } from "../../src/config/ConnectorConfig.js"
import { Importer } from "../../src/importer/Importer.js"
import { PassFailed } from "../../src/importer/PassFailed.js"
import type { PassSummary } from "../../src/importer/PassStats.js"
import { RunHooks } from "../../src/importer/RunHooks.js"
import { isRunAndTerminate, runAndTerminate, runForever } from "../../src/importer/Scheduler.js"
import { configLayer } from "../support/FakeServices.js"

const SUMMARY: PassSummary = {
  records: 1,
  incidents: 1,
  observables: 0,
  relationships: 0,
  bundles: 1,
  skippedRecords: {},
  skippedValues: {},
  bySeverity: {},
  windows: 1,
  splits: 0,
  cursorRestarts: 0,
  catalogFailures: 0,
  retries: 0,
  durationSeconds: 1,
  recordsPerSecond: 1
}

/** An importer whose passes take `passMinutes` of (test) time; `outcomes` scripts failures by pass number. */
const scripted = (
  options: { passMinutes: number; failing?: ReadonlySet<number>; mayRun?: (call: number) => boolean }
) => {
  const passesStartedAt: Array<number> = []
  const ended: Array<{ ran: boolean; next: string | undefined }> = []
  let terminated = 0
  let checks = 0
  const importer = Importer.of({
    runPass: Effect.gen(function*() {
      passesStartedAt.push((yield* TestClock.currentTimeMillis) / 60_000)
      yield* Effect.sleep(`${options.passMinutes} minutes`)
      if (options.failing?.has(passesStartedAt.length)) {
        return yield* new PassFailed({ reason: `pass ${passesStartedAt.length} failed` })
      }
      return SUMMARY
    })
  })
  const hooks = RunHooks.of({
    mayRun: Effect.sync(() => options.mayRun?.(++checks) ?? true),
    passEnded: (ran, next) =>
      Effect.sync(() => void ended.push({ ran, next: Option.getOrUndefined(Option.map(next, DateTime.formatIso)) })),
    terminate: Effect.sync(() => void terminated++)
  })
  const layer = Layer.mergeAll(Layer.succeed(Importer, importer), Layer.succeed(RunHooks, hooks))
  return { layer, passesStartedAt, ended, terminated: () => terminated, checks: () => checks }
}

describe("Scheduler", () => {
  it.effect("runs a pass at once, then each period after the previous pass ended; a failed pass does not stop it", () =>
    Effect.gen(function*() {
      const setup = scripted({ passMinutes: 2, failing: new Set([2]) })
      const fiber = yield* Effect.fork(
        runForever.pipe(Effect.provide(Layer.merge(setup.layer, configLayer({ CONNECTOR_DURATION_PERIOD: "PT5M" }))))
      )
      yield* TestClock.adjust("30 minutes")
      // Passes start at 0, then 2+5, 7+2+5, ...: the period counts from the end of the previous pass.
      expect(setup.passesStartedAt).toEqual([0, 7, 14, 21, 28])
      expect(setup.ended.every((entry) => entry.ran)).toBe(true)
      expect(setup.ended[0]!.next).toBe(new Date(7 * 60_000).toJSON())
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("skips a scheduled pass while the platform's queue is over the threshold (never the first)", () =>
    Effect.gen(function*() {
      const setup = scripted({ passMinutes: 1, mayRun: (call) => call > 2 })
      const fiber = yield* Effect.fork(
        runForever.pipe(Effect.provide(Layer.merge(setup.layer, configLayer({ CONNECTOR_DURATION_PERIOD: "PT5M" }))))
      )
      yield* TestClock.adjust("20 minutes")
      expect(setup.passesStartedAt).toEqual([0, 16])
      expect(setup.ended.slice(0, 3).map((entry) => entry.ran)).toEqual([true, false, false])
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("run-and-terminate: one pass, then the final ping, even when the pass fails", () =>
    Effect.gen(function*() {
      const ok = scripted({ passMinutes: 1 })
      const summary = yield* Effect.fork(runAndTerminate.pipe(Effect.provide(ok.layer)))
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(summary)).toEqual(Option.some(SUMMARY))
      expect(ok.terminated()).toBe(1)

      const failing = scripted({ passMinutes: 1, failing: new Set([1]) })
      const failed = yield* Effect.fork(Effect.either(runAndTerminate.pipe(Effect.provide(failing.layer))))
      yield* TestClock.adjust("1 minute")
      expect(Either.isLeft(yield* Fiber.join(failed))).toBe(true)
      expect(failing.terminated()).toBe(1)

      const buffering = scripted({ passMinutes: 1, mayRun: () => false })
      expect(yield* runAndTerminate.pipe(Effect.provide(buffering.layer))).toEqual(Option.none())
      expect(buffering.passesStartedAt).toEqual([])
      expect(buffering.terminated()).toBe(1)
    }))

  it.effect("run-and-terminate when CONNECTOR_RUN_AND_TERMINATE is true or the period is 0 (pycti's rule)", () =>
    Effect.gen(function*() {
      const read = (env: Record<string, string>) => ConnectorConfig.pipe(Effect.provide(configLayer(env)))
      expect(isRunAndTerminate(yield* read({ CONNECTOR_DURATION_PERIOD: "0" }))).toBe(true)
      expect(isRunAndTerminate(yield* read({ CONNECTOR_RUN_AND_TERMINATE: "true" }))).toBe(true)
      expect(isRunAndTerminate(yield* read({ CONNECTOR_DURATION_PERIOD: "PT1H" }))).toBe(false)
    }))
})
