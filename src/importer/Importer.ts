/**
 * The import engine (docs/decisions.md, from "Day windows" to "Modified records once a day"): one pass reads
 * SpyCloud in ascending day windows from the checkpoint to now − 15 min, per watchlist type, converts each page to
 * bundles, hands them to the sink, and advances the checkpoint only once a whole window was accepted. Then the
 * same for modified records, once a day.
 */
import { Clock, Context, DateTime, Duration, Effect, Layer, Metric, Option, Schedule, Stream } from "effect"
import { ConnectorConfig, type Settings } from "../config/ConnectorConfig.js"
import { SEVERITY_LEVELS, type WatchlistType } from "../config/Settings.js"
import type { BreachRecord } from "../spycloud/BreachRecord.js"
import { type BreachPage, SpycloudClient } from "../spycloud/SpycloudClient.js"
import type { SpycloudError } from "../spycloud/SpycloudError.js"
import { totalRetries } from "../spycloud/SpycloudMetrics.js"
import { type BundlePacker, makeBundlePacker } from "../stix/BundleAssembler.js"
import { makeMappingContext, type MappingContext } from "../stix/MappingContext.js"
import * as Metrics from "../telemetry/Metrics.js"
import { BundleSink } from "./BundleSink.js"
import { checkpointKey, type DateField, readCheckpoint, withCheckpoint } from "./Checkpoints.js"
import { ConnectorState, type StateData } from "./ConnectorState.js"
import { type Day, dayOf, dayText, instantText } from "./Days.js"
import * as ImportMetrics from "./ImportMetrics.js"
import { convertPage, sourceIdsOf } from "./PageConversion.js"
import { PassFailed } from "./PassFailed.js"
import { PassStats, type PassSummary, summaryLine } from "./PassStats.js"
import { describeWindow, toQuery, type WindowSpec } from "./Window.js"
import { WorkTracker } from "./WorkTracker.js"

/** Records become queryable some time after their publish date; windows end this far behind now. */
export const INGESTION_LAG = Duration.minutes(15)
/** An expired cursor restarts its window; after this many restarts in a row the window is split instead. */
const MAX_CURSOR_RESTARTS = 3
const PROGRESS_INTERVAL = Duration.seconds(5)

export interface ImporterShape {
  /** One pass over every watchlist type. Fails with a one-line reason; the state keeps what was completed. */
  readonly runPass: Effect.Effect<PassSummary, PassFailed>
}

export class Importer extends Context.Tag("connector/Importer")<Importer, ImporterShape>() {}

/** How a window ended, when it did not fail the pass. */
type WindowOutcome =
  | { readonly _tag: "Done"; readonly hits: number }
  | { readonly _tag: "TooLarge"; readonly hits: number }
  | { readonly _tag: "TimedOut" }
  | { readonly _tag: "CursorExpired" }

/** What the windows of one pass share: its OpenCTI work, its counters, the notes already logged. */
interface Pass {
  readonly workId: Option.Option<string>
  readonly stats: PassStats
  readonly seenNotes: Set<string>
}

class TooManyHits {
  readonly _tag = "TooManyHits"
  constructor(readonly hits: number) {}
}

