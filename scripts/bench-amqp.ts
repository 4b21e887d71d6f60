/**
 * Throughput of the AMQP sink with publisher confirms against a real RabbitMQ:
 *
 *   node --import tsx scripts/bench-amqp.ts [--records 20000] [--bundle-records 1000] [--amqp amqp://guest:guest@127.0.0.1:5672] [--baseline] [--messages per-object|per-bundle]
 *
 * `--messages per-bundle` sends each bundle as one message for OpenCTI's worker to split (no expectations)
 * instead of pycti's one message per object.
 *
 * `--baseline` publishes the same messages with a bare amqplib loop (one confirm channel, wait for the
 * confirms after each bundle) instead of the sink: the broker's own ceiling on this machine, to compare.
 *
 * Generates bundles shaped like the mapper's (per record: an incident, four observables and three
 * relationships; per bundle: the author and the marking), sends them through `AmqpSink` into a
 * temporary exchange/queue declared like the platform's push queue, and prints messages/s and records/s
 * (time spent in `send` only) and the peak RSS of the process. The queue is deleted at the end.
 */
import amqp from "amqplib"
import { Effect, Option, Redacted } from "effect"
import { parseArgs } from "node:util"
import * as AmqpSink from "../src/opencti/AmqpSink.js"
import { encodeQueueMessages } from "../src/opencti/QueueMessage.js"
import type { StixBundle, StixObject } from "../src/stix/StixObject.js"

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "20000" },
    "bundle-records": { type: "string", default: "1000" },
    amqp: { type: "string", default: process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672" },
    baseline: { type: "boolean", default: false },
    messages: { type: "string", default: "per-object" }
  }
})
const messageMode = values.messages === "per-bundle" ? "per-bundle" : "per-object"
const records = Number(values.records)
const perBundle = Number(values["bundle-records"])
const url = new URL(values.amqp!)

const MARKING = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
const AUTHOR = "identity--115e787b-4b83-59ef-b350-aeb7b1736c74"
const common = { created_by_ref: AUTHOR, object_marking_refs: [MARKING] }

const recordObjects = (n: number): Array<StixObject> => {
  const id = (type: string) => `${type}--${n.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`
  const incident = id("incident")
  const observables: Array<StixObject> = [
    { type: "email-addr", id: id("email-addr"), value: `user${n}@example.com`, ...common },
    { type: "user-account", id: id("user-account"), account_login: `user${n}`, ...common },
    { type: "ipv4-addr", id: id("ipv4-addr"), value: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, ...common },
    { type: "url", id: id("url"), value: `https://login.example.com/${n}`, ...common }
  ]
  return [
    {
      type: "incident",
      id: incident,
      spec_version: "2.1",
      name: `SpyCloud breach (severity 20): user${n}@example.com`,
      description: `| field | value |\n|---|---|\n${"| breach | Example infostealer log |\n".repeat(8)}`,
      created: "2025-01-01T00:00:00.000Z",
      modified: "2025-01-01T00:00:00.000Z",
      severity: "high",
      incident_type: "data-breach",
      external_references: [{ source_name: "SpyCloud", external_id: `doc-${n}` }],
      ...common
    },
    ...observables,
    ...observables.slice(0, 3).map((observable, index): StixObject => ({
      type: "relationship",
      id: `relationship--${n.toString(16).padStart(8, "0")}-000${index}-4000-8000-000000000000`,
      relationship_type: "related-to",
      source_ref: observable.id,
      target_ref: incident,
      ...common
    }))
  ]
}

/** Bundle `index`, generated when needed so that memory reflects the sink, not the test data. */
const bundleAt = (index: number): StixBundle => {
  const objects: Array<StixObject> = [
    { type: "marking-definition", id: MARKING, name: "TLP:AMBER+STRICT" },
    { type: "identity", id: AUTHOR, name: "SpyCloud", identity_class: "organization" }
  ]
  for (let n = index * perBundle; n < Math.min(records, (index + 1) * perBundle); n++) objects.push(...recordObjects(n))
  return { type: "bundle", id: `bundle--${crypto.randomUUID()}`, objects }
}
const bundleCount = Math.ceil(records / perBundle)
let messages = 0

