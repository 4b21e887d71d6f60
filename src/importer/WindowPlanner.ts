/**
 * The window planner: which window a pass reads next, given how the last one ended. Pure (no Effect, no
 * I/O), so that its promises are checked by property tests: every day from the checkpoint to the newest is
 * delivered exactly once, checkpoints only move forward and never past a day not fully delivered, and the
 * plan ends. The importer runs the windows it asks for and reports each outcome back.
 *
 * The rules (docs/decisions.md, "A pure window planner" and "Severity splits that add up"):
 * - a window spans `size` days, at first the whole range; the newest day is always its own window;
 * - too many hits on a first page: resized from the hits; a 504: too heavy, shrunk fast (back to the size
 *   that worked, else a quarter); retries that ran out on transient errors: halved;
 * - after a delivered window the size grows slowly, never to a size that timed out;
 * - a single day that keeps failing is read one severity at a time, plus one query for every other code,
 *   so that undocumented severities are not lost; when the whole day's `hits` are known, the parts must
 *   add up to them, or the pass fails before the day;
 * - only a one-day, one-severity query that keeps failing fails the pass.
 */
import { SEVERITY_LEVELS } from "../config/Settings.js"
import type { Day } from "./Days.js"

/** Severity codes below this bound that SpyCloud does not document are read by the "other codes" query. */
export const SEVERITY_CODE_BOUND = 100
/** An expired cursor restarts its window this many times in a row before the window is split. */
export const MAX_CURSOR_RESTARTS = 3
/** A one-day window, or one-day one-severity part, that fails is tried this many times before splitting or failing. */
export const MAX_SMALLEST_ATTEMPTS = 2

export interface PlannedWindow {
  /** Days covered, both inclusive. */
  readonly first: Day
  readonly last: Day
  /** Severities of the query; empty means every severity. */
  readonly severity: ReadonlyArray<number>
  /** The newest day, read up to now − lag; the checkpoint stays on it. */
  readonly newest: boolean
  /** Whether a first page with too many hits should abandon the window so that it can be split. */
  readonly splittable: boolean
}

/** How reading a window ended, as the importer reports it. `hits` is the first page's, when one was read. */
export type WindowOutcome =
  /** Every page read and every bundle accepted by the sink. */
  | { readonly _tag: "Delivered"; readonly hits: number }
  /** A splittable window's first page reported more hits than allowed; nothing was sent. */
  | { readonly _tag: "TooManyHits"; readonly hits: number }
  /** A 504 in the retry chain of one of its requests: the query is too heavy. */
  | { readonly _tag: "TooHeavy"; readonly hits: number | undefined; readonly reason: string }
  /** Retries ran out on transient errors (5xx, throttling, resets, truncated bodies, timeouts). */
  | { readonly _tag: "Failing"; readonly hits: number | undefined; readonly reason: string }
  /** The page cursor expired. */
  | { readonly _tag: "CursorLost"; readonly hits: number | undefined; readonly reason: string }

export type Decision =
  | { readonly _tag: "Read"; readonly window: PlannedWindow }
  | { readonly _tag: "Finished" }
  | { readonly _tag: "Failed"; readonly reason: string }

/** What the last outcome changed, for the importer's logs and counters. */
export type PlanNote =
  | { readonly _tag: "Resized"; readonly why: WindowOutcome["_tag"]; readonly days: number; readonly size: number }
  | { readonly _tag: "SeveritySplit"; readonly why: WindowOutcome["_tag"]; readonly parts: number }
  | { readonly _tag: "PartSplit"; readonly severity: ReadonlyArray<number> }
  | { readonly _tag: "Retry"; readonly why: WindowOutcome["_tag"]; readonly attempt: number }

/** A single day being read by severity: the parts still to read (the first is next), and what was counted. */
export interface DaySplit {
  readonly day: Day
  readonly parts: ReadonlyArray<ReadonlyArray<number>>
  /** Hits of the parts delivered so far, per severity set (for the summary and the check). */
  readonly partHits: number
  /** Hits of the whole day's query, when one of its first pages was read. */
  readonly wholeHits: number | undefined
}

export interface Plan {
  /** The checkpoint: the first day not yet delivered. */
  readonly next: Day
  /** The newest day (today − lag). */
  readonly lastDay: Day
  /** Days of the next multi-day window. */
  readonly size: number
  /** The smallest window size that timed out, until a window that large is delivered again. */
  readonly heavyAt: number | undefined
  /** Days of the last window delivered. */
  readonly worked: number | undefined
  readonly maxHits: number
  /** Configured severities; empty means every one. */
  readonly severity: ReadonlyArray<number>
  readonly split: DaySplit | undefined
  /** Failed attempts of the current window (or part). */
  readonly attempts: number
  /** Hits of the current single-day window, seen on a first page of an attempt that failed later. */
  readonly dayHits: number | undefined
  readonly status: { readonly _tag: "Running" } | { readonly _tag: "Finished" } | {
    readonly _tag: "Failed"
    readonly reason: string
  }
}

