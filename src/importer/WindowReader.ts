/**
 * Reads one import window: its pages from SpyCloud, each converted to bundles (with its catalogs), every
 * bundle handed to the sink. It reports how the window ended as a planner outcome; only errors that must
 * end the pass (the sink, a refused key, the quota, a rejected query) fail the effect.
 */
import { Data, Effect, Metric, Option, Predicate, Ref, Stream } from "effect"
import { ConnectorConfig, type Settings } from "../config/ConnectorConfig.js"
import type { BreachRecord } from "../spycloud/BreachRecord.js"
import { type BreachPage, SpycloudClient } from "../spycloud/SpycloudClient.js"
import type { SpycloudError } from "../spycloud/SpycloudError.js"
import { type BundlePacker, makeBundlePacker } from "../stix/BundleAssembler.js"
import { MAX_VALUE_LENGTH } from "../stix/FieldText.js"
import { makeMappingContext, type MappingContext } from "../stix/MappingContext.js"
import * as Metrics from "../telemetry/Metrics.js"
import { BundleSink } from "./BundleSink.js"
import * as ImportMetrics from "./ImportMetrics.js"
import { type ConvertedStretch, pageConverter, sourceIdsOf } from "./PageConversion.js"
import { PassFailed } from "./PassFailed.js"
import type { PassStats } from "./PassStats.js"
import { describeWindow, toQuery, type WindowSpec } from "./Window.js"
import type { WindowOutcome } from "./WindowPlanner.js"

/** What the windows of one pass share: its OpenCTI work, its counters, the notes already logged. */
export interface Pass {
  readonly workId: Option.Option<string>
  readonly stats: PassStats
  readonly seenNotes: Set<string>
}

export interface WindowReader {
  readonly read: (spec: WindowSpec, pass: Pass) => Effect.Effect<WindowOutcome, PassFailed>
}

/** The pass's counters before a stretch of records was converted, for the metrics' increments. */
interface Counts {
  readonly records: number
  readonly observables: number
}

/** The first page counted more hits than a window may hold: the window is split, not read. */
class TooManyHits extends Data.TaggedError("TooManyHits")<{ readonly hits: number }> {}

export const failWith = (context: string) => (error: { readonly message: string }) =>
  new PassFailed({ reason: `${context}: ${error.message}`, cause: error })