export const make = Effect.gen(function*() {
  const settings: Settings = yield* ConnectorConfig
  const client = yield* SpycloudClient
  const sink = yield* BundleSink
  const state = yield* ConnectorState
  const works = yield* WorkTracker
  const mapping: MappingContext = makeMappingContext({
    connectorName: settings.connector.name,
    tlp: settings.spycloud.tlpLevel,
    includeSensitiveData: settings.spycloud.includeSensitiveData
  })
  const maxHits = settings.spycloud.windowMaxRecords
  const maxObjects = settings.connector.bundleMaxObjects

  const failWith = (context: string) => (error: { readonly message: string }) =>
    new PassFailed({ reason: `${context}: ${error.message}`, cause: error })

  /** The catalogs of a page. Lookups that fail for a transient reason leave those sources "Unknown". */
  const catalogsFor = (records: ReadonlyArray<BreachRecord>, stats: PassStats) =>
    client.catalogs(sourceIdsOf(records)).pipe(
      Effect.catchTags({
        Unavailable: (error) => degradeCatalogs(error, stats),
        Timeout: (error) => degradeCatalogs(error, stats),
        BadResponse: (error) => degradeCatalogs(error, stats)
      })
    )
  const degradeCatalogs = (error: SpycloudError, stats: PassStats) =>
    Effect.as(
      Effect.logWarning("Breach catalog lookup failed; these records get source \"Unknown\"", {
        reason: error.message
      }).pipe(Effect.tap(() => stats.catalogFailures++)),
      new Map()
    )

  const processPage = (page: BreachPage, packer: BundlePacker, { seenNotes, stats }: Pass) =>
    Effect.gen(function*() {
      yield* ImportMetrics.recordSkipped("invalid-record", page.skipped.length)
      for (const skipped of page.skipped) {
        stats.skipRecord("invalid-record")
        yield* Effect.logWarning("Skipped a breach record that cannot be decoded", {
          document_id: Option.getOrElse(skipped.documentId, () => "(unreadable)"),
          reason: skipped.reason
        })
      }
      if (page.records.length === 0) return []
      const catalogs = yield* catalogsFor(page.records, stats)
      const before = { records: stats.records, observables: stats.observables }
      const converted = convertPage(page.records, catalogs, mapping, packer, stats)
      yield* Metric.incrementBy(ImportMetrics.recordsImported, stats.records - before.records)
      yield* Metric.incrementBy(ImportMetrics.incidents, stats.records - before.records)
      yield* Metric.incrementBy(ImportMetrics.observables, stats.observables - before.observables)
      yield* ImportMetrics.recordSkipped("unmappable", converted.unmappable.length)
      for (const skipped of converted.unmappable) {
        yield* Effect.logWarning("Skipped a breach record that cannot be mapped to STIX", {
          document_id: Option.getOrElse(skipped.documentId, () => "(unreadable)"),
          reason: skipped.reason
        })
      }
      for (const note of converted.notes) {
        if (!seenNotes.has(note)) {
          seenNotes.add(note)
          yield* Effect.logWarning(note)
        }
      }
      return converted.bundles
    })

  /** Imports one window: pages → bundles → sink. Only errors that end the pass fail the effect. */
  const importWindow = (spec: WindowSpec, pass: Pass) =>
    Effect.suspend(() => {
      const { stats, workId } = pass
      let hits = 0
      stats.currentWindow = describeWindow(spec)
      const packer = makeBundlePacker(mapping, maxObjects)
      return client.breachRecords(toQuery(spec)).pipe(
        Stream.mapError((error): SpycloudError | TooManyHits => error),
        Stream.tap((page) => {
          if (page.number !== 1) return Effect.void
          hits = page.hits
          return spec.splittable && page.hits > maxHits ? Effect.fail(new TooManyHits(page.hits)) : Effect.void
        }),
        Stream.mapEffect((page) => processPage(page, packer, pass)),
        Stream.flattenIterables,
        // The window's last, partly filled bundle: sent before the window counts as done.
        Stream.concat(Stream.suspend(() => Stream.fromIterable(Option.toArray(Option.fromNullable(packer.flush()))))),
        // The next bundle is built while the previous one is being sent; one waiting is enough (memory).
        Stream.buffer({ capacity: 1 }),
        Stream.mapEffect((bundle) =>
          sink.send(bundle, workId).pipe(
            Effect.tap(() => {
              stats.bundles++
              // pycti's records_sent_total: the STIX objects a connector sent.
              return Metric.incrementBy(Metrics.recordsSent, bundle.objects.length)
            }),
            Effect.mapError(failWith(`window ${describeWindow(spec)}`))
          )
        ),
        Stream.runDrain,
        Effect.as<WindowOutcome>({ _tag: "Done", hits }),
        Effect.catchAll((error): Effect.Effect<WindowOutcome, PassFailed> => {
          if (error instanceof TooManyHits) return Effect.succeed({ _tag: "TooLarge", hits: error.hits })
          if (error instanceof PassFailed) return Effect.fail(error)
          switch (error._tag) {
            case "Timeout":
              return Effect.succeed({ _tag: "TimedOut" })
            case "CursorExpired":
              return Effect.succeed({ _tag: "CursorExpired" })
            default:
              return Effect.zipRight(
                Metric.increment(Metrics.clientErrors),
                Effect.fail(failWith(`window ${describeWindow(spec)}`)(error))
              )
          }
        })
      )
    })

  /** Runs a window until it completes, restarting it when its cursor expires. */
  const importWindowWithRestarts = (spec: WindowSpec, pass: Pass) =>
    Effect.gen(function*() {
      for (let restarts = 0;; restarts++) {
        const outcome = yield* importWindow(spec, pass)
        if (outcome._tag !== "CursorExpired" || restarts >= MAX_CURSOR_RESTARTS) return outcome
        pass.stats.cursorRestarts++
        yield* Effect.logInfo("SpyCloud cursor expired; restarting the window", { window: describeWindow(spec) })
      }
    })

  /** A single day that keeps timing out (or losing its cursor): one query per severity. */
  const importDayBySeverity = (spec: WindowSpec, pass: Pass) =>
    Effect.gen(function*() {
      const severities = spec.severity.length > 0 ? spec.severity : SEVERITY_LEVELS
      if (severities.length < 2) {
        return yield* new PassFailed({
          reason: `SpyCloud keeps timing out on window ${describeWindow(spec)}, which cannot be split further`
        })
      }
      pass.stats.splits++
      yield* Metric.increment(ImportMetrics.windowSplits)
      yield* Effect.logWarning("A single day keeps timing out; querying it one severity at a time", {
        window: describeWindow(spec)
      })
      for (const severity of severities) {
        const part = { ...spec, severity: [severity], splittable: false }
        const outcome = yield* importWindowWithRestarts(part, pass)
        if (outcome._tag !== "Done") {
          return yield* new PassFailed({
            reason: `SpyCloud keeps ${outcome._tag === "TimedOut" ? "timing out" : "losing the cursor"} on window ${
              describeWindow(part)
            }, the smallest query possible; the pass stops before it`
          })
        }
      }
    })

  const runPass = Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const retriesBefore = yield* totalRetries
    const stats = new PassStats(startedAt)
    const newestMillis = startedAt - Duration.toMillis(INGESTION_LAG)
    const lastDay = dayOf(newestMillis)
    const workId = yield* works.start(`${settings.connector.name} run @ ${instantText(startedAt)}`).pipe(
      Effect.mapError(failWith("cannot open the OpenCTI work"))
    )
    const pass: Pass = { workId, stats, seenNotes: new Set() }

    let current: StateData = Option.getOrElse(
      yield* state.get.pipe(Effect.mapError(failWith("cannot read the connector state"))),
      () => ({})
    )
    /** Saves a checkpoint, unless the state was reset on the platform meanwhile (then the pass stops). */
    const checkpoint = (key: string, day: Day) =>
      Effect.gen(function*() {
        const stored = yield* state.get.pipe(Effect.mapError(failWith("cannot read the connector state")))
        if (Option.isNone(stored) && Object.keys(current).length > 0) {
          return yield* new PassFailed({
            reason: "the connector state was reset on the platform during the pass; the next pass starts from " +
              "SPYCLOUD_IMPORT_START_DATE"
          })
        }
        current = withCheckpoint(current, key, day)
        yield* state.set(current).pipe(Effect.mapError(failWith("cannot save the connector state")))
      }).pipe(Effect.uninterruptible)

    const importRange = (field: DateField, watchlistType: Option.Option<WatchlistType>, from: Day) =>
      Effect.gen(function*() {
        const key = checkpointKey(field, watchlistType)
        const base = { field, watchlistType, severity: settings.spycloud.severityLevels }
        let cursor = from
        let size = Math.max(1, lastDay - from)
        while (cursor < lastDay) {
          const last = Math.min(cursor + size - 1, lastDay - 1)
          const spec: WindowSpec = { ...base, first: cursor, last, until: Option.none(), splittable: last > cursor }
          const outcome = yield* importWindowWithRestarts(spec, pass)
          if (outcome._tag === "Done") {
            stats.windows++
            cursor = last + 1
            yield* checkpoint(key, cursor)
            if (outcome.hits * 2 <= maxHits) size *= 2
            continue
          }
          if (last > cursor) {
            stats.splits++
            yield* Metric.increment(ImportMetrics.windowSplits)
            // At least halved; with too many hits, sized to what the hits suggest (uniform days), so that a
            // backfill from 1970 reaches a fitting window in a few probes instead of one per halving.
            const days = last - cursor + 1
            size = outcome._tag === "TooLarge"
              ? Math.max(1, Math.min(Math.ceil(days / 2), Math.floor((days * maxHits) / outcome.hits)))
              : Math.ceil(days / 2)
            yield* Effect.logInfo(
              outcome._tag === "TooLarge"
                ? "Window holds too many records; splitting it"
                : `Window ${
                  outcome._tag === "TimedOut" ? "keeps timing out" : "keeps losing its cursor"
                }; splitting it`,
              { window: describeWindow(spec), hits: outcome._tag === "TooLarge" ? outcome.hits : undefined }
            )
            continue
          }
          yield* importDayBySeverity(spec, pass)
          stats.windows++
          cursor = last + 1
          yield* checkpoint(key, cursor)
        }
        // The newest day is its own window, read up to now − lag, and stays the checkpoint: records published
        // today may still appear, so the next pass reads this day again (duplicates are harmless upserts).
        const newest: WindowSpec = {
          ...base,
          first: lastDay,
          last: lastDay,
          until: Option.some(newestMillis),
          splittable: false
        }
        const outcome = yield* importWindowWithRestarts(newest, pass)
        if (outcome._tag !== "Done") yield* importDayBySeverity(newest, pass)
        stats.windows++
        yield* checkpoint(key, lastDay)
      })

    const stateDay = (key: string) =>
      Effect.mapError(readCheckpoint(current, key), (reason) => new PassFailed({ reason }))

    const importType = (watchlistType: Option.Option<WatchlistType>) =>
      Effect.gen(function*() {
        const publishKey = checkpointKey("publish", watchlistType)
        const published = yield* stateDay(publishKey)
        const startDay = dayOf(DateTime.toEpochMillis(settings.spycloud.importStartDate))
        const from = Option.getOrElse(published, () => startDay)
        if (from > lastDay) {
          yield* Effect.logWarning("The start date is in the future; nothing to import yet", {
            state_key: publishKey,
            from: dayText(from)
          })
        } else {
          yield* Effect.logInfo("Importing published records", {
            watchlist_type: Option.getOrElse(watchlistType, () => "all"),
            from: dayText(from),
            to: dayText(lastDay)
          })
          yield* importRange("publish", watchlistType, from)
        }
        if (!settings.spycloud.syncModifiedRecords) return
        // Modified records: at most once per calendar day (the newest day is read again the next day).
        // Without a watermark, a fresh import needs none (it read every record as it is now); a state
        // continued from the official connector catches up from its publish checkpoint.
        const modificationKey = checkpointKey("modification", watchlistType)
        const modified = yield* stateDay(modificationKey)
        const modifiedFrom = Option.getOrElse(modified, () => Option.getOrElse(published, () => lastDay))
        if (Option.isNone(modified) && modifiedFrom >= lastDay) return yield* checkpoint(modificationKey, lastDay)
        if (modifiedFrom >= lastDay) return
        yield* Effect.logInfo("Importing modified records", {
          watchlist_type: Option.getOrElse(watchlistType, () => "all"),
          from: dayText(modifiedFrom),
          to: dayText(lastDay)
        })
        yield* importRange("modification", watchlistType, modifiedFrom)
      })

    const types = settings.spycloud.watchlistTypes.length > 0
      ? settings.spycloud.watchlistTypes.map((type) => Option.some(type))
      : [Option.none<WatchlistType>()]

    const progress = Clock.currentTimeMillis.pipe(
      Effect.flatMap((now) =>
        Effect.logInfo("Import in progress", {
          window: stats.currentWindow,
          records: stats.records,
          records_per_second: Math.round(stats.records / Math.max(1, (now - startedAt) / 1000))
        })
      ),
      Effect.schedule(Schedule.spaced(PROGRESS_INTERVAL))
    )

    // Progress is logged every few seconds while the pass runs, and stops with it.
    const importAll = Effect.scoped(
      Effect.zipRight(Effect.forkScoped(progress), Effect.forEach(types, importType, { discard: true }))
    )

    const finishedAt = (summary: (now: number, retries: number) => PassSummary) =>
      Effect.zipWith(Clock.currentTimeMillis, totalRetries, (now, retries) => summary(now, retries - retriesBefore))
    return yield* importAll.pipe(
      Effect.zipRight(finishedAt((now, retries) => stats.summary(now, retries))),
      Effect.tap((summary) =>
        Effect.zipRight(
          Effect.logInfo(`Pass finished: ${summaryLine(summary)}`),
          works.finish(workId, `${settings.connector.name} pass finished: ${summaryLine(summary)}`, false)
        )
      ),
      Effect.tapError((error) =>
        finishedAt((now, retries) => stats.summary(now, retries)).pipe(
          Effect.flatMap((summary) =>
            works.finish(workId, `Pass failed: ${error.reason} (before failing: ${summaryLine(summary)})`, true)
          )
        )
      ),
      Effect.onInterrupt(() =>
        works.finish(
          workId,
          "Pass interrupted (connector stopping); the state keeps the last completed window",
          true
        )
      )
    )
  })

  return Importer.of({ runPass })
})

export const layer = Layer.effect(Importer, make)
