/**
 * SpyCloud severity codes (docs/spycloud-api.md, "Severities") as OpenCTI incident severities. 2, 5, 20 and 25 map
 * as in the official connector; 26 (stolen session cookies) and 30 (SpyCloud Access data) are critical. Any other
 * code is accepted, mapped by threshold (≥ 25 critical, ≥ 20 high, ≥ 5 medium, else low) and reported.
 */

export type IncidentSeverity = "low" | "medium" | "high" | "critical"

const DOCUMENTED: ReadonlyMap<number, IncidentSeverity> = new Map([
  [2, "low"],
  [5, "medium"],
  [20, "high"],
  [25, "critical"],
  [26, "critical"],
  [30, "critical"]
])

export interface SeverityMapping {
  /** Undefined when the record has no severity. */
  readonly severity: IncidentSeverity | undefined
  /** Set when the code is not a documented one; worth a log line. */
  readonly note: string | undefined
}

const byThreshold = (code: number): IncidentSeverity =>
  code >= 25 ? "critical" : code >= 20 ? "high" : code >= 5 ? "medium" : "low"

export const incidentSeverity = (code: number | undefined): SeverityMapping => {
  if (code === undefined) return { severity: undefined, note: "record has no severity" }
  const documented = DOCUMENTED.get(code)
  if (documented !== undefined) return { severity: documented, note: undefined }
  const severity = byThreshold(code)
  return { severity, note: `unknown severity ${code} mapped to ${severity}` }
}
