/** The outcome of mapping one breach record: its STIX objects, or why it has none. */
import { Data } from "effect"
import type { SkipReason } from "./FieldText.js"
import type { StixObject } from "./StixObject.js"

/** An observable that was not created. Never carries the value: it may be a secret or PII. */
export interface SkippedObservable {
  /** The record field, with the list index for list items (`ip_addresses[2]`). */
  readonly field: string
  /** The STIX type it would have become (`email-addr`, `ipv4-addr/ipv6-addr`, ...). */
  readonly observable: string
  readonly reason: SkipReason
}

export type RecordMapping = Data.TaggedEnum<{
  Mapped: {
    readonly documentId: string
    readonly incidentId: string
    /**
     * The incident, then its observables, then one `related-to` relationship per observable; ids are
     * unique. The author and the marking are not included: every bundle carries them.
     */
    readonly objects: ReadonlyArray<StixObject>
    readonly observableCount: number
    readonly skipped: ReadonlyArray<SkippedObservable>
    /** Facts worth a log line (unknown severity, unusable dates); never a field value. */
    readonly notes: ReadonlyArray<string>
  }
  /** The record yields no incident at all; it is to be logged with its document id and counted. */
  Unmappable: {
    readonly documentId: string | undefined
    readonly reason: string
  }
}>

export const RecordMapping = Data.taggedEnum<RecordMapping>()
