/**
 * What the engine imported, as Effect metrics (docs/opencti-protocol.md, "Logging and metrics"), exported by the
 * Prometheus endpoint beside pycti's counters and the SpyCloud client's.
 */
import { Effect, Metric } from "effect"
import { MAX_VALUE_LENGTH } from "../stix/FieldText.js"

export const recordsImported = Metric.counter("spycloud_records_imported_total", {
  description: "SpyCloud breach records mapped to STIX and handed to the sink",
  incremental: true
})

export const incidents = Metric.counter("spycloud_incidents_total", {
  description: "Incidents produced (one per breach record)",
  incremental: true
})

export const observables = Metric.counter("spycloud_observables_total", {
  description: "Observables produced",
  incremental: true
})

const skipped = Metric.counter("spycloud_records_skipped_total", {
  description: "Breach records skipped, by reason (invalid-record: cannot be decoded; unmappable)",
  incremental: true
})

export const valuesOversize = Metric.counter("spycloud_values_oversize_total", {
  description: `Record values left out of the observables for being longer than ${MAX_VALUE_LENGTH} characters`,
  incremental: true
})

export const windowSplits = Metric.counter("spycloud_window_splits_total", {
  description: "Import windows split because they held too many records or kept timing out",
  incremental: true
})

export const recordSkipped = (reason: string, count: number): Effect.Effect<void> =>
  count === 0 ? Effect.void : Metric.incrementBy(Metric.tagged(skipped, "reason", reason), count)
