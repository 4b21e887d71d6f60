/**
 * Prints what the fault suite's backfills cost: for each scenario, one fault-free `once` from 1970 and one
 * per fault seed, with SpyCloud requests (watchlist and catalog, retries included), faults injected, 504s,
 * records delivered / expected and wall time. Same scenarios as test/faults/FaultyBackfill.test.ts, same
 * quick retry settings (SPYCLOUD_RETRY_INITIAL_DELAY PT0.01S, SPYCLOUD_RETRY_MAX_DELAY PT0.1S).
 *
 *   node --import tsx scripts/fault-runs.ts
 *   node --import tsx scripts/fault-runs.ts --seeds 11,12,13,14,15
 */
import { loadavg } from "node:os"
import { parseArgs } from "node:util"
import {
  type BackfillResult,
  type BackfillScenario,
  heavyDaysWithUnknownSeverities,
  mixedFaults,
  runBackfill
} from "../test/support/FaultyBackfill.js"
import { summaryNumber } from "../test/support/OfflineOutput.js"
import { ensureBuilt } from "./ensure-built.js"

const { values } = parseArgs({ options: { seeds: { type: "string" }, help: { type: "boolean" } } })
if (values.help === true) {
  process.stdout.write("Usage: node --import tsx scripts/fault-runs.ts [--seeds 11,12,13]\n")
  process.exit(0)
}
const seeds = (values.seeds ?? "11,12,13").split(",").map((text) => Number(text.trim()))

const row = (label: string, result: BackfillResult) => {
  const delivered = result.expected - result.missing.length
  const retries = (() => {
    try {
      return String(summaryNumber(result.stdout, "SpyCloud retries"))
    } catch {
      return "-"
    }
  })()
  return `| ${label} | ${result.code} | ${delivered.toLocaleString("en")} / ${
    result.expected.toLocaleString("en")
  } | ${result.watchlistRequests} | ${result.catalogRequests} | ${result.faultsInjected} | ${result.status504} | ${retries} | ${
    result.wallSeconds.toFixed(1)
  } s |`
}

const runScenario = async (scenarioFor: (seed: number) => BackfillScenario, faultSeeds: ReadonlyArray<number>) => {
  const lines: Array<string> = []
  for (const seed of faultSeeds) {
    const scenario = scenarioFor(seed)
    if (lines.length === 0) lines.push(`\n${scenario.name}\n`)
    lines.push(row(`seed ${seed}, fault-free`, await runBackfill(scenario, { faultFree: true })))
    lines.push(row(`seed ${seed}, faults`, await runBackfill(scenario, { faultSeed: seed })))
  }
  return lines
}

ensureBuilt()
const header = [
  "| run | exit | records delivered / expected | watchlist requests | catalog requests | faults | 504s | retries | wall |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
]
const load = loadavg()[0]!.toFixed(1)
const output = [
  `node --import tsx scripts/fault-runs.ts --seeds ${seeds.join(",")} (Node ${process.version}, load ${load})`,
  ...(await runScenario(mixedFaults, seeds)).flatMap((line, index) => index === 1 ? [...header, line] : [line]),
  ...(await runScenario(heavyDaysWithUnknownSeverities, seeds.slice(0, 1))).flatMap((line, index) =>
    index === 1 ? [...header, line] : [line]
  )
]
process.stdout.write(`${output.join("\n")}\n`)
