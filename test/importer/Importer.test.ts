import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, TestClock } from "effect"
import * as Importer from "../../src/importer/Importer.js"
import { OTHER_SEVERITIES } from "../../src/importer/WindowPlanner.js"
import type { BreachQuery } from "../../src/spycloud/SpycloudClient.js"
import { CursorExpired, Timeout, Unavailable } from "../../src/spycloud/SpycloudError.js"
import { recordIncidentId } from "../../src/stix/StixId.js"
import type { StixBundle } from "../../src/stix/StixObject.js"
import {
  configLayer,
  fakeSpycloud,
  memoryState,
  type PageFault,
  recordingSink,
  recordingWorks
} from "../support/FakeServices.js"
import { createDataset, type DatasetOptions, filterOfQuery } from "../support/spycloud/Dataset.js"

const NOW = Date.parse("2026-11-28T12:00:00Z")
const TODAY = "2026-11-28"

interface Setup {
  readonly dataset?: Partial<DatasetOptions>
  readonly env?: Record<string, string>
  readonly state?: Record<string, unknown>
  readonly fault?: PageFault
  readonly failAt?: number
  readonly concurrentSends?: number
  readonly pageSize?: number
}

/** One pass against in-memory doubles, at NOW. */
const pass = (setup: Setup = {}) => {
  const dataset = createDataset({ records: 3000, days: 60, endDate: TODAY, seed: 3, ...setup.dataset })
  const client = fakeSpycloud(dataset, {
    ...(setup.fault ? { fault: setup.fault } : {}),
    ...(setup.pageSize ? { pageSize: setup.pageSize } : {})
  })
  const sink = recordingSink({
    ...(setup.failAt === undefined ? {} : { failAt: setup.failAt }),
    ...(setup.concurrentSends === undefined ? {} : { concurrentSends: setup.concurrentSends })
  })
  const state = memoryState(setup.state)
  const works = recordingWorks()
  const layer = Importer.layer.pipe(
    Layer.provide(
      Layer.mergeAll(
        client.layer,
        sink.layer,
        state.layer,
        works.layer,
        configLayer({ SPYCLOUD_IMPORT_START_DATE: dataset.startDate, ...setup.env })
      )
    )
  )
  const result = Effect.gen(function*() {
    yield* TestClock.setTime(NOW)
    const importer = yield* Importer.Importer
    return yield* Effect.either(importer.runPass)
  }).pipe(Effect.provide(layer))
  return { dataset, client, sink, state, works, result }
}

const incidentCounts = (bundles: ReadonlyArray<StixBundle>) => {
  const counts = new Map<string, number>()
  for (const bundle of bundles) {
    for (const object of bundle.objects) {
      if (object.type === "incident") counts.set(object.id, (counts.get(object.id) ?? 0) + 1)
    }
  }
  return counts
}

const expectedIncidents = (ids: ReadonlyArray<string>) => ids.map(recordIncidentId)

const untilOf = (query: BreachQuery) => Option.getOrThrow(query.until)

/** Whether a window's query reads `day`: since ≤ day ≤ the day of until. */
const covers = (query: BreachQuery, day: string) => query.since <= day && day <= untilOf(query).slice(0, 10)

