import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { SEVERITY_LEVELS } from "../../src/config/Settings.js"
import * as Planner from "../../src/importer/WindowPlanner.js"

type Outcome = Planner.WindowOutcome

interface Delivery {
  readonly window: Planner.PlannedWindow
}

interface Run {
  readonly end: Planner.Decision
  readonly steps: number
  readonly deliveries: ReadonlyArray<Delivery>
  readonly checkpoints: ReadonlyArray<number>
  readonly reads: ReadonlyArray<Planner.PlannedWindow>
  /** For each checkpoint, the deliveries made before it was saved. */
  readonly deliveredAtCheckpoint: ReadonlyArray<ReadonlyArray<Delivery>>
}

/**
 * Far above the longest plan that still ends, so that only a plan that never ends reaches it. A seed found
 * a correct plan of 20,021 reads: 385 days, each delivered in 13 severity parts, one delivery per cycle of
 * 4 outcomes. Up to 401 days and cycles of up to 60 outcomes make such plans about 313,000 reads long.
 */
const STEP_LIMIT = 1_000_000

/** Runs a plan to its end, asking `outcomeOf` how each window it reads ends. */
const runPlan = (
  plan: Planner.Plan,
  outcomeOf: (window: Planner.PlannedWindow, step: number) => Outcome
): Run => {
  const deliveries: Array<Delivery> = []
  const checkpoints: Array<number> = []
  const reads: Array<Planner.PlannedWindow> = []
  const deliveredAtCheckpoint: Array<ReadonlyArray<Delivery>> = []
  let current = plan
  for (let step = 0; step < STEP_LIMIT; step++) {
    const decision = Planner.decide(current)
    if (decision._tag !== "Read") {
      return { end: decision, steps: step, deliveries, checkpoints, reads, deliveredAtCheckpoint }
    }
    reads.push(decision.window)
    const outcome = outcomeOf(decision.window, step)
    if (outcome._tag === "Delivered") deliveries.push({ window: decision.window })
    const next = Planner.advance(current, decision.window, outcome)
    if (next.checkpoint !== undefined) {
      checkpoints.push(next.checkpoint)
      deliveredAtCheckpoint.push([...deliveries])
    }
    current = next.plan
  }
  throw new Error(`the plan did not end within ${STEP_LIMIT} steps`)
}

const UNIVERSE = Array.from({ length: Planner.SEVERITY_CODE_BOUND }, (_, code) => code)

/** The severity codes delivered for `day`, with their multiplicity (an empty severity list is every code). */
const deliveredCodes = (deliveries: ReadonlyArray<Delivery>, day: number, configured: ReadonlyArray<number>) => {
  const counts = new Map<number, number>()
  const everything = configured.length > 0 ? configured : UNIVERSE
  for (const { window } of deliveries) {
    if (day < window.first || day > window.last) continue
    for (const code of window.severity.length === 0 ? everything : window.severity) {
      counts.set(code, (counts.get(code) ?? 0) + 1)
    }
  }
  return { counts, everything }
}

const fullyDeliveredOnce = (deliveries: ReadonlyArray<Delivery>, day: number, configured: ReadonlyArray<number>) => {
  const { counts, everything } = deliveredCodes(deliveries, day, configured)
  return everything.every((code) => counts.get(code) === 1)
}

const outcomeArbitrary: FastCheck.Arbitrary<(window: Planner.PlannedWindow) => Outcome> = FastCheck.oneof(
  FastCheck.nat(30_000).map((hits) => (): Outcome => ({ _tag: "Delivered", hits })),
  FastCheck.nat(60_000).map((hits) => (window: Planner.PlannedWindow): Outcome =>
    window.splittable ? { _tag: "TooManyHits", hits } : { _tag: "Delivered", hits: Math.min(hits, 500) }
  ),
  FastCheck.option(FastCheck.nat(5000), { nil: undefined }).map((hits) => (): Outcome => ({
    _tag: "TooHeavy",
    hits,
    reason: "HTTP 504"
  })),
  FastCheck.option(FastCheck.nat(5000), { nil: undefined }).map((hits) => (): Outcome => ({
    _tag: "Failing",
    hits,
    reason: "HTTP 503"
  })),
  FastCheck.constant((): Outcome => ({ _tag: "CursorLost", hits: undefined, reason: "Cursor not found" }))
)

const scenario = FastCheck.record({
  from: FastCheck.integer({ min: 0, max: 20_000 }),
  span: FastCheck.integer({ min: 0, max: 400 }),
  maxHits: FastCheck.integer({ min: 1, max: 20_000 }),
  severity: FastCheck.oneof(
    FastCheck.constant<ReadonlyArray<number>>([]),
    FastCheck.subarray([...SEVERITY_LEVELS], { minLength: 1 })
  ),
  outcomes: FastCheck.array(outcomeArbitrary, { minLength: 1, maxLength: 60 })
})

type Scenario = typeof scenario extends FastCheck.Arbitrary<infer A> ? A : never

const planOf = (s: Scenario) =>
  Planner.start({ from: s.from, lastDay: s.from + s.span, maxHits: s.maxHits, severity: s.severity })

/** Outcomes drawn in turn, with a delivery now and then so that a plan may also finish. */
const cycling =
  (outcomes: ReadonlyArray<(window: Planner.PlannedWindow) => Outcome>) =>
  (window: Planner.PlannedWindow, step: number) => outcomes[step % outcomes.length]!(window)

