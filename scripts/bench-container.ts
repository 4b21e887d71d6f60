/**
 * `npm run bench:container`: the image as users run it. Builds it from the Dockerfile (the same build as
 * `npm run test:container`), then prints its size, the start-up time (from `docker run` to the SpyCloud
 * stand-in's first request, offline `once` with the hardened flags) and the stop time (`docker stop` of an
 * idle `run` container, SIGTERM to exit), over several runs.
 *
 *   npm run bench:container
 *   npm run bench:container -- --runs 10
 */
import { randomUUID } from "node:crypto"
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { parseArgs } from "node:util"
import {
  buildImage,
  docker,
  envFlags,
  HARDENED_FLAGS,
  inspect,
  removeContainers,
  runCommand,
  uniqueName
} from "../test/support/Docker.js"
import { startSpycloudStandIn } from "../test/support/spycloud/SpycloudStandIn.js"

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } }, strict: true })
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not ${values.runs}`)

const CONNECTOR_ID = randomUUID()
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const summary = (samples: ReadonlyArray<number>) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return `median ${seconds(sorted[Math.floor(sorted.length / 2)]!)} (min ${seconds(sorted[0]!)}, max ${
    seconds(sorted.at(-1)!)
  }, ${sorted.length} runs)`
}

const { tag, base } = await buildImage()
const loadBefore = loadavg()[0]!
const size = Number(await inspect(tag, "{{.Size}}"))
const baseSize = base.includes(":") ? Number(await inspect(base, "{{.Size}}").catch(() => "NaN")) : Number.NaN
const node = (await docker(["run", "--rm", "--network", "none", "--entrypoint", "node", tag, "--version"])).trim()

let firstRequestAt: number | undefined
const spycloud = await startSpycloudStandIn({
  dataset: { records: 200, days: 3, seed: 31 },
  faults: {
    when: () => {
      firstRequestAt ??= performance.now()
      return undefined
    }
  }
})
const directory = mkdtempSync(join(tmpdir(), "bench-container-"))
chmodSync(directory, 0o777)
const containers: Array<string> = []
const startups: Array<number> = []
const stops: Array<number> = []
try {
  for (let run = 0; run < runs; run++) {
    // Start-up: offline once, as the container test runs it.
    const name = uniqueName("bench-once")
    containers.push(name)
    firstRequestAt = undefined
    const started = performance.now()
    const result = await runCommand("docker", [
      "run",
      "--name",
      name,
      ...HARDENED_FLAGS,
      "--volume",
      `${directory}:/bundles`,
      ...envFlags({
        CONNECTOR_ID: CONNECTOR_ID,
        CONNECTOR_SEND_TO_QUEUE: "false",
        CONNECTOR_SEND_TO_DIRECTORY: "true",
        CONNECTOR_SEND_TO_DIRECTORY_PATH: "/bundles",
        CONNECTOR_STATE_FILE: `/bundles/state-${run}.json`,
        SPYCLOUD_API_KEY: spycloud.apiKey,
        SPYCLOUD_API_BASE_URL: spycloud.baseUrl,
        SPYCLOUD_IMPORT_START_DATE: spycloud.dataset.startDate
      }),
      tag,
      "once"
    ], { timeoutMs: 120_000 })
    if (result.code !== 0 || firstRequestAt === undefined) {
      throw new Error(`offline once in the container failed (exit ${result.code}):\n${result.stderr}`)
    }
    startups.push(firstRequestAt - started)

    // Stop: an idle `run` container (its first pass done), SIGTERM to exit.
    const idle = uniqueName("bench-run")
    containers.push(idle)
    await docker([
      "run",
      "--detach",
      "--name",
      idle,
      ...HARDENED_FLAGS,
      ...envFlags({
        CONNECTOR_ID: CONNECTOR_ID,
        CONNECTOR_SEND_TO_QUEUE: "false",
        CONNECTOR_SEND_TO_DIRECTORY: "true",
        CONNECTOR_SEND_TO_DIRECTORY_PATH: "/data",
        CONNECTOR_DURATION_PERIOD: "PT1H",
        SPYCLOUD_API_KEY: spycloud.apiKey,
        SPYCLOUD_API_BASE_URL: spycloud.baseUrl,
        SPYCLOUD_IMPORT_START_DATE: spycloud.dataset.startDate
      }),
      tag
    ])
    const deadline = Date.now() + 60_000
    while (!(await runCommand("docker", ["logs", idle])).stderr.includes("Pass finished")) {
      if (Date.now() > deadline) throw new Error(`the run container ${idle} did not finish a pass within 60 s`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const stopping = performance.now()
    await docker(["stop", "--time", "10", idle], 30_000)
    stops.push(performance.now() - stopping)
    const exit = await inspect(idle, "{{.State.ExitCode}}")
    if (exit !== "0") throw new Error(`docker stop: the connector exited ${exit}, not 0`)
    await removeContainers([name, idle])
  }
} finally {
  await removeContainers(containers)
  await spycloud.stop()
  rmSync(directory, { recursive: true, force: true })
}

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(0)} MB`
process.stdout.write(
  [
    `Image ${tag} built on ${base}, Node ${node}`,
    `  image size          ${megabytes(size)}${
      Number.isNaN(baseSize) ?
        "" :
        ` (base image ${megabytes(baseSize)}, the connector's layers ${megabytes(size - baseSize)})`
    }`,
    `  start-up            ${summary(startups)}: docker run (offline once) to the first SpyCloud request`,
    `  stop                ${summary(stops)}: docker stop of an idle run container, exit 0`,
    `  load (1 min)        ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} (the machine is shared)`,
    ""
  ].join("\n")
)
