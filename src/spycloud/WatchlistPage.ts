/**
 * The request parameters of one watchlist query (docs/spycloud-api.md, "The watchlist endpoint") and the decoding
 * of one page of its answer into records and skipped records.
 */
import { Either, Option, Schema } from "effect"
import { type BreachRecord, decodeBreachRecord, decodeFailureReason, PageEnvelope } from "./BreachRecord.js"
import type { BreachPage, BreachQuery, SkippedRecord } from "./SpycloudClient.js"

/**
 * The query string of a watchlist request. Every filter is sent again with the cursor (that works whether or not
 * SpyCloud keeps the query in the cursor), and `severity` is one comma-joined parameter, as documented (the
 * official connector sent repeated keys: docs/spycloud-api.md, "Defects of the official connector that we fix").
 */
export const watchlistParams = (
  query: BreachQuery,
  cursor: Option.Option<string>
): ReadonlyArray<readonly [string, string]> => {
  const params: Array<readonly [string, string]> = []
  const [sinceName, untilName] = query.dateField === "publish"
    ? ["since", "until"]
    : ["since_modification_date", "until_modification_date"]
  params.push([sinceName, query.since])
  if (Option.isSome(query.until)) params.push([untilName, query.until.value])
  if (query.severity.length > 0) params.push(["severity", query.severity.join(",")])
  if (Option.isSome(query.watchlistType)) params.push(["watchlist_type", query.watchlistType.value])
  if (Option.isSome(cursor)) params.push(["cursor", cursor.value])
  return params
}

/** A decoded page, with the cursor of the next one (none at the end). */
export interface DecodedPage extends BreachPage {
  readonly cursor: Option.Option<string>
}

const decodeEnvelope = Schema.decodeUnknownEither(PageEnvelope, { errors: "first" })

/** The `{cursor, hits, results}` envelope, or why the body is not one. */
export const decodeWatchlistEnvelope = (json: unknown): Either.Either<PageEnvelope, string> =>
  Either.mapLeft(
    decodeEnvelope(json),
    (error) => `not a {cursor, hits, results} page: ${decodeFailureReason(json, error)}`
  )

const readableDocumentId = (input: unknown): Option.Option<string> => {
  if (typeof input !== "object" || input === null) return Option.none()
  const id = (input as { document_id?: unknown }).document_id
  return typeof id === "string" && id.trim() !== "" ? Option.some(id) : Option.none()
}

/**
 * Decodes a page. A record that does not decode is skipped with its document id (when readable) and the
 * reason; it never fails the page. Only a body that is not an envelope does (and is retried).
 */
export const decodeWatchlistPage = (json: unknown, number: number): Either.Either<DecodedPage, string> =>
  Either.map(decodeWatchlistEnvelope(json), (envelope) => {
    const records: Array<BreachRecord> = []
    const skipped: Array<SkippedRecord> = []
    for (const input of envelope.results) {
      const decoded = decodeBreachRecord(input)
      if (Either.isRight(decoded)) records.push(decoded.right)
      else skipped.push({ documentId: readableDocumentId(input), reason: decodeFailureReason(input, decoded.left) })
    }
    const cursor = envelope.cursor === null || envelope.cursor.trim() === ""
      ? Option.none<string>()
      : Option.some(envelope.cursor)
    return { hits: envelope.hits, number, records, skipped, cursor }
  })
