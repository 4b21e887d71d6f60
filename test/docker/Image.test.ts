/**
 * The image users deploy, built from the Dockerfile by a real Docker engine and run the way README's
 * deployment section says: read-only root file system, tmpfs /tmp, no capabilities, no privilege gain,
 * against the SpyCloud and OpenCTI stand-ins and the real RabbitMQ (host network: they listen on
 * 127.0.0.1). It installs the production dependency set (`npm ci --omit=dev`), which no other test runs.
 * `npm run test:container`; never skipped: without a Docker engine it fails with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { chmodSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import * as YAML from "yaml"
import { CONNECTOR_NODE_OPTIONS } from "../../src/cli/NodeOptions.js"
import { STATE_FILE_NAME } from "../../src/config/ConnectorConfig.js"
import { fileVariant } from "../../src/config/Setting.js"
import { SETTINGS } from "../../src/config/Settings.js"
import {
  connectorEnv,
  expectedIncidents as expectedIncidentSet,
  incidentIds,
  newestDayCheckpoint,
  platformState,
  standInsForSuite,
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import {
  buildImage,
  docker,
  envFlags,
  HARDENED_FLAGS,
  inspect,
  removeContainers,
  runCommand,
  uniqueName
} from "../support/Docker.js"
import {
  expectedIncidents,
  missing,
  occurrences,
  offlineEnv,
  readBundles,
  readState,
  tempDirectory
} from "../support/OfflineRun.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { describeWithShared, REPO_ROOT } from "../support/Shared.js"
import { type SpycloudStandIn, startSpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"

/** Resolves once `predicate` resolves true, checking every 250 ms for up to `timeoutMs`. */
const eventually = async (predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) => {
  const started = Date.now()
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** Every variable the connector reads: the settings table's. */
const CONNECTOR_VARIABLES = new Set(
  Object.values(SETTINGS).flatMap((section) =>
    Object.values(section).flatMap((setting) =>
      setting.fromFile ? [setting.env, fileVariant(setting).env] : [setting.env]
    )
  )
)

let image: string
const containers: Array<string> = []

beforeAll(async () => {
  ;({ tag: image } = await buildImage())
}, 900_000)

afterAll(() => removeContainers(containers))

describe("the image, offline", () => {
  let spycloud: SpycloudStandIn
  beforeAll(async () => {
    spycloud = await startSpycloudStandIn({ dataset: { records: 400, days: 4, seed: 21, invalidEvery: 97 } })
  })
  afterAll(() => spycloud?.stop())

  it("runs once with a read-only root, tmpfs /tmp, no capabilities, as uid 1000: bundles and state arrive in the mounted directory", async () => {
    const directory = tempDirectory("container-offline")
    // The container's user must be able to write there, whoever runs the test.
    chmodSync(directory, 0o777)
    const name = uniqueName("once")
    containers.push(name)
    const result = await runCommand("docker", [
      "run",
      "--name",
      name,
      ...HARDENED_FLAGS,
      "--user",
      "1000",
      "--volume",
      `${directory}:/bundles`,
      ...envFlags(offlineEnv(spycloud, "/bundles")),
      image,
      "once"
    ], { timeoutMs: 180_000 })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain("SpyCloud import pass finished")

    const incidents = occurrences(readBundles(directory), "incident")
    expect(missing(expectedIncidents(spycloud), incidents)).toEqual([])
    expect(Math.max(...incidents.values())).toBe(1)
    expect(readState(directory)).toEqual({
      last_import_date: `${spycloud.dataset.endDate}T00:00:00+00:00`,
      last_modification_date: expect.any(String)
    })
    // Written by the container's process, as uid 1000.
    expect(statSync(join(directory, STATE_FILE_NAME)).uid).toBe(1000)
  })
})

describeWithShared("the image, run with OpenCTI and RabbitMQ", () => {
  const { spycloud, platform } = standInsForSuite({
    dataset: { records: 150, days: 3, endDate: yesterday(), seed: 22 }
  })

  it("completes its work, fills the push queue, turns healthy, runs node as uid 1000 PID 1, and exits 0 on docker stop", async () => {
    const env = connectorEnv(platform, spycloud, { CONNECTOR_DURATION_PERIOD: "PT1H" })
    const id = env.CONNECTOR_ID
    const before = newestDayCheckpoint()
    const name = uniqueName("run")
    containers.push(name)
    // The image's HEALTHCHECK command; only its first probe is brought forward from 60 s.
    await docker([
      "run",
      "--detach",
      "--name",
      name,
      ...HARDENED_FLAGS,
      "--health-interval",
      "2s",
      ...envFlags(env),
      image
    ])

    await eventually(() => worksOf(platform, id)[0]?.processed === true, "the first work to be closed", 120_000)
    const [work] = worksOf(platform, id)
    expect(work).toMatchObject({ processed: true, errors: [] })
    const drained = await drainPushQueue(`push_${id}`, { expected: work!.expectations, timeoutMs: 30_000 })
    expect(drained.messages).toHaveLength(work!.expectations)
    expect(incidentIds(drained.objects)).toEqual(expectedIncidentSet(spycloud.dataset))
    expect([before, newestDayCheckpoint()]).toContain(platformState(platform, id)?.last_import_date)

    await eventually(async () => (await inspect(name, "{{.State.Health.Status}}")) === "healthy", "healthy")

    // No shell or npm wrapper: PID 1 is node itself, as the image's non-root user.
    const status = await docker(["exec", name, "cat", "/proc/1/status"])
    expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m)
    expect(status).toMatch(/^Gid:\s+1000\s+1000\s+1000\s+1000$/m)
    expect(status).toMatch(/^CapEff:\s+0+$/m)
    const commandLine = (await docker(["exec", name, "cat", "/proc/1/cmdline"])).split("\0").filter(Boolean)
    expect(commandLine).toEqual(["node", ...CONNECTOR_NODE_OPTIONS, "dist/main.js", "run"])
    expect(await inspect(name, "{{.Config.User}}")).toBe("1000:1000")

    // docker stop sends SIGTERM and, after 5 s, SIGKILL (exit 137): exit 0 means the connector stopped itself.
    await docker(["stop", "--time", "5", name], 30_000)
    expect(await inspect(name, "{{.State.ExitCode}} {{.State.OOMKilled}}")).toBe("0 false")
    const logs = await runCommand("docker", ["logs", name])
    expect(logs.stderr).not.toContain("\"level\":\"ERROR\"")
  })
})