export interface Advance {
  readonly plan: Plan
  /** A new checkpoint to save before reading on. */
  readonly checkpoint: Day | undefined
  readonly note: PlanNote | undefined
}

export interface PlanOptions {
  /** The checkpoint, or the start day. */
  readonly from: Day
  readonly lastDay: Day
  readonly maxHits: number
  readonly severity: ReadonlyArray<number>
}

export const start = (options: PlanOptions): Plan => ({
  next: Math.min(options.from, options.lastDay),
  lastDay: options.lastDay,
  size: Math.max(1, options.lastDay - options.from),
  heavyAt: undefined,
  worked: undefined,
  maxHits: Math.max(1, options.maxHits),
  severity: options.severity,
  split: undefined,
  attempts: 0,
  dayHits: undefined,
  status: { _tag: "Running" }
})

/** Every code below `SEVERITY_CODE_BOUND` that SpyCloud does not document. */
export const OTHER_SEVERITIES: ReadonlyArray<number> = Array.from({ length: SEVERITY_CODE_BOUND }, (_, code) => code)
  .filter((code) => !(SEVERITY_LEVELS as ReadonlyArray<number>).includes(code))

/**
 * The parts of a day read by severity. Configured severities: one query each, which covers what the
 * unsplit query asked for. Every severity: one query per documented code and one for all the others.
 */
export const severityParts = (configured: ReadonlyArray<number>): ReadonlyArray<ReadonlyArray<number>> =>
  configured.length > 0
    ? configured.map((code) => [code])
    : [...SEVERITY_LEVELS.map((code) => [code]), OTHER_SEVERITIES]

const daysOf = (window: PlannedWindow) => window.last - window.first + 1

export const decide = (plan: Plan): Decision => {
  switch (plan.status._tag) {
    case "Finished":
      return { _tag: "Finished" }
    case "Failed":
      return { _tag: "Failed", reason: plan.status.reason }
    case "Running":
      break
  }
  if (plan.split !== undefined) {
    const day = plan.split.day
    return {
      _tag: "Read",
      window: { first: day, last: day, severity: plan.split.parts[0]!, newest: day === plan.lastDay, splittable: false }
    }
  }
  if (plan.next < plan.lastDay) {
    const last = Math.min(plan.next + plan.size - 1, plan.lastDay - 1)
    return {
      _tag: "Read",
      window: { first: plan.next, last, severity: plan.severity, newest: false, splittable: last > plan.next }
    }
  }
  return {
    _tag: "Read",
    window: { first: plan.lastDay, last: plan.lastDay, severity: plan.severity, newest: true, splittable: false }
  }
}

const unchanged = (plan: Plan, note?: PlanNote): Advance => ({ plan, checkpoint: undefined, note })

const fail = (plan: Plan, reason: string): Advance =>
  unchanged({ ...plan, split: undefined, status: { _tag: "Failed", reason } })

/** The days up to `last` are delivered: the checkpoint moves past them (or stays on the newest day). */
const delivered = (plan: Plan, last: Day, changes: Partial<Plan> = {}): Advance => {
  const base = { ...plan, ...changes, split: undefined, attempts: 0, dayHits: undefined }
  if (last >= plan.lastDay) {
    return {
      plan: { ...base, next: plan.lastDay, status: { _tag: "Finished" } },
      checkpoint: plan.lastDay,
      note: undefined
    }
  }
  return { plan: { ...base, next: last + 1 }, checkpoint: last + 1, note: undefined }
}

const describeCodes = (codes: ReadonlyArray<number>) =>
  codes === OTHER_SEVERITIES ? "every other severity" : `severity ${codes.join(",")}`

/** The next size after a delivered window: a quarter more while the hits leave room, never to a size that timed out. */
const grown = (plan: Plan, days: number, hits: number): Partial<Plan> => {
  const heavyAt = plan.heavyAt !== undefined && days >= plan.heavyAt ? undefined : plan.heavyAt
  const wanted = hits * 2 <= plan.maxHits ? days + Math.max(1, Math.floor(days / 4)) : days
  const size = Math.max(1, heavyAt === undefined ? wanted : Math.min(wanted, heavyAt - 1))
  return { size, heavyAt, worked: days }
}

