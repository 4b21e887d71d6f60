/**
 * Soak: backfills with the built binary (`node dist/main.js run`) against the SpyCloud stand-in (issue 13's
 * gateway mix: 504 above 2,000 matches, other 5xx, 429, resets, truncated bodies, lost cursors) and the
 * OpenCTI stand-in, with a real RabbitMQ that the soak stops and starts (`rabbitmqctl stop_app` /
 * `start_app`) and a connector it SIGKILLs and starts again, as a restart policy would. Each round is one
 * backfill from 1970 by a fresh connector; it ends when the checkpoint reaches the newest day, then the push
 * queue is read and compared with the dataset's valid records.
 *
 *   npm run soak -- --rounds 3
 *   npm run soak -- --minutes 10 --records 5000 --seed 7
 *
 * The connector runs in `run` mode (a pass every 2 s), the way it is deployed: a killed process restarts
 * from the checkpoint the platform holds, a broker outage is recovered inside the pass. By default the soak
 * starts a RabbitMQ node of its own (the shared one on 5672 is never stopped); `--rabbitmq-node` and
 * `--rabbitmq-port` point at a node of the user's instead, whose broker the soak then stops and starts.
 */
import amqp from "amqplib"
import { parseArgs } from "node:util"
import { recordIncidentId } from "../src/stix/StixId.js"
import { type RunningBinary, startBinary } from "../test/support/Binary.js"
import { gatewayFaults } from "../test/support/FaultyBackfill.js"
import { type OpenCtiStandIn, startOpenCtiStandIn } from "../test/support/opencti/OpenCtiStandIn.js"
import { drainPushQueue } from "../test/support/opencti/PushQueue.js"
import { sequence } from "../test/support/spycloud/SeededRandom.js"
import { startSpycloudStandIn } from "../test/support/spycloud/SpycloudStandIn.js"
import { ensureBuilt } from "./ensure-built.js"
import { existingRabbitMq, type RabbitMqNode, startPrivateRabbitMq } from "./soak/PrivateRabbitMq.js"
import { type RoundResult, roundRow, succeeded, summaryLines, TABLE_HEADER, totals } from "./soak/Report.js"

const USAGE = `Usage: npm run soak -- [options]

  --rounds N           backfills to run (default 3)
  --minutes M          instead of --rounds: start rounds until M minutes have passed
  --records N          records per round's dataset (default 5000, over 30 days)
  --seed N             first round's seed (dataset, SpyCloud faults, fault schedule); then +1 per round
  --faults N           SIGKILLs and RabbitMQ outages per round, at most (default 4)
  --rabbitmq-node N    drive this existing node (e.g. rabbit@localhost) instead of a private one;
  --rabbitmq-port P    its AMQP port (both or neither); the soak stops and starts its broker
`

const usageError = (message: string): never => {
  process.stderr.write(`${message}\n\n${USAGE}`)
  process.exit(2)
}
const parsed = (() => {
  try {
    return parseArgs({
      options: {
        rounds: { type: "string" },
        minutes: { type: "string" },
        records: { type: "string" },
        seed: { type: "string" },
        faults: { type: "string" },
        "rabbitmq-node": { type: "string" },
        "rabbitmq-port": { type: "string" },
        help: { type: "boolean" }
      },
      strict: true
    })
  } catch (error) {
    return usageError((error as Error).message)
  }
})()
const { values } = parsed

if (values.help === true) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const positive = (name: keyof typeof values, fallback: number): number => {
  const text = values[name]
  if (text === undefined || typeof text !== "string") return fallback
  const value = Number(text)
  return Number.isInteger(value) && value >= 0 ? value : usageError(`--${name} must be a non-negative integer`)
}
if (values.rounds !== undefined && values.minutes !== undefined) usageError("give --rounds or --minutes, not both")
if ((values["rabbitmq-node"] === undefined) !== (values["rabbitmq-port"] === undefined)) {
  usageError("--rabbitmq-node and --rabbitmq-port go together")
}
const options = {
  rounds: positive("rounds", 3),
  minutes: values.minutes === undefined ? undefined : positive("minutes", 0),
  records: positive("records", 5_000),
  seed: positive("seed", 1),
  faults: positive("faults", 4)
}