const suffix = crypto.randomUUID()
const exchange = `bench.exchange.${suffix}`
const queue = `bench_push_${suffix}`
const admin = await amqp.connect(values.amqp!)
const channel = await admin.createChannel()
await channel.assertExchange(exchange, "direct", { durable: true })
await channel.assertQueue(queue, { durable: true })
await channel.bindQueue(queue, exchange, queue)

let peakRss = process.memoryUsage().rss
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50)
let expectations = 0

const program = Effect.scoped(Effect.gen(function*() {
  const sink = yield* AmqpSink.make({
    endpoint: {
      host: url.hostname,
      port: Number(url.port || 5672),
      vhost: decodeURIComponent(url.pathname.slice(1)) || "/",
      useSsl: url.protocol === "amqps:",
      user: decodeURIComponent(url.username || "guest"),
      pass: Redacted.make(decodeURIComponent(url.password || "guest")),
      tls: {
        ca: Option.none(),
        cert: Option.none(),
        key: Option.none(),
        passphrase: Option.none(),
        rejectUnauthorized: false
      }
    },
    exchange,
    routingKey: queue,
    applicantId: "bench-user",
    connectionName: "bench-amqp",
    addExpectations: (_workId, n) => Effect.sync(() => void (expectations += n)),
    messages: messageMode
  })
  // Warm up the connection so that connecting is not measured.
  yield* sink.send(
    { type: "bundle", id: "bundle--warm-up", objects: [{ type: "identity", id: AUTHOR }] },
    Option.none()
  )
  // Only the time spent in `send` counts: generating the bundles is the mapper's work.
  let sending = 0
  for (let index = 0; index < bundleCount; index++) {
    const bundle = bundleAt(index)
    messages += messageMode === "per-bundle" ? 1 : bundle.objects.length
    const started = performance.now()
    yield* sink.send(bundle, Option.some("work_bench"))
    sending += performance.now() - started
  }
  return sending / 1000
}))

/** The same messages through a bare confirm channel: what the broker can take, without the sink. */
const baseline = async (): Promise<number> => {
  const model = await amqp.connect(values.amqp!, { noDelay: true })
  const confirm = await model.createConfirmChannel()
  let sending = 0
  for (let index = 0; index < bundleCount; index++) {
    const bundle = bundleAt(index)
    messages += bundle.objects.length
    const started = performance.now()
    const encoded = encodeQueueMessages(bundle, "bench-user", Option.some("work_bench"))
    for (let i = 0; i < encoded.count; i++) {
      const body = encoded.body(i)
      if (!confirm.publish(exchange, queue, body, { persistent: true, contentEncoding: "utf-8" })) {
        await new Promise((resolve) => confirm.once("drain", resolve))
      }
    }
    await confirm.waitForConfirms()
    sending += performance.now() - started
  }
  await model.close()
  return sending / 1000
}

try {
  const seconds = values.baseline ? await baseline() : await Effect.runPromise(program)
  clearInterval(sampler)
  const queued = (await channel.checkQueue(queue)).messageCount
  console.log(JSON.stringify(
    {
      records,
      bundles: bundleCount,
      messages,
      expectations,
      mode: values.baseline ? "baseline (bare amqplib)" : `AmqpSink, ${messageMode}`,
      queued: queued - (values.baseline ? 0 : 1),
      seconds: Number(seconds.toFixed(2)),
      messagesPerSecond: Math.round(messages / seconds),
      recordsPerSecond: Math.round(records / seconds),
      peakRssMb: Math.round(peakRss / 1e6)
    },
    null,
    2
  ))
} finally {
  clearInterval(sampler)
  await channel.deleteQueue(queue)
  await channel.deleteExchange(exchange)
  await admin.close()
}
