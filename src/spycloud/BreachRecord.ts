/**
 * Schemas of what SpyCloud returns (docs/spycloud-api.md, "Pagination and cursors", "The breach catalog" and
 * "Breach record fields"). Records and catalogs are open: unknown fields are kept as they are, and only what the
 * connector cannot work without is required.
 */
import { Either, ParseResult, Schema } from "effect"
import { parseIsoInstant } from "../lib/IsoInstant.js"
import { memoizeLast } from "../lib/MemoizeLast.js"
import { parseErrorText } from "../lib/ParseErrorText.js"

// Every record carries a publish date, and a page's records mostly share one.
const isIsoInstant = memoizeLast((text) => parseIsoInstant(text) !== undefined)

/** An ISO-8601 date or date-time as text, checked to be a real instant and kept verbatim. */
export const IsoInstantText = Schema.String.pipe(
  Schema.filter((text) => isIsoInstant(text) || "expected an ISO-8601 date or date-time")
)

/** SpyCloud's breach (source) id: an integer, or (for newer catalogs) a UUID string. */
export const SourceId = Schema.Union(Schema.Int, Schema.NonEmptyTrimmedString)
export type SourceId = typeof SourceId.Type

/** A severity code. Documented ones are 2, 5, 20, 25, 26 and 30, but any integer is accepted. */
export const Severity = Schema.Union(
  Schema.Int,
  Schema.transformOrFail(Schema.String, Schema.Int, {
    strict: true,
    decode: (text, _, ast) =>
      /^\s*\d+\s*$/.test(text)
        ? ParseResult.succeed(Number(text))
        : ParseResult.fail(new ParseResult.Type(ast, text, "expected an integer severity")),
    encode: (value) => ParseResult.succeed(String(value))
  })
)

/**
 * One breach record. Decode it with `decodeBreachRecord`, which keeps every other field (email, password,
 * ip_addresses, ...) untouched for the mapper, which checks each field's type itself: a malformed optional
 * field loses that field, not the record.
 */
export const BreachRecord = Schema.Struct({
  document_id: Schema.NonEmptyTrimmedString,
  source_id: SourceId,
  spycloud_publish_date: IsoInstantText,
  severity: Schema.optional(Severity)
})

/** A decoded record: the required fields typed, every other field as SpyCloud sent it. */
export type BreachRecord = typeof BreachRecord.Type & { readonly [field: string]: unknown }

const decodeRecordFields = Schema.decodeUnknownEither(BreachRecord, { errors: "first" })

/** Whether decoding changed none of the known fields (it only converts a severity sent as text). */
const decodedAsSent = (input: Readonly<Record<string, unknown>>, fields: typeof BreachRecord.Type) =>
  input.document_id === fields.document_id && input.source_id === fields.source_id &&
  input.spycloud_publish_date === fields.spycloud_publish_date && input.severity === fields.severity

/**
 * Decodes one record: the required fields are checked, every other field is kept as sent. Cheap enough
 * for a thousand records a page: the schema checks only the known fields (excess properties ignored).
 * A record whose fields decode to themselves (nearly all) is returned as it is; otherwise it is the input
 * spread under the decoded fields, which is several times faster than `onExcessProperty: "preserve"`.
 */
export const decodeBreachRecord = (input: unknown): Either.Either<BreachRecord, ParseResult.ParseError> =>
  Either.map(
    decodeRecordFields(input),
    (fields) =>
      decodedAsSent(input as Record<string, unknown>, fields)
        ? input as BreachRecord
        : { ...(input as object), ...fields }
  )

/** One breach catalog entry (the metadata of a breach); open, unknown enum values accepted. */
export const BreachCatalog = Schema.Struct({
  id: SourceId,
  uuid: Schema.optional(Schema.String),
  title: Schema.optional(Schema.NullOr(Schema.String)),
  description: Schema.optional(Schema.NullOr(Schema.String)),
  type: Schema.optional(Schema.NullOr(Schema.String)),
  breach_main_category: Schema.optional(Schema.NullOr(Schema.String)),
  breach_category: Schema.optional(Schema.NullOr(Schema.String)),
  confidence: Schema.optional(Schema.NullOr(Schema.Number)),
  spycloud_publish_date: Schema.optional(Schema.NullOr(Schema.String)),
  acquisition_date: Schema.optional(Schema.NullOr(Schema.String))
})
export type BreachCatalog = typeof BreachCatalog.Type & { readonly [field: string]: unknown }

const decodeCatalogFields = Schema.decodeUnknownEither(BreachCatalog, { errors: "first" })

/** Decodes one catalog entry the same way: known fields checked, the others kept as sent. */
export const decodeBreachCatalog = (input: unknown): Either.Either<BreachCatalog, ParseResult.ParseError> =>
  Either.map(decodeCatalogFields(input), (fields) => ({ ...(input as object), ...fields }))

/**
 * Why a record or catalog did not decode, in one short line naming the field (`document_id: is missing`);
 * never the whole schema, and never a value beyond a short preview of its first level: effect's own
 * formatters print the value in full and recursively, which overflows the stack on deeply nested input.
 */
export const decodeFailureReason = (input: unknown, error: ParseResult.ParseError): string => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return `not a JSON object (got ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input})`
  }
  return parseErrorText(error, { showValues: true })
}

/**
 * The envelope of every list response: `{cursor, hits, results}`. `results` items are decoded one by one
 * afterwards, so that one bad record does not fail its page.
 */
export const PageEnvelope = Schema.Struct({
  cursor: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  hits: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  results: Schema.Array(Schema.Unknown)
})
export type PageEnvelope = typeof PageEnvelope.Type
