/**
 * Runs the SpyCloud stand-in on its own (for the demo, the benchmark, or trying the connector by hand):
 *
 *   node --import tsx scripts/spycloud-standin.ts --records 100000 --days 30 --port 8787
 *
 * Prints one JSON line on stdout, {"baseUrl", "apiKey", "port", "records", "startDate", "endDate"}, then
 * serves until SIGTERM or SIGINT. `--help` lists the options.
 */
import { parseArgs } from "node:util"
import {
  type FaultKind,
  type Faults,
  type StandInOptions,
  startSpycloudStandIn
} from "../test/support/spycloud/SpycloudStandIn.js"

const FAULT_KINDS: ReadonlyArray<FaultKind> = [
  "504",
  "500",
  "502",
  "503",
  "throttle",
  "throttle-date",
  "quota",
  "reset",
  "truncated",
  "cursor-expired",
  "hang"
]

const USAGE = `Usage: node --import tsx scripts/spycloud-standin.ts [options]

  --port N                  port to listen on (default: any free port)
  --host HOST               address to listen on (default 127.0.0.1)
  --api-key KEY             key clients must send (default: random)
  --records N               records in the watchlist (default 10000)
  --days N                  days the publish dates spread over (default 30)
  --end-date YYYY-MM-DD     newest publish date (default: today, UTC)
  --seed N                  dataset seed (default 1)
  --page-size N             records per page (default 1000)
  --invalid-every N         every N-th record is malformed
  --modified-every N        every N-th record has a record_modification_date
  --cursor-ttl-ms N         cursors expire after N ms
  --cursor-max-uses N       cursors expire after N uses
  --fault-rate R            probability (0-1) that a request fails
  --fault-kinds K,K         kinds drawn for --fault-rate: ${FAULT_KINDS.join(", ")} (default 504)
  --fault-sequence K,K      faults for the first requests, in order ("ok" serves one normally)
  --fault-seed N            seed of the fault draws (default 1)
  --max-consecutive-faults N  never more than N failures in a row
  --retry-after N           Retry-After seconds of throttling answers (default 1)
  --timeout-above-hits N    504 for first pages of queries matching more than N records
  --forbidden ip|not-entitled  refuse every request with that 403
`

const { values } = parseArgs({
  options: {
    help: { type: "boolean" },
    port: { type: "string" },
    host: { type: "string" },
    "api-key": { type: "string" },
    records: { type: "string" },
    days: { type: "string" },
    "end-date": { type: "string" },
    seed: { type: "string" },
    "page-size": { type: "string" },
    "invalid-every": { type: "string" },
    "modified-every": { type: "string" },
    "cursor-ttl-ms": { type: "string" },
    "cursor-max-uses": { type: "string" },
    "fault-rate": { type: "string" },
    "fault-kinds": { type: "string" },
    "fault-sequence": { type: "string" },
    "fault-seed": { type: "string" },
    "max-consecutive-faults": { type: "string" },
    "retry-after": { type: "string" },
    "timeout-above-hits": { type: "string" },
    forbidden: { type: "string" }
  },
  strict: true
})

const fail = (message: string): never => {
  process.stderr.write(`${message}\n\n${USAGE}`)
  process.exit(2)
}

if (values.help === true) {
  process.stdout.write(USAGE)
  process.exit(0)
}

const number = (name: keyof typeof values, integer = true): number | undefined => {
  const text = values[name]
  if (text === undefined || typeof text !== "string") return undefined
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    return fail(`--${name} must be a non-negative ${integer ? "integer" : "number"}, not "${text}"`)
  }
  return value
}

const kinds = (name: "fault-kinds" | "fault-sequence", allowOk: boolean) => {
  const text = values[name]
  if (text === undefined) return undefined
  const list = text.split(",").map((kind) => kind.trim()).filter((kind) => kind !== "")
  for (const kind of list) {
    if (!(FAULT_KINDS as ReadonlyArray<string>).includes(kind) && !(allowOk && kind === "ok")) {
      fail(`--${name}: unknown fault "${kind}"`)
    }
  }
  return list as Array<FaultKind>
}

/** The object without its undefined properties (options not given on the command line). */
type Defined<T> =
  & { [K in keyof T as undefined extends T[K] ? never : K]: T[K] }
  & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> }
const defined = <T extends object>(object: T): Defined<T> =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Defined<T>

if (values.forbidden !== undefined && values.forbidden !== "ip" && values.forbidden !== "not-entitled") {
  fail(`--forbidden must be ip or not-entitled`)
}

const faults: Faults = defined({
  rate: number("fault-rate", false),
  kinds: kinds("fault-kinds", false),
  sequence: kinds("fault-sequence", true),
  seed: number("fault-seed"),
  maxConsecutive: number("max-consecutive-faults"),
  retryAfterSeconds: number("retry-after"),
  timeoutAboveHits: number("timeout-above-hits"),
  forbidden: values.forbidden as Faults["forbidden"]
})

const options: StandInOptions = defined({
  dataset: defined({
    records: number("records") ?? 10_000,
    days: number("days"),
    endDate: values["end-date"],
    seed: number("seed"),
    invalidEvery: number("invalid-every"),
    modifiedEvery: number("modified-every")
  }),
  apiKey: values["api-key"],
  port: number("port"),
  host: values.host,
  pageSize: number("page-size"),
  cursorTtlMs: number("cursor-ttl-ms"),
  cursorMaxUses: number("cursor-max-uses"),
  faults
})

const standIn = await startSpycloudStandIn(options).catch((error: Error) =>
  fail(`cannot start the stand-in: ${error.message}`)
)

process.stdout.write(
  JSON.stringify({
    baseUrl: standIn.baseUrl,
    apiKey: standIn.apiKey,
    port: standIn.port,
    records: standIn.dataset.size,
    startDate: standIn.dataset.startDate,
    endDate: standIn.dataset.endDate
  }) + "\n"
)

const shutdown = () => {
  void standIn.stop().then(() => process.exit(0))
}
process.once("SIGTERM", shutdown)
process.once("SIGINT", shutdown)