describe("Importer", () => {
  it.effect("imports every record of the range in ascending day windows, ending on the newest day", () =>
    Effect.gen(function*() {
      const run = pass({ env: { SPYCLOUD_WINDOW_MAX_RECORDS: "700" } })
      const summary = Either.getOrThrow(yield* run.result)
      const counts = incidentCounts(run.sink.bundles)
      for (const id of expectedIncidents(run.dataset.documentIds({ since: run.dataset.startDate }))) {
        expect(counts.has(id)).toBe(true)
      }
      expect(summary.incidents).toBeGreaterThanOrEqual(3000)
      expect(summary.splits).toBeGreaterThan(0)
      // Windows go forward, the newest day last, read up to now − 15 min.
      const publishQueries = run.client.queries.filter((q) => q.dateField === "publish")
      const last = publishQueries.at(-1)!
      expect(last.since).toBe(TODAY)
      expect(untilOf(last)).toBe("2026-11-28T11:45:00Z")
      for (const query of publishQueries.slice(0, -1)) expect(untilOf(query)).toMatch(/^\d{4}-\d{2}-\d{2}T23:59:59Z$/)
      // Each completed window moved the checkpoint forward; the newest day stays the checkpoint.
      const checkpoints = run.state.history.map((state) => state.last_import_date as string)
      expect([...checkpoints].sort()).toEqual(checkpoints)
      expect(checkpoints.at(-1)).toBe("2026-11-28T00:00:00+00:00")
      expect(run.works.calls.at(-1)).toMatchObject({ op: "finish", inError: false })
      expect(run.works.calls.at(-1)!.message).toContain(`${summary.records} records`)
    }))

  it.effect("covers the range without gaps or repeats: each incident is sent once in a pass", () =>
    Effect.gen(function*() {
      const run = pass({ env: { SPYCLOUD_WINDOW_MAX_RECORDS: "500" } })
      const summary = Either.getOrThrow(yield* run.result)
      const counts = incidentCounts(run.sink.bundles)
      expect(summary.windows).toBeGreaterThan(5)
      expect([...counts.values()].every((count) => count === 1)).toBe(true)
      expect(counts.size).toBe(run.dataset.documentIds({ since: run.dataset.startDate }).length)
      // Consecutive windows are adjacent days: one ends on day d (23:59:59), the next starts on d + 1.
      const completed = run.client.queries.filter((q) => q.dateField === "publish")
      for (let i = 1; i < completed.length; i++) {
        const previousEnd = Date.parse(untilOf(completed[i - 1]!).slice(0, 10))
        const start = Date.parse(completed[i]!.since)
        expect(start === previousEnd + 86_400_000 || start <= previousEnd).toBe(true)
      }
    }))

  it.effect("gives a sink as many bundles at once as it takes, one at a time unless it says otherwise", () =>
    Effect.gen(function*() {
      const env = { SPYCLOUD_WINDOW_MAX_RECORDS: "500", CONNECTOR_BUNDLE_MAX_OBJECTS: "200" }
      const serial = pass({ env })
      const concurrent = pass({ env, concurrentSends: 2 })
      Either.getOrThrow(yield* serial.result)
      Either.getOrThrow(yield* concurrent.result)
      expect(serial.sink.mostInFlight()).toBe(1)
      expect(concurrent.sink.mostInFlight()).toBe(2)
      // Every incident arrives once either way.
      const all = (run: typeof serial) => incidentCounts(run.sink.bundles)
      for (const run of [serial, concurrent]) {
        expect([...all(run).values()].every((count) => count === 1)).toBe(true)
        expect(all(run).size).toBe(run.dataset.documentIds({ since: run.dataset.startDate }).length)
      }
    }))

  it.effect("advances the checkpoint only after the sink accepted a whole window", () =>
    Effect.gen(function*() {
      const run = pass({ env: { SPYCLOUD_WINDOW_MAX_RECORDS: "400", CONNECTOR_BUNDLE_MAX_OBJECTS: "2000" }, failAt: 6 })
      const result = yield* run.result
      expect(Either.isLeft(result)).toBe(true)
      expect(Either.getLeft(result).pipe(Option.getOrThrow).reason).toContain("the broker is gone")
      const checkpoint = Option.getOrThrow(run.state.current()).last_import_date as string
      // Every record published before the checkpoint day reached the sink.
      const dayBefore = new Date(Date.parse(checkpoint) - 1).toISOString().slice(0, 10)
      const counts = incidentCounts(run.sink.bundles)
      for (const id of expectedIncidents(run.dataset.documentIds({ since: run.dataset.startDate, until: dayBefore }))) {
        expect(counts.has(id)).toBe(true)
      }
      expect(checkpoint < "2026-11-28").toBe(true)
      expect(run.works.calls.at(-1)).toMatchObject({ op: "finish", inError: true })
      expect(run.works.calls.at(-1)!.message).toContain("Pass failed")
    }))

  it.effect("a second pass with no new data reads only the newest day", () =>
    Effect.gen(function*() {
      const run = pass({ state: { last_import_date: "2026-11-28T00:00:00+00:00" } })
      Either.getOrThrow(yield* run.result)
      expect(run.client.queries.filter((q) => q.dateField === "publish").map((q) => q.since)).toEqual([TODAY])
    }))

  it.effect("continues from a state written by the official connector", () =>
    Effect.gen(function*() {
      const run = pass({ state: { last_import_date: "2026-11-20T00:00:00+00:00" } })
      Either.getOrThrow(yield* run.result)
      expect(run.client.queries[0]!.since).toBe("2026-11-20")
      const counts = incidentCounts(run.sink.bundles)
      const before = expectedIncidents(run.dataset.documentIds({ since: run.dataset.startDate, until: "2026-11-18" }))
      expect(before.some((id) => counts.has(id))).toBe(false)
      for (const id of expectedIncidents(run.dataset.documentIds({ since: "2026-11-20" }))) {
        expect(counts.has(id)).toBe(true)
      }
    }))

  it.effect("keeps one checkpoint per watchlist type, with the official connector's key names", () =>
    Effect.gen(function*() {
      const run = pass({ env: { SPYCLOUD_WATCHLIST_TYPES: "email,ip" } })
      Either.getOrThrow(yield* run.result)
      const types = new Set(run.client.queries.map((q) => Option.getOrUndefined(q.watchlistType)))
      expect(types).toEqual(new Set(["email", "ip"]))
      expect(Option.getOrThrow(run.state.current())).toEqual({
        email_last_import_date: "2026-11-28T00:00:00+00:00",
        email_last_modification_date: "2026-11-28T00:00:00+00:00",
        ip_last_import_date: "2026-11-28T00:00:00+00:00",
        ip_last_modification_date: "2026-11-28T00:00:00+00:00"
      })
    }))

  it.effect("splits a window that keeps timing out, then a single day by severity, undocumented codes included", () =>
    Effect.gen(function*() {
      const heavyDay = "2026-11-10"
      const fault: PageFault = (query) => {
        const days = (Date.parse(untilOf(query)) - Date.parse(query.since)) / 86_400_000
        if (query.severity.length === 0 && days > 3) return new Timeout({ attempts: 2 })
        if (covers(query, heavyDay) && query.severity.length === 0) return new Timeout({ attempts: 2 })
        return undefined
      }
      const severities = { 2: 10, 5: 10, 20: 30, 25: 30, 26: 5, 30: 5, 15: 4, 27: 3, 40: 3 }
      const run = pass({ fault, dataset: { severities } })
      const summary = Either.getOrThrow(yield* run.result)
      expect(summary.splits).toBeGreaterThan(2)
      const bySeverity = run.client.queries.filter((q) => q.since === heavyDay && q.severity.length > 0)
      expect(bySeverity.map((q) => q.severity)).toEqual([[2], [5], [20], [25], [26], [30], OTHER_SEVERITIES])
      const unknownOnHeavyDay = run.dataset.documentIds({ since: heavyDay, until: heavyDay, severity: [15, 27, 40] })
      expect(unknownOnHeavyDay.length).toBeGreaterThan(0)
      const counts = incidentCounts(run.sink.bundles)
      for (const id of expectedIncidents(run.dataset.documentIds({ since: run.dataset.startDate }))) {
        expect(counts.has(id)).toBe(true)
      }
      // The summary and the work count records per severity, undocumented codes included.
      for (const code of ["15", "27", "40"]) expect(summary.bySeverity[code]).toBeGreaterThan(0)
      expect(Object.values(summary.bySeverity).reduce((a, b) => a + b, 0)).toBe(summary.records)
      expect(run.works.calls.at(-1)!.message).toMatch(/records by severity \(2: \d+, 5: \d+, 15: \d+, 20: \d+/)
    }))

  it.effect("never moves the checkpoint past a day whose severity parts do not add up to the whole day", () =>
    Effect.gen(function*() {
      const heavyDay = "2026-11-10"
      // The whole day's first page is read (so its hits are known), its next pages keep failing.
      const fault: PageFault = (query, page) =>
        covers(query, heavyDay) && query.severity.length === 0 && page > 1
          ? new Unavailable({ attempts: 6, detail: "HTTP 503" })
          : undefined
      // Code 150 is beyond what the "every other code" query asks for.
      const run = pass({ fault, pageSize: 10, dataset: { severities: { 20: 80, 25: 10, 150: 10 } } })
      const failure = Either.getLeft(yield* run.result).pipe(Option.getOrThrow)
      expect(failure.reason).toContain("published 2026-11-10")
      expect(failure.reason).toContain("the whole day's query")
      expect(Option.getOrThrow(run.state.current()).last_import_date).toBe("2026-11-10T00:00:00+00:00")
      expect(run.state.history.every((state) => String(state.last_import_date).slice(0, 10) <= "2026-11-10")).toBe(true)
    }))

  it.effect("fails, naming the window, when even one severity of one day times out; the checkpoint stays before it", () =>
    Effect.gen(function*() {
      const fault: PageFault = (query) => covers(query, "2026-11-10") ? new Timeout({ attempts: 6 }) : undefined
      const run = pass({ fault, env: { SPYCLOUD_SEVERITY_LEVELS: "20,25" } })
      const failure = Either.getLeft(yield* run.result).pipe(Option.getOrThrow)
      expect(failure.reason).toContain("published 2026-11-10 severity 20")
      expect(Option.getOrThrow(run.state.current()).last_import_date).toBe("2026-11-10T00:00:00+00:00")
    }))

  it.effect("restarts a window whose cursor expired", () =>
    Effect.gen(function*() {
      const expired = new Set<string>()
      const fault: PageFault = (query, page) => {
        const key = `${query.since}/${Option.getOrUndefined(query.until)}`
        if (page === 2 && !expired.has(key)) {
          expired.add(key)
          return new CursorExpired({ detail: "Cursor not found." })
        }
        return undefined
      }
      const run = pass({ fault, pageSize: 200 })
      const summary = Either.getOrThrow(yield* run.result)
      expect(summary.cursorRestarts).toBeGreaterThan(0)
      const counts = incidentCounts(run.sink.bundles)
      for (const id of expectedIncidents(run.dataset.documentIds({ since: run.dataset.startDate }))) {
        expect(counts.has(id)).toBe(true)
      }
    }))

  it.effect("fails the pass on an error that survived the retries, and closes the work in error", () =>
    Effect.gen(function*() {
      const fault: PageFault = () => new Unavailable({ attempts: 6, detail: "HTTP 503" })
      const run = pass({ fault })
      const failure = Either.getLeft(yield* run.result).pipe(Option.getOrThrow)
      expect(failure.reason).toContain("SpyCloud is unavailable after 6 attempts")
      expect(run.state.history).toEqual([])
      expect(run.works.calls.at(-1)).toMatchObject({ op: "finish", inError: true })
    }))

  it.effect("counts records that cannot be decoded, and imports the others", () =>
    Effect.gen(function*() {
      const run = pass({ dataset: { invalidEvery: 50 } })
      const summary = Either.getOrThrow(yield* run.result)
      // Counted as served: a malformed record on a window boundary day is met twice.
      const served = run.client.queries.map(filterOfQuery)
      const malformed = served.reduce((total, filter) => total + run.dataset.malformedCount(filter), 0)
      const wellFormed = served.reduce((total, filter) => total + run.dataset.documentIds(filter).length, 0)
      expect(malformed).toBeGreaterThan(0)
      expect(summary.skippedRecords["invalid-record"]).toBe(malformed)
      expect(summary.records).toBe(wellFormed)
    }))

  it.effect("refuses a checkpoint that is not a date instead of starting over", () =>
    Effect.gen(function*() {
      const run = pass({ state: { last_import_date: "last tuesday" } })
      const failure = Either.getLeft(yield* run.result).pipe(Option.getOrThrow)
      expect(failure.reason).toContain("state key \"last_import_date\"")
      expect(run.client.queries).toEqual([])
    }))

  it.effect("stops without overwriting a state that was reset on the platform during the pass", () =>
    Effect.gen(function*() {
      let run: ReturnType<typeof pass> | undefined = undefined
      const fault: PageFault = () => {
        if (run !== undefined && run.state.history.length === 2) run.state.reset()
        return undefined
      }
      run = pass({ fault, env: { SPYCLOUD_WINDOW_MAX_RECORDS: "400" } })
      const failure = Either.getLeft(yield* run.result).pipe(Option.getOrThrow)
      expect(failure.reason).toContain("reset on the platform")
      expect(run.state.current()).toEqual(Option.none())
    }))

  describe("modified records", () => {
    it.effect("a fresh import needs no modification sync: it records today as the watermark", () =>
      Effect.gen(function*() {
        const run = pass()
        Either.getOrThrow(yield* run.result)
        expect(run.client.queries.filter((q) => q.dateField === "modification")).toEqual([])
        expect(Option.getOrThrow(run.state.current()).last_modification_date).toBe("2026-11-28T00:00:00+00:00")
      }))

    it.effect("re-imports records modified since the watermark, at most once a day", () =>
      Effect.gen(function*() {
        const run = pass({
          dataset: { modifiedEvery: 5 },
          state: {
            last_import_date: "2026-11-28T00:00:00+00:00",
            last_modification_date: "2026-11-25T00:00:00+00:00"
          }
        })
        Either.getOrThrow(yield* run.result)
        const modification = run.client.queries.filter((q) => q.dateField === "modification")
        expect(modification[0]!.since).toBe("2026-11-25")
        expect(modification.at(-1)!.since).toBe(TODAY)
        const counts = incidentCounts(run.sink.bundles)
        for (
          const id of expectedIncidents(
            run.dataset.documentIds({ sinceModification: "2026-11-25", untilModification: "2026-11-28T11:45:00Z" })
          )
        ) expect(counts.has(id)).toBe(true)
        expect(Option.getOrThrow(run.state.current()).last_modification_date).toBe("2026-11-28T00:00:00+00:00")

        const again = pass({ state: Option.getOrThrow(run.state.current()) })
        Either.getOrThrow(yield* again.result)
        expect(again.client.queries.filter((q) => q.dateField === "modification")).toEqual([])
      }))
  })
})