describe("WindowPlanner", () => {
  it("for any outcomes, the plan ends", () => {
    FastCheck.assert(
      FastCheck.property(scenario, (s) => {
        const run = runPlan(planOf(s), cycling(s.outcomes))
        expect(run.end._tag).not.toBe("Read")
      }),
      { numRuns: 300 }
    )
  })

  it("a finished plan delivered every day from the checkpoint to the newest exactly once, every severity included", () => {
    FastCheck.assert(
      FastCheck.property(scenario, (s) => {
        const run = runPlan(planOf(s), cycling(s.outcomes))
        if (run.end._tag !== "Finished") return
        for (let day = s.from; day <= s.from + s.span; day++) {
          expect(fullyDeliveredOnce(run.deliveries, day, s.severity), `day ${day}`).toBe(true)
        }
        expect(run.checkpoints.at(-1)).toBe(s.from + s.span)
      }),
      { numRuns: 300 }
    )
  })

  it("checkpoints only move forward, and never past a day that was not fully delivered", () => {
    FastCheck.assert(
      FastCheck.property(scenario, (s) => {
        const run = runPlan(planOf(s), cycling(s.outcomes))
        let previous = s.from
        run.checkpoints.forEach((checkpoint, index) => {
          expect(checkpoint).toBeGreaterThanOrEqual(previous)
          expect(checkpoint).toBeLessThanOrEqual(s.from + s.span)
          // Days before the previous checkpoint were checked then; later deliveries must not touch them either
          // (the finished-plan property checks "exactly once" over the whole range).
          const before = run.deliveredAtCheckpoint[index]!
          for (let day = previous; day < checkpoint; day++) {
            expect(fullyDeliveredOnce(before, day, s.severity), `day ${day} before checkpoint ${checkpoint}`).toBe(true)
          }
          previous = checkpoint
        })
        // Nothing at or past the last checkpoint was delivered in full unless the plan finished there.
        const last = run.checkpoints.at(-1) ?? s.from
        if (run.end._tag === "Failed" && !run.end.reason.includes("whole day")) {
          expect(fullyDeliveredOnce(run.deliveries, last, s.severity)).toBe(false)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("fails only on a one-day, one-severity query, or on a day whose parts did not add up", () => {
    FastCheck.assert(
      FastCheck.property(scenario, (s) => {
        const run = runPlan(planOf(s), cycling(s.outcomes))
        if (run.end._tag !== "Failed") return
        const last = run.reads.at(-1)!
        expect(last.first).toBe(last.last)
        if (!run.end.reason.includes("whole day")) {
          expect(last.severity).toHaveLength(1)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("a day read by severity also asks for every undocumented code, and parts that do not add up fail before it", () => {
    const plan = Planner.start({ from: 100, lastDay: 110, maxHits: 10_000, severity: [] })
    const heavyDay = 104
    const outcomeOf = (window: Planner.PlannedWindow): Outcome => {
      const coversHeavy = window.first <= heavyDay && heavyDay <= window.last
      if (coversHeavy && window.severity.length === 0) {
        // The whole day's first page was read (hits 3,000), then the pages failed.
        return { _tag: "Failing", hits: window.first === window.last ? 3000 : undefined, reason: "HTTP 503" }
      }
      return { _tag: "Delivered", hits: coversHeavy ? 400 : 100 }
    }
    const run = runPlan(plan, outcomeOf)
    const parts = run.reads.filter((w) => w.first === heavyDay && w.last === heavyDay && w.severity.length > 0)
    expect(parts.map((w) => w.severity)).toEqual([...SEVERITY_LEVELS.map((code) => [code]), Planner.OTHER_SEVERITIES])
    expect(Planner.OTHER_SEVERITIES).toEqual(expect.arrayContaining([15, 27, 40]))
    // 7 parts of 400 hits = 2,800 < 3,000.
    expect(run.end).toMatchObject({ _tag: "Failed" })
    expect(run.checkpoints.every((checkpoint) => checkpoint <= heavyDay)).toBe(true)
    expect(run.checkpoints.at(-1)).toBe(heavyDay)
  })

  it("remembers the size that worked: after a 504 it goes back to it, and never grows to a size that timed out", () => {
    // 200 records a day; a query over 2,000 records times out.
    const plan = Planner.start({ from: 0, lastDay: 20_000, maxHits: 10_000, severity: [] })
    const density = (day: number) => day >= 19_925 ? 200 : 0
    const hitsOf = (window: Planner.PlannedWindow) => {
      let total = 0
      for (let day = window.first; day <= window.last; day++) total += density(day)
      return total
    }
    const run = runPlan(plan, (window) => {
      const hits = hitsOf(window)
      return hits > 2000 ? { _tag: "TooHeavy", hits: undefined, reason: "HTTP 504" } : { _tag: "Delivered", hits }
    })
    expect(run.end._tag).toBe("Finished")
    const timeouts = run.reads.filter((window) => hitsOf(window) > 2000).length
    // From 1970 to the data in a few probes, then windows near the largest that fits (10 days).
    expect(timeouts).toBeLessThan(15)
    expect(run.reads.length).toBeLessThan(40)
  })

  it("splits a multi-day window whose retries ran out on transient errors before anything may fail", () => {
    const plan = Planner.start({ from: 0, lastDay: 8, maxHits: 10_000, severity: [] })
    const first = Planner.decide(plan)
    expect(first).toMatchObject({ _tag: "Read", window: { first: 0, last: 7 } })
    if (first._tag !== "Read") return
    const next = Planner.advance(plan, first.window, { _tag: "Failing", hits: undefined, reason: "ECONNRESET" })
    expect(next.checkpoint).toBeUndefined()
    expect(next.note).toMatchObject({ _tag: "Resized", why: "Failing", days: 8, size: 4 })
    expect(Planner.decide(next.plan)).toMatchObject({ _tag: "Read", window: { first: 0, last: 3 } })
  })
})
