/**
 * `npm run bench`: the whole connector, as shipped, on generated data. For each size and sink it starts the
 * SpyCloud stand-in in its own process, runs `node dist/main.js once` against it (offline with the
 * directory sink, or with a local OpenCTI stand-in and the real RabbitMQ, whose push queue a consumer
 * drains meanwhile), and measures wall time, CPU time, peak RSS and the time to the first bundle. Prints
 * one Markdown table and writes it to bench-output/results.md (raw numbers in results.json).
 *
 *   npm run bench
 *   npm run bench -- --sizes 10000,100000 --sinks directory --update-readme
 *
 * `--help` lists the options. The full default run takes about 20-30 minutes on a 2-core machine.
 */
import amqp from "amqplib"
import { execFileSync } from "node:child_process"
import { randomUUID } from "node:crypto"
import { existsSync, mkdirSync, mkdtempSync, rmSync, watch, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { CONNECTOR_NODE_OPTIONS } from "../src/cli/NodeOptions.js"
import * as Settings from "../src/config/Settings.js"
import { LOCAL_AMQP_URL, startOpenCtiStandIn } from "../test/support/opencti/OpenCtiStandIn.js"
import { sharedPath } from "../test/support/SharedPaths.js"
import { killRunning, type Measurement, measurementMethod, runMeasured } from "./bench/MeasuredProcess.js"
import { type PushQueueDrainer, startPushQueueDrainer } from "./bench/PushQueueDrainer.js"
import { type BenchRow, renderTable, type SinkName, updateReadme } from "./bench/ResultsTable.js"
import { type StandInInfo, startStandInProcess } from "./bench/StandInProcess.js"
import { BINARY, ensureBuilt, ROOT } from "./ensure-built.js"

const USAGE = `Usage: npm run bench -- [options]

  --sizes N,N          record counts to run (default 10000,100000,1000000)
  --sinks S,S          directory, rabbitmq (pycti's one message per object) and/or rabbitmq-per-bundle
                       (CONNECTOR_QUEUE_MESSAGES=per-bundle); default all three
  --records-per-day N  records published per day in the generated data (default 500)
  --amqp URL           RabbitMQ for the rabbitmq sink (default $AMQP_URL or ${LOCAL_AMQP_URL})
  --update-readme      also put the table into README.md, between <!-- bench:start --> and <!-- bench:end -->
  --backpressure       instead: through RabbitMQ to a consumer slower than the connector, once with in-pass
                       back-pressure and once without (CONNECTOR_QUEUE_CHECK_INTERVAL=0), at the first of --sizes;
                       prints the deepest push queue seen against CONNECTOR_QUEUE_THRESHOLD
  --drain-rate N       with --backpressure: messages per second the consumer takes (default 500)
  --threshold MB       with --backpressure: CONNECTOR_QUEUE_THRESHOLD (default 2)
  --help               this text
`

const OUTPUT = join(ROOT, "bench-output")
const CONNECTOR_NAME = "SpyCloud"
/** A run that takes longer is killed and reported as failed. */
const RUN_TIMEOUT_MS = 30 * 60_000
/** Waiting for the last queue messages after the connector exited: how long without any progress. */
const DRAIN_STALL_MS = 60_000

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000,1000000" },
    sinks: { type: "string", default: "directory,rabbitmq,rabbitmq-per-bundle" },
    "records-per-day": { type: "string", default: "500" },
    amqp: { type: "string", default: LOCAL_AMQP_URL },
    "update-readme": { type: "boolean", default: false },
    backpressure: { type: "boolean", default: false },
    "drain-rate": { type: "string", default: "500" },
    threshold: { type: "string", default: "2" },
    help: { type: "boolean", default: false }
  },
  strict: true
})

const fail = (message: string): never => {
  process.stderr.write(`${message}\n\n${USAGE}`)
  process.exit(2)
}

if (values.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}

const positive = (text: string, what: string) => {
  const value = Number(text.trim().replace(/_/g, ""))
  return Number.isInteger(value) && value > 0 ? value : fail(`${what} must be a positive integer, not "${text}"`)
}
const sizes = values.sizes.split(",").map((text) => positive(text, "--sizes"))
const sinks = values.sinks.split(",").map((text) => text.trim()).map((sink): SinkName =>
  sink === "directory" || sink === "rabbitmq" || sink === "rabbitmq-per-bundle"
    ? sink
    : fail(`--sinks: unknown sink "${sink}"`)
)
const recordsPerDay = positive(values["records-per-day"], "--records-per-day")
const amqpUrl = new URL(values.amqp)

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)

