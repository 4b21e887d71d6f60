/**
 * How fast breach records become STIX: maps N generated records (shaped like the official connector's
 * 1,000-record sample: every record has an email, half a target URL, some IPs, infostealer paths, passwords)
 * and prints records per second for mapping alone, mapping + bundle assembly, and mapping + assembly +
 * JSON serialisation (what every sink does). Wall-clock rates suffer when other processes share the CPUs;
 * the CPU time per record (this process, all threads) is the steadier figure.
 *
 * Last, an untimed pass prints `objects digest: <sha-256 hex>` over every object of every bundle, in order,
 * each as `JSON.stringify` writes it followed by a newline (bundle ids are random and left out): a change meant
 * to make mapping faster must leave it unchanged for the same arguments.
 *
 *   node --import tsx scripts/bench-mapper.ts [records=100000] [bundle_max_objects=10000]
 */
import { Option } from "effect"
import { createHash } from "node:crypto"
import type { BreachCatalog, BreachRecord } from "../src/spycloud/BreachRecord.js"
import { mapBreachRecord } from "../src/stix/BreachRecordMapper.js"
import { makeBundlePacker } from "../src/stix/BundleAssembler.js"
import { makeMappingContext } from "../src/stix/MappingContext.js"
import type { StixBundle } from "../src/stix/StixObject.js"

const records = Number(process.argv[2] ?? 100_000)
const maxObjects = Number(process.argv[3] ?? 10_000)

// A small deterministic generator (mulberry32), so every run maps the same records.
let seed = 42
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
}
const chance = (p: number) => random() < p
const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!
const hex = (length: number) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join("")
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`

const SEVERITIES = [2, 5, 20, 20, 20, 20, 25, 25, 26, 30]
const DOMAINS = ["example.com", "corp.example.org", "mail.example.net", "login.live.com", "accounts.google.com"]
const catalogs: Array<BreachCatalog> = Array.from({ length: 80 }, (_, i) => ({
  id: 60_000 + i,
  uuid: uuid(),
  title: `Breach ${i}`,
  description: "Records shared on a forum.\nIncludes credentials.",
  breach_main_category: pick(["breach", "combolist", "malware"]),
  breach_category: pick(["exfiltrated", "combolist", "infostealer"]),
  acquisition_date: "2024-11-22T00:00:00Z"
}))

const generate = (i: number): { record: BreachRecord; catalog: Option.Option<BreachCatalog> } => {
  const catalog = pick(catalogs)
  const user = `user${Math.floor(random() * 5000)}`
  const domain = pick(DOMAINS)
  const record: Record<string, unknown> = {
    document_id: uuid(),
    source_id: catalog.id,
    spycloud_publish_date: `2024-${String(1 + (i % 12)).padStart(2, "0")}-04T00:00:00Z`,
    severity: pick(SEVERITIES),
    email: `${user}@example.com`,
    email_domain: "example.com",
    email_username: user,
    domain: "example.com",
    sighting: 1 + Math.floor(random() * 5)
  }
  if (chance(0.88)) {
    record.password = hex(12)
    record.password_type = pick(["plaintext", "bcrypt", "md5"])
    record.password_plaintext = hex(10)
  }
  if (chance(0.47)) record.target_url = `https://${domain}/login?id=${hex(6)}`
  if (chance(0.28)) record.target_domain = domain
  if (chance(0.17)) record.target_subdomain = `www.${domain}`
  if (chance(0.15)) record.ip_addresses = [`10.${i % 256}.${Math.floor(i / 256) % 256}.1`]
  if (chance(0.06)) record.full_name = "Greg Rolfson"
  if (chance(0.04)) record.username = user
  if (chance(0.09)) {
    record.user_hostname = `DESKTOP-${hex(7).toUpperCase()}`
    record.user_os = "Windows 11 build 22631 (64 Bit)"
    record.infected_path = `C:\\Users\\${user}\\AppData\\Local\\Temp\\${hex(8)}.exe`
    record.infected_time = "2024-11-30T13:45:10Z"
    record.log_id = hex(32)
    record.keyboard_languages = "English (United States) | French (France)"
  }
  return { record: record as BreachRecord, catalog: chance(0.98) ? Option.some(catalog) : Option.none() }
}

const context = makeMappingContext({ connectorName: "SpyCloud", tlp: "amber+strict", includeSensitiveData: false })

type Stage = "map" | "bundle" | "serialise"

const run = (inputs: ReadonlyArray<ReturnType<typeof generate>>, stage: Stage) => {
  const packer = makeBundlePacker(context, maxObjects)
  let objects = 0
  let bundles = 0
  let bytes = 0
  const deliver = (bundle: StixBundle | undefined) => {
    if (bundle === undefined) return
    bundles++
    if (stage === "serialise") bytes += JSON.stringify(bundle).length
  }
  const cpuStarted = process.cpuUsage()
  const started = performance.now()
  for (const { catalog, record } of inputs) {
    const mapping = mapBreachRecord(record, catalog, context)
    if (mapping._tag !== "Mapped") continue
    objects += mapping.objects.length
    if (stage !== "map") deliver(packer.add(mapping.objects))
  }
  if (stage !== "map") deliver(packer.flush())
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuStarted)
  return { seconds, cpuMicros: cpu.user + cpu.system, objects, bundles, bytes }
}

const inputs = Array.from({ length: records }, (_, i) => generate(i))
const distinct = new Set(inputs.map(({ record }) => record.document_id)).size
if (distinct !== records) throw new Error(`the generator repeated document ids (${distinct} distinct)`)
run(inputs.slice(0, Math.min(records, 5_000)), "serialise") // warm-up: let the JIT settle

console.log(`${records} records, bundles of at most ${maxObjects} objects, Node ${process.version}`)
for (const stage of ["map", "bundle", "serialise"] as const) {
  const { bundles, bytes, cpuMicros, objects, seconds } = run(inputs, stage)
  const rate = Math.round(records / seconds)
  const perRecord = ((seconds * 1e6) / records).toFixed(1)
  const cpuPerRecord = (cpuMicros / records).toFixed(1)
  const extra = stage === "map"
    ? ""
    : `, ${bundles} bundles${stage === "serialise" ? `, ${(bytes / 1e6).toFixed(0)} MB JSON` : ""}`
  console.log(
    `${stage.padEnd(9)} ${
      String(rate).padStart(8)
    } records/s  ${perRecord} µs/record wall, ${cpuPerRecord} µs/record CPU  (${objects} objects${extra})`
  )
}

const digest = createHash("sha256")
const digestBundle = (bundle: StixBundle | undefined) => {
  if (bundle === undefined) return
  for (const object of bundle.objects) digest.update(`${JSON.stringify(object)}\n`)
}
const packer = makeBundlePacker(context, maxObjects)
for (const { catalog, record } of inputs) {
  const mapping = mapBreachRecord(record, catalog, context)
  if (mapping._tag === "Mapped") digestBundle(packer.add(mapping.objects))
}
digestBundle(packer.flush())
console.log(`objects digest: ${digest.digest("hex")}`)
