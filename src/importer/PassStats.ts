/**
 * What one pass did, counted as it goes (a plain mutable accumulator owned by the pass: cheap on the hot
 * path) and summarised at the end for the log, the OpenCTI work and the `once` output.
 */

export interface PassSummary {
  readonly records: number
  readonly incidents: number
  readonly observables: number
  readonly relationships: number
  readonly bundles: number
  readonly skippedRecords: Readonly<Record<string, number>>
  readonly skippedValues: Readonly<Record<string, number>>
  /** Records imported per severity code, undocumented codes included ("none" for records without one). */
  readonly bySeverity: Readonly<Record<string, number>>
  readonly windows: number
  readonly splits: number
  readonly cursorRestarts: number
  readonly catalogFailures: number
  readonly retries: number
  readonly durationSeconds: number
  readonly recordsPerSecond: number
}

const increment = (counts: Map<string, number>, key: string, by = 1) => counts.set(key, (counts.get(key) ?? 0) + by)

export class PassStats {
  records = 0
  incidents = 0
  observables = 0
  relationships = 0
  bundles = 0
  windows = 0
  splits = 0
  cursorRestarts = 0
  catalogFailures = 0
  /** The window being imported, for progress logs. */
  currentWindow = ""
  readonly skippedRecords = new Map<string, number>()
  readonly skippedValues = new Map<string, number>()
  readonly bySeverity = new Map<string, number>()

  constructor(readonly startedAt: number) {}

  skipRecord(reason: string) {
    increment(this.skippedRecords, reason)
  }

  skipValue(field: string, reason: string) {
    increment(this.skippedValues, `${field}: ${reason}`)
  }

  countSeverity(severity: number | undefined) {
    increment(this.bySeverity, severity === undefined ? "none" : String(severity))
  }

  get skippedRecordCount() {
    let total = 0
    for (const count of this.skippedRecords.values()) total += count
    return total
  }

  summary(now: number, retries: number): PassSummary {
    const durationSeconds = Math.max(0, (now - this.startedAt) / 1000)
    return {
      records: this.records,
      incidents: this.incidents,
      observables: this.observables,
      relationships: this.relationships,
      bundles: this.bundles,
      skippedRecords: Object.fromEntries([...this.skippedRecords].sort()),
      skippedValues: Object.fromEntries([...this.skippedValues].sort()),
      bySeverity: Object.fromEntries([...this.bySeverity].sort(bySeverityOrder)),
      windows: this.windows,
      splits: this.splits,
      cursorRestarts: this.cursorRestarts,
      catalogFailures: this.catalogFailures,
      retries,
      durationSeconds: Math.round(durationSeconds * 10) / 10,
      recordsPerSecond: durationSeconds > 0 ? Math.round(this.records / durationSeconds) : this.records
    }
  }
}

/** Numeric codes in ascending order, "none" last. */
const bySeverityOrder = ([a]: [string, number], [b]: [string, number]) =>
  a === "none" ? 1 : b === "none" ? -1 : Number(a) - Number(b)

const total = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0)

const breakdown = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts).map(([reason, count]) => `${reason}: ${count}`).join(", ")

/** One line, for the OpenCTI work and the log. */
export const summaryLine = (summary: PassSummary): string => {
  const skipped = total(summary.skippedRecords)
  return [
    `${summary.records} records`,
    `${summary.incidents} incidents`,
    `${summary.observables} observables`,
    `${skipped} records skipped${skipped > 0 ? ` (${breakdown(summary.skippedRecords)})` : ""}`,
    `records by severity (${Object.keys(summary.bySeverity).length > 0 ? breakdown(summary.bySeverity) : "none"})`,
    `${summary.windows} windows (${summary.splits} splits)`,
    `${summary.retries} retries`,
    `${summary.durationSeconds} s`,
    `${summary.recordsPerSecond} records/s`
  ].join(", ")
}

/** Several lines, for people (the `once` command and the demo). */
export const summaryText = (summary: PassSummary): string => {
  const lines = [
    `  records imported     ${summary.records}`,
    `  incidents            ${summary.incidents}`,
    `  observables          ${summary.observables}`,
    `  relationships        ${summary.relationships}`,
    `  bundles              ${summary.bundles}`,
    `  records skipped      ${total(summary.skippedRecords)}${
      total(summary.skippedRecords) > 0 ? `  (${breakdown(summary.skippedRecords)})` : ""
    }`,
    `  values not imported  ${total(summary.skippedValues)}${
      total(summary.skippedValues) > 0 ? `  (${breakdown(summary.skippedValues)})` : ""
    }`,
    `  by severity          ${Object.keys(summary.bySeverity).length > 0 ? breakdown(summary.bySeverity) : "-"}`,
    `  windows              ${summary.windows}  (${summary.splits} splits, ${summary.cursorRestarts} cursor restarts)`,
    `  SpyCloud retries     ${summary.retries}`,
    `  duration             ${summary.durationSeconds} s  (${summary.recordsPerSecond} records/s)`
  ]
  if (summary.catalogFailures > 0) lines.push(`  catalog lookups failed ${summary.catalogFailures} (source "Unknown")`)
  return lines.join("\n")
}
