/**
 * Turns one page of breach records into bundles: the pure STIX mapping of every record, packed into
 * bounded bundles by the window's packer. Records that cannot be mapped are skipped and reported.
 *
 * A page is converted one bundle at a time, so that the sink can write or publish a bundle while the next
 * one is being built: converting a whole page first left the CPU idle while the page's bundles were sent.
 */
import { Option } from "effect"
import type { BreachCatalog, BreachRecord } from "../spycloud/BreachRecord.js"
import { catalogKey } from "../spycloud/SpycloudClient.js"
import { mapBreachRecord } from "../stix/BreachRecordMapper.js"
import type { BundlePacker } from "../stix/BundleAssembler.js"
import type { MappingContext } from "../stix/MappingContext.js"
import type { StixBundle } from "../stix/StixObject.js"
import type { PassStats } from "./PassStats.js"

export interface SkippedRecordReport {
  readonly documentId: Option.Option<string>
  readonly reason: string
}

/** What one step of a page's conversion gave. */
export interface ConvertedStretch {
  /** The bundle this stretch of records completed; none when the page ended first (the packer keeps the rest). */
  readonly bundle: Option.Option<StixBundle>
  /** Records that could not be mapped, to be logged with their document id. */
  readonly unmappable: ReadonlyArray<SkippedRecordReport>
  /** Distinct notes of the mapper (e.g. an unknown severity), to be logged. */
  readonly notes: ReadonlyArray<string>
  /** Values left out for being longer than `MAX_VALUE_LENGTH`, to be logged with their record's document id. */
  readonly oversize: ReadonlyArray<{ readonly documentId: string; readonly field: string }>
}

export interface PageConverter {
  /** True once every record of the page has been converted. */
  readonly finished: () => boolean
  /** Maps records until the packer completes a bundle or the page ends. */
  readonly next: () => ConvertedStretch
}

/** The distinct source ids of a page, for one batched catalog request. */
export const sourceIdsOf = (records: ReadonlyArray<BreachRecord>) => {
  const seen = new Map<string, BreachRecord["source_id"]>()
  for (const record of records) seen.set(catalogKey(record.source_id), record.source_id)
  return [...seen.values()]
}

export const pageConverter = (
  records: ReadonlyArray<BreachRecord>,
  catalogs: ReadonlyMap<string, BreachCatalog>,
  context: MappingContext,
  packer: BundlePacker,
  stats: PassStats
): PageConverter => {
  let position = 0
  const next = (): ConvertedStretch => {
    const unmappable: Array<SkippedRecordReport> = []
    const notes = new Set<string>()
    const oversize: Array<{ documentId: string; field: string }> = []
    let bundle: StixBundle | undefined
    while (bundle === undefined && position < records.length) {
      const record = records[position++]!
      const mapped = mapBreachRecord(record, Option.fromNullable(catalogs.get(catalogKey(record.source_id))), context)
      if (mapped._tag === "Unmappable") {
        stats.skipRecord("unmappable")
        unmappable.push({ documentId: Option.fromNullable(mapped.documentId), reason: mapped.reason })
        continue
      }
      stats.records++
      stats.incidents++
      stats.countSeverity(record.severity)
      stats.observables += mapped.observableCount
      stats.relationships += mapped.objects.length - 1 - mapped.observableCount
      for (const skipped of mapped.skipped) {
        stats.skipValue(skipped.field.replace(/\[\d+\]$/, ""), skipped.reason)
        if (skipped.reason === "oversize") oversize.push({ documentId: record.document_id, field: skipped.field })
      }
      for (const note of mapped.notes) notes.add(note)
      bundle = packer.add(mapped.objects)
    }
    return { bundle: Option.fromNullable(bundle), unmappable, notes: [...notes], oversize }
  }
  return { finished: () => position >= records.length, next }
}