/** Everything to undo if the benchmark is interrupted: stand-ins, temporary directories. */
const cleanups = new Set<() => Promise<void> | void>()
const withCleanup = async <A>(cleanup: () => Promise<void> | void, body: () => Promise<A>): Promise<A> => {
  cleanups.add(cleanup)
  try {
    return await body()
  } finally {
    cleanups.delete(cleanup)
    await cleanup()
  }
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`)
    killRunning()
    void Promise.allSettled([...cleanups].map((cleanup) => cleanup())).then(() => process.exit(130))
  })
}

const brokerReachable = (url: URL): Promise<boolean> =>
  new Promise<boolean>((done) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 5672) })
    socket.setTimeout(2000)
    const answer = (reachable: boolean) => {
      socket.destroy()
      done(reachable)
    }
    socket.once("connect", () => answer(true))
    socket.once("error", () => answer(false))
    socket.once("timeout", () => answer(false))
  })

/** The connector's own summary (`once` prints it on stdout). */
const summaryNumber = (stdout: string, label: string): number | undefined => {
  const match = new RegExp(`^\\s+${label}\\s+(\\d+)`, "m").exec(stdout)
  return match === null ? undefined : Number(match[1])
}

/** Incidents, observables and relationships of the connector's summary. */
const summaryObjects = (stdout: string): number | undefined =>
  ["incidents", "observables", "relationships"]
    .map((label) => summaryNumber(stdout, label))
    .reduce<number | undefined>((sum, count) => sum === undefined || count === undefined ? undefined : sum + count, 0)

/** `once` prints this when its pass is over; the process should exit right after. */
const PASS_FINISHED = /^SpyCloud import pass finished$/m
const passFinished = (stdout: string) => PASS_FINISHED.test(stdout)

/** Why a run failed, in one line: the connector's last error line, or how it ended. */
const failureOf = (measurement: Measurement): string | undefined => {
  if (measurement.timedOut) return `killed after ${RUN_TIMEOUT_MS / 60_000} minutes`
  if (measurement.code === 0 || (measurement.lingered && passFinished(measurement.stdout))) return undefined
  const lines = `${measurement.stderr}\n${measurement.stdout}`.trim().split("\n").filter((line) => line.trim() !== "")
  const last = lines.at(-1) ?? ""
  let reason = last
  try {
    reason = String((JSON.parse(last) as { message?: unknown }).message ?? last)
  } catch {
    // Not a JSON log line: keep it as it is.
  }
  return `exit ${measurement.code ?? measurement.signal}: ${reason.slice(0, 300)}`
}

const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)

const spycloudEnvironment = (standIn: StandInInfo) => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "",
  CONNECTOR_NAME,
  SPYCLOUD_API_BASE_URL: standIn.baseUrl,
  SPYCLOUD_API_KEY: standIn.apiKey,
  SPYCLOUD_IMPORT_START_DATE: standIn.startDate
})

const runDirectory = async (standIn: StandInInfo, work: string) => {
  const bundles = join(work, "bundles")
  mkdirSync(bundles, { recursive: true })
  let startedAt = 0
  let firstBundleAt: number | undefined
  // A bundle file exists once it is renamed from its temporary name to `<name>.json`.
  const watcher = watch(bundles, (_event, name) => {
    if (firstBundleAt === undefined && name !== null && name.endsWith(".json")) firstBundleAt = performance.now()
  })
  try {
    const measurement = await runMeasured(process.execPath, [...CONNECTOR_NODE_OPTIONS, BINARY, "once"], {
      cwd: work,
      env: {
        ...spycloudEnvironment(standIn),
        CONNECTOR_ID: randomUUID(),
        CONNECTOR_SEND_TO_QUEUE: "false",
        CONNECTOR_SEND_TO_DIRECTORY: "true",
        CONNECTOR_SEND_TO_DIRECTORY_PATH: bundles
      },
      timeoutMs: RUN_TIMEOUT_MS,
      finished: passFinished,
      onStart: (at) => (startedAt = at)
    })
    const objects = summaryObjects(measurement.stdout)
    return {
      measurement,
      objects,
      firstBundleSeconds: firstBundleAt === undefined ? undefined : (firstBundleAt - startedAt) / 1000
    }
  } finally {
    watcher.close()
  }
}

/** How often the back-pressure mode tells the OpenCTI stand-in the push queue's size, as the platform would. */
const QUEUE_SAMPLE_MS = 250

/**
 * The OpenCTI stand-in's reported push-queue size follows the real queue: ready plus unacknowledged messages (the
 * platform reads RabbitMQ's `message_bytes`, which counts both) times the mean message size seen by the consumer.
 * Returns the deepest queue seen, in MB.
 */
const followQueueSize = async (
  platform: Awaited<ReturnType<typeof startOpenCtiStandIn>>,
  connectorId: string,
  drainer: PushQueueDrainer
) => {
  const model = await amqp.connect(amqpUrl.href)
  model.on("error", () => undefined)
  let deepestMb = 0
  // A failed check (the queue not declared yet) closes its channel: each reading takes a fresh one.
  const readyMessages = async () => {
    const channel = await model.createChannel()
    channel.on("error", () => undefined)
    try {
      return (await channel.checkQueue(`push_${connectorId}`)).messageCount
    } catch {
      return 0
    } finally {
      await channel.close().catch(() => undefined)
    }
  }
  const sample = async () => {
    if (!platform.connectors.has(connectorId)) return
    const messages = (await readyMessages()) + drainer.unacknowledged()
    const bytes = Math.round(messages * drainer.meanMessageBytes())
    deepestMb = Math.max(deepestMb, bytes / 1_000_000)
    platform.setQueueSize(connectorId, bytes, messages)
  }
  let sampling = Promise.resolve()
  const timer = setInterval(() => (sampling = sampling.then(sample)), QUEUE_SAMPLE_MS)
  return {
    deepestMb: () => deepestMb,
    close: async () => {
      clearInterval(timer)
      await sampling.catch(() => undefined)
      await model.close().catch(() => undefined)
    }
  }
}

interface RabbitMqOptions {
  /** CONNECTOR_QUEUE_MESSAGES=per-bundle: one message per bundle (the worker would split it). */
  readonly perBundle: boolean
  /** Messages per second the consumer takes (default: as fast as it can). */
  readonly drainRate?: number
  /** Reports the real queue size to the platform stand-in (for back-pressure); off, it reports 0. */
  readonly followQueue?: boolean
  readonly env?: Readonly<Record<string, string>>
}

/**
 * Through RabbitMQ with publisher confirms. With `perBundle` objects are counted from the connector's summary.
 */
const runRabbitMq = (options: RabbitMqOptions) => async (standIn: StandInInfo, work: string) => {
  const { perBundle } = options
  const platform = await startOpenCtiStandIn({
    amqpUrl: amqpUrl.href,
    connection: {
      host: amqpUrl.hostname,
      port: Number(amqpUrl.port || 5672),
      vhost: decodeURIComponent(amqpUrl.pathname.slice(1)) || "/",
      use_ssl: amqpUrl.protocol === "amqps:",
      user: decodeURIComponent(amqpUrl.username || "guest"),
      pass: decodeURIComponent(amqpUrl.password || "guest")
    }
  })
  return withCleanup(() => platform.close(), async () => {
    const connectorId = randomUUID()
    // The platform declares the push queue while it registers the connector.
    const registered = () => platform.callsOf("RegisterConnector").some((call) => call.status === 200)
    const drainer = await startPushQueueDrainer(amqpUrl.href, `push_${connectorId}`, registered, {
      ...(options.drainRate === undefined ? {} : { ratePerSecond: options.drainRate })
    })
    const follower = options.followQueue === true ? await followQueueSize(platform, connectorId, drainer) : undefined
    return withCleanup(() => Promise.all([drainer.close(), follower?.close()]).then(() => undefined), async () => {
      let startedAt = 0
      const measurement = await runMeasured(process.execPath, [...CONNECTOR_NODE_OPTIONS, BINARY, "once"], {
        cwd: work,
        env: {
          ...spycloudEnvironment(standIn),
          OPENCTI_URL: platform.url,
          OPENCTI_TOKEN: platform.token,
          CONNECTOR_ID: connectorId,
          CONNECTOR_QUEUE_MESSAGES: perBundle ? "per-bundle" : "per-object",
          ...options.env
        },
        timeoutMs: RUN_TIMEOUT_MS,
        finished: passFinished,
        onStart: (at) => (startedAt = at)
      })
      let expected = 0
      for (const work of platform.works.values()) if (work.connectorId === connectorId) expected += work.expectations
      if (perBundle) expected = summaryNumber(measurement.stdout, "bundles") ?? 0
      const succeeded = failureOf(measurement) === undefined
      if (succeeded) await drainer.waitFor(expected, DRAIN_STALL_MS)
      const firstMessageAt = drainer.firstMessageAt()
      if (platform.invalidRequests.length > 0) {
        throw new Error(`the connector sent ${platform.invalidRequests.length} invalid GraphQL requests`)
      }
      return {
        measurement,
        objects: succeeded ? (perBundle ? summaryObjects(measurement.stdout) : drainer.consumed()) : undefined,
        firstBundleSeconds: firstMessageAt === undefined ? undefined : (firstMessageAt - startedAt) / 1000,
        deepestQueueMb: follower?.deepestMb()
      }
    })
  })
}

/** A row that reports why a run has no numbers (skipped, or failed). */
const rowWithoutResult = (
  sink: SinkName,
  records: number,
  load: readonly [number, number],
  problem: string
): BenchRow => ({
  sink,
  records,
  read: undefined,
  objects: undefined,
  wallSeconds: undefined,
  cpuSeconds: undefined,
  peakRssMb: undefined,
  firstBundleSeconds: undefined,
  load,
  problem
})

const runOne = async (records: number, sink: SinkName): Promise<BenchRow> => {
  const load = () => Math.round(loadavg()[0]! * 10) / 10
  const loadBefore = load()
  const days = Math.max(1, Math.ceil(records / recordsPerDay))
  const standIn = await startStandInProcess(ROOT, { records, days, endDate: yesterday() })
  const work = mkdtempSync(join(tmpdir(), "spycloud-bench-"))
  try {
    const result = await withCleanup(
      () => rmSync(work, { recursive: true, force: true }),
      () =>
        withCleanup(standIn.stop, () => {
          const run = sink === "directory" ? runDirectory : runRabbitMq({ perBundle: sink === "rabbitmq-per-bundle" })
          return run(standIn.info, work)
        })
    )
    const { measurement } = result
    return {
      sink,
      records,
      read: summaryNumber(measurement.stdout, "records imported"),
      objects: result.objects,
      wallSeconds: measurement.wallSeconds,
      cpuSeconds: measurement.cpuSeconds,
      peakRssMb: measurement.peakRssMb,
      firstBundleSeconds: result.firstBundleSeconds,
      load: [loadBefore, load()],
      lingered: measurement.lingered,
      ...(failureOf(measurement) === undefined ? {} : { problem: failureOf(measurement)! })
    }
  } catch (error) {
    return rowWithoutResult(sink, records, [loadBefore, load()], (error as Error).message)
  }
}

/** Why a sink cannot run on this machine, if it cannot. */
const unavailable = async (sink: SinkName): Promise<string | undefined> => {
  if (sink === "directory") return undefined
  if (!existsSync(sharedPath("opencti", "opencti-assembled-6.8.10.graphql"))) {
    return "skipped: the OpenCTI stand-in needs ../shared/opencti (the reference schemas beside the repository)"
  }
  if (!(await brokerReachable(amqpUrl))) return `skipped: RabbitMQ does not answer at ${amqpUrl.host}`
  return undefined
}

const commit = () => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim()
  } catch {
    return "unknown"
  }
}

/** `--backpressure`: the deepest push queue with and without in-pass back-pressure, against a slow consumer. */
const runBackpressure = async (records: number) => {
  const drainRate = positive(values["drain-rate"], "--drain-rate")
  const threshold = Number(values.threshold)
  if (!(threshold > 0)) fail(`--threshold must be a positive number of MB, not "${values.threshold}"`)
  const skipped = await unavailable("rabbitmq")
  if (skipped !== undefined) fail(skipped)
  const lines = [
    `\`npm run bench -- ${process.argv.slice(2).join(" ")}\` on ${
      new Date().toISOString().slice(0, 10)
    } (commit ${commit()}): ` +
    `${records.toLocaleString("en-US")} records, one message per object, a consumer taking ${
      drainRate.toLocaleString("en-US")
    } ` +
    `messages/s, CONNECTOR_QUEUE_THRESHOLD ${threshold} MB (low water ${threshold * 0.8} MB), ` +
    "CONNECTOR_BUNDLE_MAX_OBJECTS 200.",
    "",
    "| In-pass back-pressure | Messages | Wall | Deepest push queue | Threshold | Pauses | Paused |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  ]
  for (const paced of [true, false]) {
    log(`${records} records → rabbitmq, ${paced ? "paced" : "not paced"}, consumer at ${drainRate} messages/s ...`)
    const days = Math.max(1, Math.ceil(records / recordsPerDay))
    const standIn = await startStandInProcess(ROOT, { records, days, endDate: yesterday() })
    const work = mkdtempSync(join(tmpdir(), "spycloud-bench-"))
    const result = await withCleanup(
      () => rmSync(work, { recursive: true, force: true }),
      () =>
        withCleanup(standIn.stop, () =>
          runRabbitMq({
            perBundle: false,
            drainRate,
            followQueue: true,
            env: {
              CONNECTOR_QUEUE_THRESHOLD: String(threshold),
              CONNECTOR_QUEUE_CHECK_INTERVAL: paced ? "PT0.5S" : "0",
              // The queue is read between bundles: small ones, so that one bundle is small beside the threshold.
              CONNECTOR_BUNDLE_MAX_OBJECTS: "200"
            }
          })(standIn.info, work))
    )
    const problem = failureOf(result.measurement)
    if (problem !== undefined) fail(`the connector failed: ${problem}`)
    const pauses = result.measurement.stderr.split("\n").filter((line) => line.includes("\"message\":\"Pass paused"))
    const paused = result.measurement.stderr.split("\n").filter((line) => line.includes("\"message\":\"Pass resumed"))
      .reduce((sum, line) => sum + Number((JSON.parse(line) as any).attributes?.paused_seconds ?? 0), 0)
    lines.push(
      `| ${paced ? "on (CONNECTOR_QUEUE_CHECK_INTERVAL=PT0.5S)" : "off (CONNECTOR_QUEUE_CHECK_INTERVAL=0)"} | ${
        (result.objects ?? 0).toLocaleString("en-US")
      } | ${result.measurement.wallSeconds.toFixed(1)} s | ${
        result.deepestQueueMb!.toFixed(1)
      } MB | ${threshold} MB | ${pauses.length} | ${paused.toFixed(1)} s |`
    )
  }
  lines.push(
    "",
    "- *Deepest push queue*: the largest size the OpenCTI stand-in reported (sampled every 250 ms: ready and " +
      "unacknowledged messages times their mean size, as the platform reads RabbitMQ's `message_bytes`). *Wall* " +
      "is the connector's run; without back-pressure the consumer is still draining when it ends. With it, the " +
      "queue can pass the threshold by what the connector publishes in one check interval, plus the sampling lag."
  )
  process.stdout.write(`${lines.join("\n")}\n`)
}