export const make: Effect.Effect<WindowReader, never, ConnectorConfig | SpycloudClient | BundleSink> = Effect.gen(
  function*() {
    const settings: Settings = yield* ConnectorConfig
    const client = yield* SpycloudClient
    const sink = yield* BundleSink
    const mapping: MappingContext = makeMappingContext({
      connectorName: settings.connector.name,
      tlp: settings.spycloud.tlpLevel,
      includeSensitiveData: settings.spycloud.includeSensitiveData
    })
    const maxHits = settings.spycloud.windowMaxRecords
    const maxObjects = settings.connector.bundleMaxObjects

    const degradeCatalogs = (error: SpycloudError, stats: PassStats) =>
      Effect.as(
        Effect.logWarning("Breach catalog lookup failed; these records get source \"Unknown\"", {
          reason: error.message
        }).pipe(Effect.tap(() => stats.catalogFailures++)),
        new Map()
      )

    /** The catalogs of a page. Lookups that fail for a transient reason leave those sources "Unknown". */
    const catalogsFor = (records: ReadonlyArray<BreachRecord>, stats: PassStats) =>
      client.catalogs(sourceIdsOf(records)).pipe(
        Effect.catchTags({
          Unavailable: (error) => degradeCatalogs(error, stats),
          Timeout: (error) => degradeCatalogs(error, stats),
          BadResponse: (error) => degradeCatalogs(error, stats),
          ResponseTooLarge: (error) => degradeCatalogs(error, stats)
        })
      )

    /** Logs and counts what one stretch of a page's conversion left out; gives its bundle, if it completed one. */
    const reportStretch = Effect.fn("WindowReader.reportStretch")(
      function*(converted: ConvertedStretch, before: Counts, { seenNotes, stats }: Pass) {
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
        yield* Metric.incrementBy(ImportMetrics.valuesOversize, converted.oversize.length)
        for (const skipped of converted.oversize) {
          yield* Effect.logWarning("Left out a value too long to become an observable", {
            document_id: skipped.documentId,
            field: skipped.field,
            max_length: MAX_VALUE_LENGTH
          })
        }
        for (const note of converted.notes) {
          if (!seenNotes.has(note)) {
            seenNotes.add(note)
            yield* Effect.logWarning(note)
          }
        }
        return converted.bundle
      }
    )

    /** A page's bundles, built one at a time as the sink takes them. */
    const pageBundles = (page: BreachPage, packer: BundlePacker, pass: Pass) =>
      Stream.unwrap(Effect.gen(function*() {
        const { stats } = pass
        yield* ImportMetrics.recordSkipped("invalid-record", page.skipped.length)
        for (const skipped of page.skipped) {
          stats.skipRecord("invalid-record")
          yield* Effect.logWarning("Skipped a breach record that cannot be decoded", {
            document_id: Option.getOrElse(skipped.documentId, () => "(unreadable)"),
            reason: skipped.reason
          })
        }
        if (page.records.length === 0) return Stream.empty
        const catalogs = yield* catalogsFor(page.records, stats)
        const converter = pageConverter(page.records, catalogs, mapping, packer, stats)
        return Stream.repeatEffectOption(Effect.suspend(() => {
          if (converter.finished()) return Effect.fail(Option.none())
          const before = { records: stats.records, observables: stats.observables }
          return reportStretch(converter.next(), before, pass)
        })).pipe(Stream.filterMap((bundle) => bundle))
      }))

    /** A client error as a planner outcome, or the pass's failure when no smaller query can cure it. */
    const outcomeOf = (error: SpycloudError, hits: number | undefined, spec: WindowSpec) => {
      switch (error._tag) {
        case "Timeout":
          return Effect.succeed<WindowOutcome>({ _tag: "TooHeavy", hits, reason: error.message })
        case "Unavailable":
        case "BadResponse":
        case "ResponseTooLarge":
          return Effect.succeed<WindowOutcome>({ _tag: "Failing", hits, reason: error.message })
        case "CursorExpired":
          return Effect.succeed<WindowOutcome>({ _tag: "CursorLost", hits, reason: error.message })
        default:
          return Effect.zipRight(
            Metric.increment(Metrics.clientErrors),
            Effect.fail(failWith(`window ${describeWindow(spec)}`)(error))
          )
      }
    }

    const read = Effect.fn("WindowReader.read")(function*(spec: WindowSpec, pass: Pass) {
      const { stats, workId } = pass
      const hits = yield* Ref.make<number | undefined>(undefined)
      stats.currentWindow = describeWindow(spec)
      const packer = makeBundlePacker(mapping, maxObjects)
      return yield* client.breachRecords(toQuery(spec)).pipe(
        Stream.mapError((error): SpycloudError | TooManyHits => error),
        Stream.tap((page) => {
          if (page.number !== 1) return Effect.void
          return Ref.set(hits, page.hits).pipe(
            Effect.zipRight(
              spec.splittable && page.hits > maxHits ? Effect.fail(new TooManyHits({ hits: page.hits })) : Effect.void
            )
          )
        }),
        Stream.flatMap((page) => pageBundles(page, packer, pass)),
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
        Effect.zipRight(Ref.get(hits)),
        Effect.map((seen): WindowOutcome => ({ _tag: "Delivered", hits: seen ?? 0 })),
        Effect.catchTag(
          "TooManyHits",
          (error) => Effect.succeed<WindowOutcome>({ _tag: "TooManyHits", hits: error.hits })
        ),
        // A PassFailed (the sink) ends the pass as it is; SpyCloud's failures become the window's outcome.
        Effect.catchIf(
          (error): error is SpycloudError => !Predicate.isTagged(error, "PassFailed"),
          (error) => Effect.flatMap(Ref.get(hits), (seen) => outcomeOf(error, seen, spec))
        )
      )
    })

    return { read }
  }
)
