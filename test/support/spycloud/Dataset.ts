/**
 * The records a SpyCloud stand-in serves: a deterministic, lazy dataset. Record `i` is computed from the
 * options alone, nothing is materialised, so a million records cost no memory. Record 0 is the newest
 * and publish dates decrease with the index, which is the order the stand-in serves them in (newest
 * first, like the real API's observed order).
 *
 * The helpers (`count`, `documentIds`, `matching`, `recordAt`) apply the same filter semantics as the
 * server, so tests can compute what a query must return without going through any client.
 */
import { Option } from "effect"
import { parseIsoInstant } from "../../../src/lib/IsoInstant.js"
import type { BreachQuery } from "../../../src/spycloud/SpycloudClient.js"
import { buildCatalog, buildRecord } from "./GeneratedRecord.js"
import { intAt, unitAt, weightedPicker } from "./SeededRandom.js"

export type WatchlistType = "email" | "domain" | "subdomain" | "ip"

/** The ways a malformed record is broken, in the order they take turns. */
export const MALFORMED_KINDS = [
  "missing-document-id",
  "bad-publish-date",
  "not-an-object",
  "missing-source-id",
  "bad-severity"
] as const
export type MalformedKind = typeof MALFORMED_KINDS[number]

export interface DatasetOptions {
  /** How many records the watchlist holds. */
  readonly records: number
  /** Publish dates are spread evenly over this many days, ending at `endDate`; default 30. */
  readonly days?: number
  /** The newest publish date, `YYYY-MM-DD`; default today (UTC). */
  readonly endDate?: string
  /** Different seeds give different (but each reproducible) data; default 1. */
  readonly seed?: number
  /** Relative weight of each severity; default 2: 10, 5: 15, 20: 35, 25: 30, 26: 5, 30: 5. */
  readonly severities?: Readonly<Record<number, number>>
  /** Relative weight of each watchlist type a record matches; default email 60, domain 20, subdomain 10, ip 10. */
  readonly watchlistTypes?: Readonly<Partial<Record<WatchlistType, number>>>
  /** Distinct breach sources (source ids); default 40. */
  readonly sources?: number
  /** Every n-th source is unknown to the catalog endpoint; default 10; 0 for none. */
  readonly unknownSourceEvery?: number
  /** Every n-th record (index n-1, 2n-1, ...) is malformed, the kinds taking turns; default none. */
  readonly invalidEvery?: number
  /** Every n-th record (index 0, n, 2n, ...) has a `record_modification_date`; default none. */
  readonly modifiedEvery?: number
}

/**
 * Which records a query selects, with the API's parameter semantics: `since`/`until` on the publish date
 * and `sinceModification`/`untilModification` on the modification date, each a date (`YYYY-MM-DD`, whole
 * day, bounds inclusive) or a date-time; `severity` any of; `watchlistType` exactly.
 */
export interface RecordFilter {
  readonly since?: string
  readonly until?: string
  readonly sinceModification?: string
  readonly untilModification?: string
  readonly severity?: ReadonlyArray<number>
  readonly watchlistType?: WatchlistType
}

/** The filter of a client query, for computing what it must return. */
export const filterOfQuery = (query: BreachQuery): RecordFilter => {
  const until = Option.getOrUndefined(query.until)
  const dates = query.dateField === "publish"
    ? { since: query.since, ...(until === undefined ? {} : { until }) }
    : { sinceModification: query.since, ...(until === undefined ? {} : { untilModification: until }) }
  return {
    ...dates,
    ...(query.severity.length > 0 ? { severity: query.severity } : {}),
    ...(Option.isSome(query.watchlistType) ? { watchlistType: query.watchlistType.value } : {})
  }
}

/** What the dataset knows about record `index`, whether or not the served record is well formed. */
export interface RecordInfo {
  readonly index: number
  readonly documentId: string
  /** Midnight UTC, `YYYY-MM-DDT00:00:00Z`. */
  readonly publishDate: string
  readonly severity: number
  readonly watchlistType: WatchlistType
  readonly sourceId: number
  readonly modificationDate: string | undefined
  /** How the served record is broken; undefined for a well-formed one. */
  readonly malformed: MalformedKind | undefined
}