describe("docker-compose.yml", () => {
  it("is read by docker-compose config, keeps the hardening, and names only variables the connector reads", async () => {
    const compose = await runCommand("docker-compose", ["--file", "docker-compose.yml", "config"], {
      cwd: REPO_ROOT,
      timeoutMs: 60_000
    })
    expect(compose.code, `docker-compose config failed (apt-get install docker-compose):\n${compose.stderr}`).toBe(0)
    const config = YAML.parse(compose.stdout) as {
      services: Record<string, {
        environment: Record<string, string>
        read_only: boolean
        tmpfs: Array<string>
        cap_drop: Array<string>
        security_opt: Array<string>
        init: boolean
      }>
    }
    const service = config.services["connector-spycloud"]!
    expect(service).toMatchObject({
      read_only: true,
      tmpfs: ["/tmp"],
      cap_drop: ["ALL"],
      security_opt: ["no-new-privileges:true"],
      init: true
    })
    const active = Object.keys(service.environment)
    expect(active).toEqual(expect.arrayContaining(["OPENCTI_URL", "OPENCTI_TOKEN", "CONNECTOR_ID", "SPYCLOUD_API_KEY"]))
    // The commented-out ones are offered to users too: each must be a real setting.
    const commented = [...readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8").matchAll(/^\s*# - ([A-Z_]+)=/gm)]
      .map((match) => match[1]!)
    expect(commented.length).toBeGreaterThan(20)
    expect([...active, ...commented].filter((variable) => !CONNECTOR_VARIABLES.has(variable))).toEqual([])
    // Every setting is offered, once.
    expect([...active, ...commented].sort()).toEqual([...CONNECTOR_VARIABLES].sort())
  })
})