const DAY_MS = 86_400_000
const ROUND_DEADLINE_MS = 10 * 60_000
const utcDate = (millis: number) => new Date(millis).toISOString().slice(0, 10)
/** The checkpoint of a finished backfill: midnight of the day of now − 15 minutes. */
const newestDayCheckpoint = () => `${utcDate(Date.now() - 15 * 60_000)}T00:00:00+00:00`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (line: string) => process.stderr.write(`[soak] ${line}\n`)

const worksOf = (platform: OpenCtiStandIn, connectorId: string) =>
  [...platform.works.values()].filter((work) => work.connectorId === connectorId)

/** The round's queues, read: on a user's broker nothing of the soak stays behind. */
const deleteQueues = async (amqpUrl: string, queues: ReadonlyArray<string>) => {
  const model = await amqp.connect(amqpUrl)
  try {
    const channel = await model.createChannel()
    for (const queue of queues) await channel.deleteQueue(queue)
  } finally {
    await model.close().catch(() => undefined)
  }
}

/** One round: a fresh connector backfills a fresh dataset while faults are injected, then the queue is read. */
const runRound = async (round: number, seed: number, broker: RabbitMqNode, platform: OpenCtiStandIn) => {
  const started = Date.now()
  const random = sequence(seed)
  const between = (low: number, high: number) => low + random() * (high - low)
  const spycloud = await startSpycloudStandIn({
    dataset: { records: options.records, days: 30, endDate: utcDate(Date.now() - DAY_MS), invalidEvery: 97, seed },
    faults: gatewayFaults(seed, 2_000),
    // A little latency, so that a pass lasts long enough to be hit.
    latencyMs: 20
  })
  const connectorId = crypto.randomUUID()
  const env = {
    OPENCTI_URL: platform.url,
    OPENCTI_TOKEN: platform.token,
    CONNECTOR_ID: connectorId,
    CONNECTOR_NAME: `soak round ${round}`,
    CONNECTOR_DURATION_PERIOD: "PT2S",
    CONNECTOR_BUNDLE_MAX_OBJECTS: "500",
    SPYCLOUD_API_BASE_URL: spycloud.baseUrl,
    SPYCLOUD_API_KEY: spycloud.apiKey,
    SPYCLOUD_IMPORT_START_DATE: "1970-01-01T00:00:00Z",
    // Windows of at most 500 records: checkpoints often enough that a SIGKILL loses little.
    SPYCLOUD_WINDOW_MAX_RECORDS: "500",
    SPYCLOUD_RETRY_INITIAL_DELAY: "PT0.01S",
    SPYCLOUD_RETRY_MAX_DELAY: "PT0.1S"
  }
  // Every process of the round, for their logs.
  const processes: Array<RunningBinary> = []
  // Works opened before the current process started: those of killed processes stay unfinished.
  let earlierWorks = new Set<string>()
  const start = () => {
    earlierWorks = new Set(worksOf(platform, connectorId).map((work) => work.id))
    const running = startBinary(["run"], { env })
    processes.push(running)
    return running
  }
  let connector = start()
  let kills = 0
  let brokerOutages = 0
  let exits = 0
  const finished = () => {
    const text = platform.connectors.get(connectorId)?.state
    if (text === undefined || text === null || text === "") return false
    const state = JSON.parse(text) as { last_import_date?: string } | null
    return state?.last_import_date === newestDayCheckpoint()
  }
  /** Restarts the connector if it exited on its own; true once the backfill is finished. */
  const check = async () => {
    if (connector.child.exitCode !== null || connector.child.signalCode !== null) {
      exits++
      const result = await connector.done
      log(`round ${round}: the connector exited (${result.code}); restarting it\n${result.stderr.slice(-2000)}`)
      connector = start()
    }
    return finished()
  }
  /** Waits `ms`, watching the connector; true if the backfill finished meanwhile. */
  const watch = async (ms: number) => {
    const until = Date.now() + ms
    while (Date.now() < until) {
      if (await check()) return true
      await sleep(100)
    }
    return check()
  }

  let done = false
  try {
    for (let fault = 0; fault < options.faults && !done; fault++) {
      if ((done = await watch(between(1_000, 5_000)))) break
      if (random() < 0.5) {
        kills++
        log(`round ${round}: SIGKILL`)
        connector.child.kill("SIGKILL")
        await connector.done
        await sleep(between(200, 1_500))
        connector = start()
      } else {
        brokerOutages++
        const downMs = between(2_000, 8_000)
        log(`round ${round}: RabbitMQ stop_app for ${(downMs / 1000).toFixed(1)} s`)
        await broker.stopApp()
        await sleep(downMs)
        await broker.startApp()
      }
    }
    while (!done && Date.now() - started < ROUND_DEADLINE_MS) done = await watch(1_000)
    // The pass that reached the newest day may still be reading it: stop between passes, so that the stop
    // does not count as a failed pass.
    const idleBy = Date.now() + 30_000
    const passInProgress = () =>
      worksOf(platform, connectorId).some((work) => !earlierWorks.has(work.id) && !work.processed)
    while (done && Date.now() < idleBy && passInProgress()) await sleep(50)
  } finally {
    connector.child.kill("SIGTERM")
    await connector.done
  }

  const works = worksOf(platform, connectorId)
  const failed = works.filter((work) => work.processed && work.errors.length > 0)
  for (const work of failed) log(`round ${round}: a pass failed: ${work.errors.join("; ")}`)
  const drained = await drainPushQueue(`push_${connectorId}`, { amqpUrl: broker.amqpUrl, timeoutMs: 300_000 })
  await deleteQueues(broker.amqpUrl, [`push_${connectorId}`, `listen_${connectorId}`])
  const expected = new Set(spycloud.dataset.documentIds({}).map(recordIncidentId))
  const incidents = drained.objects.filter((object) => object.type === "incident").map((object) => object.id)
  const requests = spycloud.requests()
  await spycloud.stop()
  const result: RoundResult = {
    round,
    seed,
    expected: expected.size,
    delivered: new Set(incidents.filter((id) => expected.has(id))).size,
    incidentMessages: incidents.length,
    messages: drained.messages.length,
    distinctObjects: new Set(drained.objects.map((object) => object.id)).size,
    passes: works.length,
    unfinishedPasses: works.filter((work) => !work.processed).length,
    failedPasses: failed.length,
    kills,
    brokerOutages,
    recoveredInPass: processes.reduce(
      (total, running) => total + running.stderr().split("RabbitMQ connection recovered").length - 1,
      0
    ),
    exits,
    spycloudFaults: requests.filter((request) => request.fault !== undefined).length,
    status504: requests.filter((request) => request.status === 504).length,
    completed: done,
    wallSeconds: (Date.now() - started) / 1000
  }
  return result
}

