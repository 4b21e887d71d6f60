/**
 * `npm run demo`: see the connector work without a SpyCloud key or an OpenCTI platform. Starts the local
 * SpyCloud stand-in with generated breach records, runs the real binary's `once` in offline mode (bundles
 * to ./demo-output/, state in a file there), and shows what it wrote.
 */
import { spawn } from "node:child_process"
import { readdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { CONNECTOR_NODE_OPTIONS } from "../src/cli/NodeOptions.js"
import { STATE_FILE_NAME } from "../src/config/ConnectorConfig.js"
import type { StixBundle } from "../src/stix/StixObject.js"
import { startSpycloudStandIn } from "../test/support/spycloud/SpycloudStandIn.js"
import { BINARY, ensureBuilt, ROOT } from "./ensure-built.js"

const OUTPUT = join(ROOT, "demo-output")
const RECORDS = 5_000
const DAYS = 30

ensureBuilt()
rmSync(OUTPUT, { recursive: true, force: true })

const standIn = await startSpycloudStandIn({
  dataset: { records: RECORDS, days: DAYS, seed: 2024, invalidEvery: 500, modifiedEvery: 10 }
})
process.stdout.write(
  `SpyCloud stand-in: ${RECORDS} generated breach records over ${DAYS} days at ${standIn.baseUrl}\n` +
    `Running: spycloud-connector once (offline: bundles to ./demo-output/)\n\n`
)

const code = await new Promise<number | null>((resolveRun, reject) => {
  const child = spawn(process.execPath, [...CONNECTOR_NODE_OPTIONS, BINARY, "once"], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      PATH: process.env.PATH ?? "",
      CONNECTOR_ID: "6f9619ff-8b86-4d01-b42d-00c04fc964ff",
      CONNECTOR_NAME: "SpyCloud",
      CONNECTOR_SEND_TO_QUEUE: "false",
      CONNECTOR_SEND_TO_DIRECTORY: "true",
      CONNECTOR_SEND_TO_DIRECTORY_PATH: OUTPUT,
      OPENCTI_JSON_LOGGING: "false",
      SPYCLOUD_API_BASE_URL: standIn.baseUrl,
      SPYCLOUD_API_KEY: standIn.apiKey,
      SPYCLOUD_IMPORT_START_DATE: standIn.dataset.startDate
    }
  })
  child.on("error", reject)
  child.on("close", resolveRun)
})
await standIn.stop()
if (code !== 0) {
  process.stderr.write(`\nThe connector exited with code ${code}\n`)
  process.exit(1)
}

const files = readdirSync(OUTPUT).filter((name) => name.endsWith(".json") && !name.startsWith(".")).sort()
const bundle = (JSON.parse(readFileSync(join(OUTPUT, files[0]!), "utf8")) as { bundle: StixBundle }).bundle
const byId = new Map(bundle.objects.map((object) => [object.id, object]))
const relatedTo = new Map<string, Array<string>>()
for (const object of bundle.objects) {
  if (object.type !== "relationship") continue
  relatedTo.set(String(object.target_ref), [
    ...(relatedTo.get(String(object.target_ref)) ?? []),
    String(object.source_ref)
  ])
}
// The incident with the most observables makes the richest example.
const [incidentId, observableIds] = [...relatedTo].sort((a, b) => b[1].length - a[1].length)[0]!
const incident = byId.get(incidentId)!
const related = observableIds.map((id) => byId.get(id))
const types = new Map<string, number>()
for (const object of bundle.objects) types.set(object.type, (types.get(object.type) ?? 0) + 1)

process.stdout.write(
  [
    "",
    `Bundles: ${files.length} files in ./demo-output/ (pycti's DIRECTORY_BUNDLE envelope, one STIX 2.1 bundle each)`,
    `State:   ./demo-output/${STATE_FILE_NAME} = ${
      readFileSync(join(OUTPUT, STATE_FILE_NAME), "utf8").replace(/\s+/g, " ").trim()
    }`,
    "",
    `First bundle: ${[...types].map(([type, count]) => `${count} ${type}`).join(", ")}`,
    `Example incident: ${String(incident.name)}`,
    ...related.map((object) =>
      `  related-to ${object?.type}: ${
        String(object?.value ?? object?.account_login ?? object?.name ?? object?.path ?? "")
      }`
    ),
    "",
    "Passwords, salts, tokens and card data appear only as \"*redacted*\" markers in incident descriptions",
    "(set SPYCLOUD_INCLUDE_SENSITIVE_DATA=true to include them). Run it again: the state makes the second pass",
    "read only the newest day.",
    ""
  ].join("\n")
)
