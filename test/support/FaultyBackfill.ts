/**
 * Backfills from 1970 against a SpyCloud stand-in that fails the way a real gateway does: 504 for heavy
 * queries, mixed with other 5xx, throttling, resets, truncated bodies and lost cursors. Used by the fault
 * suite (test/faults/FaultyBackfill.test.ts) and by `scripts/fault-runs.ts`, which prints request counts and
 * wall times against a fault-free run.
 */
import { runBinary } from "./Binary.js"
import { expectedIncidents, missing, occurrences, offlineEnv, readBundles, tempDirectory } from "./OfflineOutput.js"
import type { DatasetOptions } from "./spycloud/Dataset.js"
import type { FaultKind, Faults } from "./spycloud/Faults.js"
import { type SpycloudStandIn, startSpycloudStandIn } from "./spycloud/SpycloudStandIn.js"

export interface BackfillScenario {
  readonly name: string
  readonly dataset: DatasetOptions
  /** The faults, for a seed. */
  readonly faults: (seed: number) => Faults
}

/**
 * Issue 13's mix: 504 for first pages matching more than 2,000 records, and on any request 5 % other 5xx,
 * 5 % throttling, 3 % resets, 2 % truncated bodies, 3 % lost cursors (a "lost cursor" only applies to a
 * request that carries one; others are served).
 */
export const GATEWAY_MIX: ReadonlyArray<readonly [FaultKind, number]> = [
  ["500", 0.02],
  ["502", 0.015],
  ["503", 0.015],
  ["throttle", 0.05],
  ["reset", 0.03],
  ["truncated", 0.02],
  ["cursor-expired", 0.03]
]

/** `kinds` drawn uniformly, so each kind appears in proportion to its share (in half-percent steps). */
const weightedKinds = (mix: ReadonlyArray<readonly [FaultKind, number]>): ReadonlyArray<FaultKind> =>
  mix.flatMap(([kind, share]) => Array.from({ length: Math.round(share * 200) }, () => kind))

const mixRate = (mix: ReadonlyArray<readonly [FaultKind, number]>) => mix.reduce((total, [, share]) => total + share, 0)

export const gatewayFaults = (seed: number, timeoutAboveHits: number): Faults => ({
  timeoutAboveHits,
  rate: mixRate(GATEWAY_MIX),
  kinds: weightedKinds(GATEWAY_MIX),
  retryAfterSeconds: 1,
  seed
})

/** Issue 13: 15,000 records over 75 days, 504 above 2,000 matches plus the mix. */
export const mixedFaults = (seed: number): BackfillScenario => ({
  name: "issue 13: 15,000 records / 75 days, 504 > 2,000 hits + 5xx, 429, resets, truncated, lost cursors",
  dataset: { records: 15_000, days: 75, seed },
  faults: (faultSeed) => gatewayFaults(faultSeed, 2_000)
})

/** Severities with undocumented codes (15, 27, 40) among the documented ones. */
export const WITH_UNKNOWN_SEVERITIES = { 2: 10, 5: 15, 20: 30, 25: 25, 26: 5, 30: 5, 15: 4, 27: 3, 40: 3 }

/** Issue 17: 20,000 records on days too heavy to read whole (504 above 2,500 matches), unknown codes included. */
export const heavyDaysWithUnknownSeverities = (seed: number): BackfillScenario => ({
  name: "issue 17: 20,000 records / 6 days, 504 > 2,500 hits, severities 15, 27, 40 among the documented",
  dataset: { records: 20_000, days: 6, seed, severities: WITH_UNKNOWN_SEVERITIES },
  faults: () => ({ timeoutAboveHits: 2_500 })
})

export interface BackfillResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly expected: number
  /** Expected incident ids that never arrived. */
  readonly missing: ReadonlyArray<string>
  readonly watchlistRequests: number
  readonly catalogRequests: number
  readonly faultsInjected: number
  readonly status504: number
  readonly wallSeconds: number
}

/** One `once` of the built binary from 1970, offline, against the scenario (faulty or not). */
export const runBackfill = async (
  scenario: BackfillScenario,
  options: { readonly faultSeed?: number; readonly faultFree?: boolean; readonly env?: Record<string, string> } = {}
): Promise<BackfillResult> => {
  const standIn: SpycloudStandIn = await startSpycloudStandIn({
    dataset: scenario.dataset,
    faults: options.faultFree === true ? {} : scenario.faults(options.faultSeed ?? 1)
  })
  try {
    const directory = tempDirectory("faulty-backfill")
    const started = Date.now()
    const result = await runBinary(["once"], {
      env: offlineEnv(standIn, directory, { SPYCLOUD_IMPORT_START_DATE: "1970-01-01T00:00:00Z", ...options.env })
    })
    const wallSeconds = (Date.now() - started) / 1000
    const expected = expectedIncidents(standIn)
    const requests = standIn.requests()
    return {
      code: result.code,
      stdout: result.stdout,
      stderr: result.stderr,
      expected: expected.length,
      missing: missing(expected, occurrences(readBundles(directory), "incident")),
      watchlistRequests: requests.filter((request) => request.endpoint === "watchlist").length,
      catalogRequests: requests.filter((request) => request.endpoint === "catalog").length,
      faultsInjected: requests.filter((request) => request.fault !== undefined).length,
      status504: requests.filter((request) => request.status === 504).length,
      wallSeconds
    }
  } finally {
    await standIn.stop()
  }
}
