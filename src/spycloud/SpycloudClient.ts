/**
 * The SpyCloud Enterprise API as the engine sees it: a stream of pages for a query, batched catalog
 * lookups, and a cheap probe for `check`. The live implementation is `SpycloudClientLive.ts`.
 */
import { Context, type Effect, type Option, type Stream } from "effect"
import type { WatchlistType } from "../config/Settings.js"
import type { BreachCatalog, BreachRecord, SourceId } from "./BreachRecord.js"
import type { SpycloudError } from "./SpycloudError.js"

export interface BreachQuery {
  /** Which date the range applies to: `spycloud_publish_date` or `record_modification_date`. */
  readonly dateField: "publish" | "modification"
  /** Start of the range: `YYYY-MM-DD` or an ISO date-time. */
  readonly since: string
  /** End of the range, same formats; none means open-ended. */
  readonly until: Option.Option<string>
  /** Sent as one comma-joined `severity` parameter; empty means every severity. */
  readonly severity: ReadonlyArray<number>
  readonly watchlistType: Option.Option<WatchlistType>
}

/** A record that could not be decoded. It is skipped, logged with its document id and counted. */
export interface SkippedRecord {
  readonly documentId: Option.Option<string>
  readonly reason: string
}

export interface BreachPage {
  /** `hits` as SpyCloud reports it: the total number of records matching the query. */
  readonly hits: number
  /** 1 for the first page of the query. */
  readonly number: number
  readonly records: ReadonlyArray<BreachRecord>
  readonly skipped: ReadonlyArray<SkippedRecord>
}

export interface SpycloudClientShape {
  /**
   * The pages of one query, following the cursor until it is empty. The next page is requested while
   * the current one is consumed. Fails (never ends early) on any error that survives the retries.
   */
  readonly breachRecords: (query: BreachQuery) => Stream.Stream<BreachPage, SpycloudError>
  /**
   * Catalog entries for these source ids, in one request, served from a bounded cache when known. Ids
   * SpyCloud does not know are absent from the map (the caller treats them as "Unknown").
   */
  readonly catalogs: (
    ids: ReadonlyArray<SourceId>
  ) => Effect.Effect<ReadonlyMap<string, BreachCatalog>, SpycloudError>
  /**
   * One cheap authenticated request, for `check`: the watchlist for today's publish date only (one page,
   * cursor not followed, at most one retry). It exercises what the import needs (key, IP allow-list,
   * entitlement to the watchlist endpoint); fails with the typed error, whose message says what to do.
   */
  readonly probe: Effect.Effect<void, SpycloudError>
}

export class SpycloudClient extends Context.Tag("connector/SpycloudClient")<SpycloudClient, SpycloudClientShape>() {}

/** Catalog map key for a source id (ids may be integers or strings). */
export const catalogKey = (id: SourceId): string => String(id)