/** A filter with its dates resolved to instants (milliseconds), or the name of the invalid parameter. */
export interface ResolvedFilter {
  readonly publishFrom: number
  readonly publishTo: number
  readonly modifiedFrom: number | undefined
  readonly modifiedTo: number | undefined
  readonly severity: ReadonlySet<number> | undefined
  readonly watchlistType: WatchlistType | undefined
}

export interface Dataset {
  readonly options: Required<Omit<DatasetOptions, "invalidEvery" | "modifiedEvery">> & {
    readonly invalidEvery: number | undefined
    readonly modifiedEvery: number | undefined
  }
  readonly size: number
  /** The newest publish date, `YYYY-MM-DD`. */
  readonly endDate: string
  /** The oldest publish date, `YYYY-MM-DD`. */
  readonly startDate: string
  readonly info: (index: number) => RecordInfo
  /** The record as the API serves it (possibly malformed: not even an object). */
  readonly recordAt: (index: number) => unknown
  /** Records a filter selects, in served order (newest first), starting at index `from`. */
  readonly matching: (filter: RecordFilter | ResolvedFilter, from?: number) => IterableIterator<RecordInfo>
  /** How many records a filter selects: the `hits` of its query. */
  readonly count: (filter: RecordFilter | ResolvedFilter) => number
  /** Document ids of the well-formed records a filter selects, in served order. */
  readonly documentIds: (filter: RecordFilter) => Array<string>
  /** Selected records that are malformed (a client skips these). */
  readonly malformedCount: (filter: RecordFilter) => number
  /** Every source id records refer to. */
  readonly sourceIds: ReadonlyArray<number>
  /** The catalog entry of a source, or undefined when the catalog does not know it. */
  readonly catalog: (sourceId: number | string) => Record<string, unknown> | undefined
}

const DAY = 86_400_000

const DEFAULT_SEVERITIES: Readonly<Record<number, number>> = { 2: 10, 5: 15, 20: 35, 25: 30, 26: 5, 30: 5 }
const DEFAULT_TYPES: Readonly<Record<WatchlistType, number>> = { email: 60, domain: 20, subdomain: 10, ip: 10 }

const SALT = { severity: 1, type: 2, source: 3, modifiedDay: 4, modifiedTime: 5, documentId: 6 } as const

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

/**
 * A bound of a date range as an instant. A bare date covers its whole day: `since` is its midnight,
 * `until` the last millisecond of that day. Undefined when the text is not a date or date-time.
 */
export const resolveBound = (text: string, side: "since" | "until"): number | undefined => {
  const instant = parseIsoInstant(text)
  if (instant === undefined) return undefined
  return side === "until" && DATE_ONLY.test(text.trim()) ? instant.getTime() + DAY - 1 : instant.getTime()
}

/** Resolves a filter; fails with the API name of the first invalid parameter. */
export const resolveFilter = (filter: RecordFilter): ResolvedFilter | { readonly invalid: string } => {
  const bound = (text: string | undefined, side: "since" | "until", fallback: number | undefined) =>
    text === undefined ? fallback : resolveBound(text, side)
  const publishFrom = bound(filter.since, "since", -Infinity)
  if (publishFrom === undefined) return { invalid: "since" }
  const publishTo = bound(filter.until, "until", Infinity)
  if (publishTo === undefined) return { invalid: "until" }
  const modifiedFrom = bound(filter.sinceModification, "since", undefined)
  if (filter.sinceModification !== undefined && modifiedFrom === undefined) {
    return { invalid: "since_modification_date" }
  }
  const modifiedTo = bound(filter.untilModification, "until", undefined)
  if (filter.untilModification !== undefined && modifiedTo === undefined) return { invalid: "until_modification_date" }
  return {
    publishFrom,
    publishTo,
    modifiedFrom,
    modifiedTo,
    severity: filter.severity === undefined || filter.severity.length === 0 ? undefined : new Set(filter.severity),
    watchlistType: filter.watchlistType
  }
}

