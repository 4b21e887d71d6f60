/**
 * The import engine: one pass reads SpyCloud in ascending windows from the checkpoint to now − 15 min, per
 * watchlist type, then the same for modified records, once a day. Which window comes next is the planner's
 * decision (`WindowPlanner.ts`); reading one is `WindowReader.ts`'s; this module runs the loop: read the
 * window, tell the planner, save the checkpoint it gives, and summarise the pass.
 */
import { Clock, Context, DateTime, Duration, Effect, Layer, Metric, Option, Ref, Schedule } from "effect"
import { ConnectorConfig, type Settings } from "../config/ConnectorConfig.js"
import type { WatchlistType } from "../config/Settings.js"
import { totalRetries } from "../spycloud/SpycloudMetrics.js"
import { checkpointKey, type DateField, readCheckpoint, withCheckpoint } from "./Checkpoints.js"
import { ConnectorState, type StateData } from "./ConnectorState.js"
import { type Day, dayOf, dayText, instantText } from "./Days.js"
import * as ImportMetrics from "./ImportMetrics.js"
import { PassFailed } from "./PassFailed.js"
import { PassStats, type PassSummary, summaryLine } from "./PassStats.js"
import { describeWindow, type WindowSpec } from "./Window.js"
import * as WindowPlanner from "./WindowPlanner.js"
import * as WindowReader from "./WindowReader.js"
import { WorkTracker } from "./WorkTracker.js"

/** Records become queryable some time after their publish date; windows end this far behind now. */
export const INGESTION_LAG = Duration.minutes(15)
const PROGRESS_INTERVAL = Duration.seconds(5)

const failWith = WindowReader.failWith

/** One date field of one watchlist type, with its checkpoint key. */
interface Range {
  readonly field: DateField
  readonly watchlistType: Option.Option<WatchlistType>
  readonly key: string
}

const splitReason = (why: WindowPlanner.WindowOutcome["_tag"]) => {
  switch (why) {
    case "TooManyHits":
      return "Window holds too many records"
    case "TooHeavy":
      return "Window is too heavy for SpyCloud (HTTP 504)"
    case "CursorLost":
      return "Window keeps losing its cursor"
    default:
      return "Window keeps failing"
  }
}

export interface ImporterShape {
  /** One pass over every watchlist type. Fails with a one-line reason; the state keeps what was completed. */
  readonly runPass: Effect.Effect<PassSummary, PassFailed>
}

export class Importer extends Context.Tag("connector/Importer")<Importer, ImporterShape>() {}

export const make = Effect.gen(function*() {
  const settings: Settings = yield* ConnectorConfig
  const state = yield* ConnectorState
  const works = yield* WorkTracker
  const reader = yield* WindowReader.make

  const runPass = Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const retriesBefore = yield* totalRetries
    const stats = new PassStats(startedAt)
    const newestMillis = startedAt - Duration.toMillis(INGESTION_LAG)
    const lastDay = dayOf(newestMillis)
    const workId = yield* works.start(`${settings.connector.name} run @ ${instantText(startedAt)}`).pipe(
      Effect.mapError(failWith("cannot open the OpenCTI work"))
    )
    const pass: WindowReader.Pass = { workId, stats, seenNotes: new Set() }

    const current = yield* Ref.make<StateData>(Option.getOrElse(
      yield* state.get.pipe(Effect.mapError(failWith("cannot read the connector state"))),
      () => ({})
    ))
    /** Saves a checkpoint, unless the state was reset on the platform meanwhile (then the pass stops). */
    const checkpoint = (key: string, day: Day) =>
      Effect.gen(function*() {
        const stored = yield* state.get.pipe(Effect.mapError(failWith("cannot read the connector state")))
        const known = yield* Ref.get(current)
        if (Option.isNone(stored) && Object.keys(known).length > 0) {
          return yield* new PassFailed({
            reason: "the connector state was reset on the platform during the pass; the next pass starts from " +
              "SPYCLOUD_IMPORT_START_DATE"
          })
        }
        const next = withCheckpoint(known, key, day)
        yield* state.set(next).pipe(Effect.mapError(failWith("cannot save the connector state")))
        yield* Ref.set(current, next)
      }).pipe(Effect.uninterruptible)

    /** Logs and counts what the planner changed after a window. */
    const noted = (note: WindowPlanner.PlanNote | undefined, spec: WindowSpec) =>
      Effect.gen(function*() {
        if (note === undefined) return
        const window = describeWindow(spec)
        switch (note._tag) {
          case "Resized":
          case "SeveritySplit":
          case "PartSplit":
            stats.splits++
            yield* Metric.increment(ImportMetrics.windowSplits)
            break
          case "Retry":
            if (note.why === "CursorLost") stats.cursorRestarts++
            break
        }
        switch (note._tag) {
          case "Resized":
            return yield* Effect.logInfo(`${splitReason(note.why)}; splitting it`, { window, next_days: note.size })
          case "SeveritySplit":
            return yield* Effect.logWarning(
              `A single day ${splitReason(note.why).toLowerCase()}; querying it one severity at a time, then every ` +
                "other severity code",
              { window }
            )
          case "PartSplit":
            return yield* Effect.logWarning("The query for several severity codes fails too; splitting it", {
              window
            })
          case "Retry":
            return yield* Effect.logInfo(
              note.why === "CursorLost"
                ? "SpyCloud cursor expired; restarting the window"
                : "Window failed; reading it again",
              { window, attempt: note.attempt }
            )
        }
      })

    /** One window the planner asked for: read it, tell the planner, save the checkpoint it gives. */
    const step = Effect.fn("Importer.step")(function*(range: Range, plan: WindowPlanner.Plan) {
      const decision = WindowPlanner.decide(plan)
      if (decision._tag !== "Read") return plan
      const spec = specOf(range, decision.window)
      const outcome = yield* reader.read(spec, pass)
      const next = WindowPlanner.advance(plan, decision.window, outcome)
      if (outcome._tag === "Delivered") stats.windows++
      yield* noted(next.note, spec)
      if (next.checkpoint !== undefined) yield* checkpoint(range.key, next.checkpoint)
      const ended = WindowPlanner.decide(next.plan)
      if (ended._tag === "Failed") {
        return yield* new PassFailed({ reason: `window ${describeWindow(spec)}: ${ended.reason}` })
      }
      return next.plan
    })

    const specOf = (range: Range, window: WindowPlanner.PlannedWindow): WindowSpec => ({
      field: range.field,
      watchlistType: range.watchlistType,
      first: window.first,
      last: window.last,
      // The newest day is read up to now − lag, and stays the checkpoint: records published today may still
      // appear, so the next pass reads this day again (duplicates are harmless upserts).
      until: window.newest ? Option.some(newestMillis) : Option.none(),
      severity: window.severity,
      splittable: window.splittable
    })

    const importRange = Effect.fn("Importer.importRange")(
      function*(field: DateField, watchlistType: Option.Option<WatchlistType>, from: Day) {
        const range: Range = { field, watchlistType, key: checkpointKey(field, watchlistType) }
        const plan = WindowPlanner.start({
          from,
          lastDay,
          maxHits: settings.spycloud.windowMaxRecords,
          severity: settings.spycloud.severityLevels
        })
        yield* Effect.iterate(plan, {
          while: (current) => WindowPlanner.decide(current)._tag === "Read",
          body: (current) => step(range, current)
        })
      }
    )

    const stateDay = (key: string) =>
      Effect.flatMap(
        Ref.get(current),
        (known) => Effect.mapError(readCheckpoint(known, key), (reason) => new PassFailed({ reason }))
      )

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
