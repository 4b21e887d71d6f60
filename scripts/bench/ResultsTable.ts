/**
 * The benchmark's one table, as Markdown (printed, written to bench-output/results.md and, on request,
 * placed in README.md between `<!-- bench:start -->` and `<!-- bench:end -->`).
 */
import { readFileSync, writeFileSync } from "node:fs"
import { CONNECTOR_NODE_OPTIONS } from "../../src/cli/NodeOptions.js"

export type SinkName = "directory" | "rabbitmq" | "rabbitmq-per-bundle"

export interface BenchRow {
  readonly sink: SinkName
  /** Distinct records the stand-in serves. */
  readonly records: number
  /** Records the connector converted; more than `records` when consecutive windows re-read a shared day. */
  readonly read: number | undefined
  /** STIX objects delivered: incidents, observables and relationships (directory); messages consumed (RabbitMQ). */
  readonly objects: number | undefined
  readonly wallSeconds: number | undefined
  readonly cpuSeconds: number | undefined
  readonly peakRssMb: number | undefined
  /** From the start of the process to the first bundle file / the first queue message. */
  readonly firstBundleSeconds: number | undefined
  /** 1-minute load average before and after the run (other processes share the machine). */
  readonly load: readonly [number, number]
  /** The process printed its summary but did not exit by itself; it was stopped and timed up to the summary. */
  readonly lingered?: boolean
  /** Why the row has no result, when it has none. */
  readonly problem?: string
}

export interface TableContext {
  readonly date: string
  readonly commit: string
  readonly node: string
  readonly cpu: string
  readonly cores: number
  readonly command: string
  readonly method: string
  readonly recordsPerDay: number
  readonly bundleMaxObjects: string
  readonly windowMaxRecords: string
}

const integer = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? "—" : Math.round(value).toLocaleString("en-US")
const seconds = (value: number | undefined) => value === undefined ? "—" : `${value.toFixed(1)} s`
const megabytes = (value: number | undefined) => value === undefined ? "—" : `${Math.round(value)} MB`
const rate = (count: number | undefined, wall: number | undefined) =>
  count === undefined || wall === undefined || wall <= 0 ? "—" : integer(count / wall)

const SINK_LABELS: Record<SinkName, string> = {
  directory: "directory",
  rabbitmq: "RabbitMQ (confirms)",
  "rabbitmq-per-bundle": "RabbitMQ (confirms), per-bundle messages"
}

export const renderTable = (rows: ReadonlyArray<BenchRow>, context: TableContext): string => {
  const lines = [
    "| Sink | Records | Read | Wall | Records/s | Objects/s | Peak RSS | CPU | First bundle | Load (1 min) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  ]
  for (const row of rows) {
    const load = `${row.load[0].toFixed(1)} → ${row.load[1].toFixed(1)}`
    if (row.problem !== undefined) {
      lines.push(
        `| ${SINK_LABELS[row.sink]} | ${integer(row.records)} | — | — | — | — | — | — | — | ${load} |`,
        `| | *${row.problem.replace(/\|/g, "\\|").replace(/\s+/g, " ")}* | | | | | | | | |`
      )
      continue
    }
    lines.push(
      `| ${SINK_LABELS[row.sink]}${row.lingered === true ? " †" : ""} | ${integer(row.records)} | ${
        integer(row.read)
      } | ${seconds(row.wallSeconds)} | ${rate(row.records, row.wallSeconds)} | ${
        rate(row.objects, row.wallSeconds)
      } | ${megabytes(row.peakRssMb)} | ${seconds(row.cpuSeconds)} | ${seconds(row.firstBundleSeconds)} | ${load} |`
    )
  }
  return [
    `\`${context.command}\` on ${context.date} (commit ${context.commit}), Node ${context.node}, ` +
    `${context.cpu} × ${context.cores}, default settings (CONNECTOR_BUNDLE_MAX_OBJECTS ${context.bundleMaxObjects}, ` +
    `SPYCLOUD_WINDOW_MAX_RECORDS ${context.windowMaxRecords}).`,
    "",
    ...lines,
    "",
    `- *Records*: generated breach records (${context.recordsPerDay} published per day) served by the SpyCloud ` +
    `stand-in in its own process; *Records/s* divides them by the wall time of \`node ${
      CONNECTOR_NODE_OPTIONS.join(" ")
    } dist/main.js once\` (as the image runs it), ` +
    "start-up included. *Read*: records the connector converted (its summary), each once.",
    "- *Objects/s*: incidents, observables and relationships written (directory, and RabbitMQ per-bundle, " +
    "from the connector's summary), or queue messages consumed (RabbitMQ: one persistent message per object " +
    "with publisher confirms, pycti's way; per-bundle: CONNECTOR_QUEUE_MESSAGES=per-bundle; drained concurrently " +
    "by a consumer standing in for OpenCTI's workers; the OpenCTI stand-in runs in the benchmark process).",
    `- *Peak RSS* and *CPU* (user + system) are the connector process's own: ${context.method}. ` +
    "*First bundle*: from process start to the first bundle file or queue message.",
    "- Everything (connector, stand-ins, RabbitMQ) shares the machine; *Load* is the 1-minute load average " +
    "before and after each run, including other users' work.",
    ...(rows.some((row) => row.lingered === true)
      ? [
        "- † The process printed its summary but had not exited 10 s later (something kept its event loop " +
        "alive); the benchmark stopped it and timed the run up to the summary."
      ]
      : [])
  ].join("\n")
}

export const README_START = "<!-- bench:start -->"
export const README_END = "<!-- bench:end -->"

/** Replaces the README's benchmark section (adding it, with a heading, at the end when it is absent). */
export const updateReadme = (path: string, markdown: string): void => {
  const readme = readFileSync(path, "utf8")
  const section = `${README_START}\n${markdown}\n${README_END}`
  const start = readme.indexOf(README_START)
  const end = readme.indexOf(README_END)
  const updated = start >= 0 && end > start
    ? readme.slice(0, start) + section + readme.slice(end + README_END.length)
    : `${readme.trimEnd()}\n\n## Benchmark\n\nProduced by \`npm run bench -- --update-readme\` ` +
      "(scripts/bench.ts); numbers depend on the machine and on what else runs on it.\n\n" + section + "\n"
  writeFileSync(path, updated)
}