const isResolved = (filter: RecordFilter | ResolvedFilter): filter is ResolvedFilter => "publishFrom" in filter

const resolveOrThrow = (filter: RecordFilter | ResolvedFilter): ResolvedFilter => {
  if (isResolved(filter)) return filter
  const resolved = resolveFilter(filter)
  if ("invalid" in resolved) throw new Error(`invalid filter parameter ${resolved.invalid}`)
  return resolved
}

const isoDate = (millis: number) => new Date(millis).toISOString().slice(0, 10)
const isoSeconds = (millis: number) => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

const todayUtc = () => isoDate(Date.now())

/** Creates a dataset; nothing is generated until asked for. */
export const createDataset = (options: DatasetOptions): Dataset => {
  const records = options.records
  if (!Number.isInteger(records) || records < 0) throw new RangeError("records must be a non-negative integer")
  const days = options.days ?? 30
  if (!Number.isInteger(days) || days < 1) throw new RangeError("days must be a positive integer")
  const endDate = options.endDate ?? todayUtc()
  const endMillis = Date.parse(`${endDate}T00:00:00Z`)
  if (!DATE_ONLY.test(endDate) || Number.isNaN(endMillis)) throw new RangeError("endDate must be YYYY-MM-DD")
  const seed = options.seed ?? 1
  const sources = options.sources ?? 40
  const unknownSourceEvery = options.unknownSourceEvery ?? 10
  const severityWeights = Object.entries(options.severities ?? DEFAULT_SEVERITIES)
    .map(([severity, weight]) => [Number(severity), weight] as const)
  const typeWeights = Object.entries({ ...(options.watchlistTypes ?? DEFAULT_TYPES) })
    .map(([type, weight]) => [type as WatchlistType, weight ?? 0] as const)
  const invalidEvery = options.invalidEvery !== undefined && options.invalidEvery > 0 ? options.invalidEvery : undefined
  const modifiedEvery = options.modifiedEvery !== undefined && options.modifiedEvery > 0
    ? options.modifiedEvery
    : undefined

  const sourceIds = Array.from({ length: sources }, (_, k) => 50_000 + k * 7 + (seed % 7))
  const unknownSources = new Set(
    unknownSourceEvery > 0 ? sourceIds.filter((_, k) => k % unknownSourceEvery === unknownSourceEvery - 1) : []
  )

  /** Days between record `index`'s publish date and `endDate`. */
  const dayOffset = (index: number) => Math.floor((index * days) / Math.max(records, 1))
  const publishMillis = (index: number) => endMillis - dayOffset(index) * DAY

  const pickSeverity = weightedPicker(severityWeights)
  const pickType = weightedPicker(typeWeights)
  const severityOf = (index: number) => pickSeverity(unitAt(seed, index, SALT.severity))
  const typeOf = (index: number) => pickType(unitAt(seed, index, SALT.type))
  // Publish dates repeat for runs of records: format each day once.
  const publishDates = new Map<number, string>()
  const publishDateText = (index: number) => {
    const offset = dayOffset(index)
    let text = publishDates.get(offset)
    if (text === undefined) publishDates.set(offset, text = isoSeconds(endMillis - offset * DAY))
    return text
  }
  const malformedOf = (index: number): MalformedKind | undefined =>
    invalidEvery !== undefined && index % invalidEvery === invalidEvery - 1
      ? MALFORMED_KINDS[Math.floor(index / invalidEvery) % MALFORMED_KINDS.length]
      : undefined
  const isModified = (index: number) => modifiedEvery !== undefined && index % modifiedEvery === 0
  const modificationMillis = (index: number): number | undefined => {
    if (!isModified(index)) return undefined
    const offset = dayOffset(index)
    const laterDays = intAt(seed, index, SALT.modifiedDay, offset + 1)
    return publishMillis(index) + laterDays * DAY + intAt(seed, index, SALT.modifiedTime, 86_400) * 1000
  }
  const documentId = (index: number) => {
    const head = intAt(seed, index, SALT.documentId, 0x1_0000_0000).toString(16).padStart(8, "0")
    const seedPart = (seed >>> 0).toString(16).padStart(8, "0").slice(-3)
    // The last group is the index itself, so ids are unique by construction.
    return `${head}-${seedPart}a-4${seedPart}-8${seedPart}-${index.toString(16).padStart(12, "0")}`
  }

  const info = (index: number): RecordInfo => {
    const modified = modificationMillis(index)
    return {
      index,
      documentId: documentId(index),
      publishDate: publishDateText(index),
      severity: severityOf(index),
      watchlistType: typeOf(index),
      sourceId: sourceIds[intAt(seed, index, SALT.source, sources)]!,
      modificationDate: modified === undefined ? undefined : isoSeconds(modified),
      malformed: malformedOf(index)
    }
  }

  /** The first index whose publish date is at or before `millis` (records are newest first). */
  const firstAtOrBefore = (millis: number) => {
    let low = 0
    let high = records
    while (low < high) {
      const middle = (low + high) >>> 1
      if (publishMillis(middle) <= millis) high = middle
      else low = middle + 1
    }
    return low
  }

  function* matching(filter: RecordFilter | ResolvedFilter, from = 0): IterableIterator<RecordInfo> {
    const resolved = resolveOrThrow(filter)
    const start = Math.max(from, firstAtOrBefore(resolved.publishTo))
    const end = firstAtOrBefore(resolved.publishFrom - 1)
    const byModification = resolved.modifiedFrom !== undefined || resolved.modifiedTo !== undefined
    if (byModification && modifiedEvery === undefined) return
    // With a modification filter only every modifiedEvery-th record can match: step over the others.
    const step = byModification ? modifiedEvery! : 1
    const first = byModification ? Math.ceil(start / step) * step : start
    for (let index = first; index < end; index += step) {
      if (resolved.severity !== undefined && !resolved.severity.has(severityOf(index))) continue
      if (resolved.watchlistType !== undefined && typeOf(index) !== resolved.watchlistType) continue
      if (byModification) {
        const modified = modificationMillis(index)!
        if (resolved.modifiedFrom !== undefined && modified < resolved.modifiedFrom) continue
        if (resolved.modifiedTo !== undefined && modified > resolved.modifiedTo) continue
      }
      yield info(index)
    }
  }

  const count = (filter: RecordFilter | ResolvedFilter) => {
    const resolved = resolveOrThrow(filter)
    const simple = resolved.severity === undefined && resolved.watchlistType === undefined &&
      resolved.modifiedFrom === undefined && resolved.modifiedTo === undefined
    if (simple) {
      return Math.max(0, firstAtOrBefore(resolved.publishFrom - 1) - firstAtOrBefore(resolved.publishTo))
    }
    let total = 0
    for (const _ of matching(resolved)) total++
    return total
  }

  const catalog = (sourceId: number | string) => {
    const id = Number(sourceId)
    const position = sourceIds.indexOf(id)
    if (position < 0 || unknownSources.has(id)) return undefined
    return buildCatalog(id, position, seed, endDate)
  }

  return {
    options: {
      records,
      days,
      endDate,
      seed,
      severities: Object.fromEntries(severityWeights),
      watchlistTypes: Object.fromEntries(typeWeights),
      sources,
      unknownSourceEvery,
      invalidEvery,
      modifiedEvery
    },
    size: records,
    endDate,
    startDate: isoDate(publishMillis(Math.max(records - 1, 0))),
    info,
    recordAt: (index) => buildRecord(info(index), seed),
    matching,
    count,
    documentIds: (filter) => {
      const ids: Array<string> = []
      for (const record of matching(filter)) if (record.malformed === undefined) ids.push(record.documentId)
      return ids
    },
    malformedCount: (filter) => {
      let total = 0
      for (const record of matching(filter)) if (record.malformed !== undefined) total++
      return total
    },
    sourceIds,
    catalog
  }
}