ensureBuilt((line) => log(line))
const soakStarted = Date.now()
const broker = values["rabbitmq-node"] === undefined
  ? await startPrivateRabbitMq()
  : existingRabbitMq(values["rabbitmq-node"], Number(values["rabbitmq-port"]))
log(`RabbitMQ node ${broker.node} on port ${broker.port}`)
const platform = await startOpenCtiStandIn({ amqpUrl: broker.amqpUrl, connection: { port: broker.port } })
const rounds: Array<RoundResult> = []
try {
  const deadline = options.minutes === undefined ? undefined : soakStarted + options.minutes * 60_000
  for (let round = 1; deadline === undefined ? round <= options.rounds : Date.now() < deadline; round++) {
    const result = await runRound(round, options.seed + round - 1, broker, platform)
    log(roundRow(result))
    rounds.push(result)
  }
} finally {
  await platform.close()
  await broker.stop()
}
const summary = totals(rounds, (Date.now() - soakStarted) / 1000)
const command = `npm run soak -- ${
  options.minutes === undefined ? `--rounds ${options.rounds}` : `--minutes ${options.minutes}`
} --records ${options.records} --seed ${options.seed} --faults ${options.faults}`
process.stdout.write(
  [
    `${command} (Node ${process.version}, RabbitMQ ${broker.node})`,
    "",
    ...TABLE_HEADER,
    ...rounds.map(roundRow),
    "",
    ...summaryLines(summary),
    ""
  ].join("\n")
)
process.exitCode = succeeded(summary) ? 0 : 1