/** A single day starts being read by severity. */
const splitDay = (plan: Plan, window: PlannedWindow, outcome: WindowOutcome): Advance => {
  const parts = severityParts(plan.severity)
  const wholeHits = outcome._tag === "Delivered" || outcome._tag === "TooManyHits"
    ? outcome.hits
    : outcome.hits ?? plan.dayHits
  return unchanged(
    { ...plan, split: { day: window.first, parts, partHits: 0, wholeHits }, attempts: 0, dayHits: undefined },
    { _tag: "SeveritySplit", why: outcome._tag, parts: parts.length }
  )
}

/** The smallest query failed again: retried a few times, then the pass fails before it. */
const smallestFailed = (plan: Plan, window: PlannedWindow, reason: string): Advance => {
  const attempts = plan.attempts + 1
  if (attempts < MAX_SMALLEST_ATTEMPTS) {
    return unchanged({ ...plan, attempts }, { _tag: "Retry", why: "Failing", attempt: attempts })
  }
  return fail(
    plan,
    `SpyCloud keeps failing on ${describeCodes(window.severity)} of a single day, the smallest query possible ` +
      `(${reason}); the pass stops before that day`
  )
}

/** A window (or part) that did not deliver and must be made smaller. */
const shrink = (plan: Plan, window: PlannedWindow, outcome: Exclude<WindowOutcome, { _tag: "Delivered" }>) => {
  const days = daysOf(window)
  if (days > 1) {
    const size = outcome._tag === "TooManyHits"
      ? Math.max(1, Math.min(Math.ceil(days / 2), Math.floor((days * plan.maxHits) / Math.max(1, outcome.hits))))
      : outcome._tag === "TooHeavy"
      ? (plan.worked !== undefined && plan.worked < days ? plan.worked : Math.max(1, Math.floor(days / 4)))
      : Math.ceil(days / 2)
    const heavyAt = outcome._tag === "TooHeavy" ? Math.min(plan.heavyAt ?? days, days) : plan.heavyAt
    return unchanged(
      { ...plan, size, heavyAt, attempts: 0, dayHits: undefined },
      { _tag: "Resized", why: outcome._tag, days, size }
    )
  }
  const reason = outcome._tag === "TooManyHits" ? `${outcome.hits} hits` : outcome.reason
  if (plan.split === undefined) {
    if (plan.severity.length === 1) return smallestFailed(plan, window, reason)
    // A heavy day goes straight to its severities; other failures are worth one more try first.
    if (outcome._tag === "TooHeavy" || plan.attempts + 1 >= MAX_SMALLEST_ATTEMPTS) {
      return splitDay(plan, window, outcome)
    }
    const dayHits = outcome._tag === "TooManyHits" ? outcome.hits : outcome.hits ?? plan.dayHits
    return unchanged(
      { ...plan, attempts: plan.attempts + 1, dayHits },
      { _tag: "Retry", why: outcome._tag, attempt: plan.attempts + 1 }
    )
  }
  const [part, ...rest] = plan.split.parts
  if (part!.length > 1) {
    const half = Math.ceil(part!.length / 2)
    const halves = [part!.slice(0, half), part!.slice(half)]
    return unchanged(
      { ...plan, split: { ...plan.split, parts: [...halves, ...rest] }, attempts: 0 },
      { _tag: "PartSplit", severity: part! }
    )
  }
  return smallestFailed(plan, window, reason)
}

/** The plan after `window` ended with `outcome`. */
export const advance = (plan: Plan, window: PlannedWindow, outcome: WindowOutcome): Advance => {
  if (plan.status._tag !== "Running") return unchanged(plan)
  switch (outcome._tag) {
    case "Delivered": {
      if (plan.split === undefined) return delivered(plan, window.last, grown(plan, daysOf(window), outcome.hits))
      const split = { ...plan.split, parts: plan.split.parts.slice(1), partHits: plan.split.partHits + outcome.hits }
      if (split.parts.length > 0) return unchanged({ ...plan, split, attempts: 0 })
      if (split.wholeHits !== undefined && split.partHits < split.wholeHits) {
        return fail(
          plan,
          `the severity queries of a single day found ${split.partHits} records, the whole day's query ` +
            `${split.wholeHits}: records with other severity codes cannot be read; the pass stops before that day`
        )
      }
      return delivered(plan, split.day)
    }
    case "CursorLost": {
      const attempts = plan.attempts + 1
      if (attempts <= MAX_CURSOR_RESTARTS) {
        const dayHits = daysOf(window) === 1 && plan.split === undefined ? outcome.hits ?? plan.dayHits : plan.dayHits
        return unchanged({ ...plan, attempts, dayHits }, { _tag: "Retry", why: "CursorLost", attempt: attempts })
      }
      return shrink({ ...plan, attempts: MAX_SMALLEST_ATTEMPTS }, window, outcome)
    }
    case "TooManyHits":
    case "TooHeavy":
    case "Failing":
      return shrink(plan, window, outcome)
  }
}