ensureBuilt(log)
if (values.backpressure) {
  await runBackpressure(sizes[0]!)
  process.exit(0)
}
const availability = new Map<SinkName, string | undefined>()
for (const sink of sinks) availability.set(sink, await unavailable(sink))

const rows: Array<BenchRow> = []
for (const records of sizes) {
  for (const sink of sinks) {
    const skipped = availability.get(sink)
    if (skipped !== undefined) {
      const now = Math.round(loadavg()[0]! * 10) / 10
      rows.push(rowWithoutResult(sink, records, [now, now], skipped))
      continue
    }
    log(`${records} records → ${sink} ...`)
    const row = await runOne(records, sink)
    rows.push(row)
    log(
      row.problem === undefined
        ? `${records} records → ${sink}: ${row.wallSeconds!.toFixed(1)} s, ${
          Math.round(records / row.wallSeconds!)
        } records/s, peak RSS ${Math.round(row.peakRssMb ?? 0)} MB`
        : `${records} records → ${sink}: ${row.problem}`
    )
  }
}

const argv = process.argv.slice(2)
const markdown = renderTable(rows, {
  date: new Date().toISOString().slice(0, 10),
  commit: commit(),
  node: process.version,
  cpu: cpus()[0]?.model.trim() ?? "unknown CPU",
  cores: cpus().length,
  command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
  method: measurementMethod(),
  recordsPerDay,
  bundleMaxObjects: Settings.connector.bundleMaxObjects.defaultText ?? "?",
  windowMaxRecords: Settings.spycloud.windowMaxRecords.defaultText ?? "?"
})
mkdirSync(OUTPUT, { recursive: true })
writeFileSync(join(OUTPUT, "results.md"), `${markdown}\n`)
writeFileSync(join(OUTPUT, "results.json"), `${JSON.stringify(rows, null, 2)}\n`)
if (values["update-readme"]) updateReadme(join(ROOT, "README.md"), markdown)
process.stdout.write(`${markdown}\n`)
log(`written to bench-output/results.md${values["update-readme"] ? " and README.md" : ""}`)
