/**
 * Where the connector's CPU goes, stage by stage, in one process and without HTTP, files or a broker: the
 * stand-in's own records (the ones `npm run bench` serves) as page bodies, then JSON.parse, page decoding,
 * STIX mapping + bundle packing, and the serialisation every sink does (the directory envelope as UTF-8, or
 * pycti's one-message-per-object queue bodies). Prints CPU µs per record for each stage and the time V8
 * spent collecting garbage, which a profile of the real binary spreads over everything.
 *
 * Each round also prints `objects digest: <sha-256 hex>` over every object of every bundle, in order, each as
 * `JSON.stringify` writes it followed by a newline (bundle ids are random and left out). It is the same for
 * every round, every sink and every run of the same `--records`, `--bundle-max-objects` and code: a change meant
 * to make mapping faster must leave it unchanged. It is computed outside the timed stages.
 *
 *   node --import tsx scripts/bench-pipeline.ts [--records 50000] [--rounds 3] [--sink directory|amqp]
 */
import { Option } from "effect"
import { createHash } from "node:crypto"
import { PerformanceObserver } from "node:perf_hooks"
import { parseArgs } from "node:util"
import { encodeQueueMessages } from "../src/opencti/QueueMessage.js"
import type { BreachCatalog, BreachRecord } from "../src/spycloud/BreachRecord.js"
import { decodeBreachCatalog } from "../src/spycloud/BreachRecord.js"
import { catalogKey } from "../src/spycloud/SpycloudClient.js"
import { decodeWatchlistPage } from "../src/spycloud/WatchlistPage.js"
import { mapBreachRecord } from "../src/stix/BreachRecordMapper.js"
import { makeBundlePacker } from "../src/stix/BundleAssembler.js"
import { makeMappingContext } from "../src/stix/MappingContext.js"
import type { StixBundle } from "../src/stix/StixObject.js"
import { createDataset } from "../test/support/spycloud/Dataset.js"

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "50000" },
    rounds: { type: "string", default: "3" },
    sink: { type: "string", default: "directory" },
    "bundle-max-objects": { type: "string", default: "10000" }
  }
})
const records = Number(values.records)
const rounds = Number(values.rounds)
const sink = values.sink === "amqp" ? "amqp" : "directory"
const maxObjects = Number(values["bundle-max-objects"])

const dataset = createDataset({ records, days: Math.max(1, Math.ceil(records / 1000)), endDate: "2025-06-30" })
const bodies: Array<string> = []
for (let start = 0; start < records; start += 1000) {
  const results: Array<unknown> = []
  for (let index = start; index < Math.min(records, start + 1000); index++) results.push(dataset.recordAt(index))
  bodies.push(JSON.stringify({ cursor: start + 1000 < records ? "next" : "", hits: records, results }))
}
const catalogs = new Map<string, BreachCatalog>()
for (const id of dataset.sourceIds) {
  const entry = dataset.catalog(id)
  if (entry === undefined) continue
  const decoded = decodeBreachCatalog(entry)
  if (decoded._tag === "Right") catalogs.set(catalogKey(id), decoded.right)
}
const context = makeMappingContext({ connectorName: "SpyCloud", tlp: "amber+strict", includeSensitiveData: false })

let gcMillis = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMillis += entry.duration
}).observe({ entryTypes: ["gc"] })

type Stage = "parse" | "decode" | "map+pack" | "serialise"
const STAGES: ReadonlyArray<Stage> = ["parse", "decode", "map+pack", "serialise"]

const cpuNow = () => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

const round = () => {
  const cpu: Record<Stage, number> = { parse: 0, decode: 0, "map+pack": 0, serialise: 0 }
  const packer = makeBundlePacker(context, maxObjects)
  let objects = 0
  let bytes = 0
  let messages = 0
  const digest = createHash("sha256")
  const deliver = (bundle: StixBundle | undefined) => {
    if (bundle === undefined) return
    for (const object of bundle.objects) digest.update(`${JSON.stringify(object)}\n`)
    const started = cpuNow()
    if (sink === "directory") {
      const envelope = {
        bundle_type: "DIRECTORY_BUNDLE",
        applicant_id: null,
        entities_types: [],
        bundle,
        update: false
      }
      bytes += Buffer.from(JSON.stringify(envelope), "utf8").length
    } else {
      const encoded = encodeQueueMessages(bundle, "user", Option.some("work"))
      for (let i = 0; i < encoded.count; i++) bytes += encoded.body(i).length
      messages += encoded.count
    }
    cpu.serialise += cpuNow() - started
  }
  gcMillis = 0
  const started = performance.now()
  for (const [number, body] of bodies.entries()) {
    let at = cpuNow()
    const json: unknown = JSON.parse(body)
    cpu.parse += cpuNow() - at
    at = cpuNow()
    const page = decodeWatchlistPage(json, number + 1)
    cpu.decode += cpuNow() - at
    if (page._tag === "Left") throw new Error(page.left)
    at = cpuNow()
    const completed: Array<StixBundle> = []
    for (const record of page.right.records as ReadonlyArray<BreachRecord>) {
      const mapped = mapBreachRecord(record, Option.fromNullable(catalogs.get(catalogKey(record.source_id))), context)
      if (mapped._tag !== "Mapped") continue
      objects += mapped.objects.length
      const bundle = packer.add(mapped.objects)
      if (bundle !== undefined) completed.push(bundle)
    }
    cpu["map+pack"] += cpuNow() - at
    for (const bundle of completed) deliver(bundle)
  }
  deliver(packer.flush())
  const wall = performance.now() - started
  return { cpu, wall, objects, bytes, messages, digest: digest.digest("hex") }
}

/** GC entries arrive asynchronously: let them in before reading the total. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 50))

round() // warm-up
await settled()
console.log(
  `${records} stand-in records, ${sink} serialisation, bundles of at most ${maxObjects} objects, Node ${process.version}`
)
for (let i = 0; i < rounds; i++) {
  const result = round()
  await settled()
  const { bytes, cpu, digest, messages, objects, wall } = result
  const gc = gcMillis
  const total = STAGES.reduce((sum, stage) => sum + cpu[stage], 0)
  const parts = STAGES.map((stage) => `${stage} ${(cpu[stage] / records).toFixed(1)}`).join(", ")
  console.log(
    `round ${i + 1}: ${(total / records).toFixed(1)} µs/record CPU (${parts}), gc ${
      ((gc * 1000) / records).toFixed(1)
    } µs/record, ${Math.round(records / (wall / 1000))} records/s wall; ${objects} objects, ${
      (bytes / 1e6).toFixed(0)
    } MB${sink === "amqp" ? `, ${messages} messages` : ""}`
  )
  console.log(`objects digest: ${digest}`)
}
