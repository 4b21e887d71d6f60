/**
 * `spycloud-connector once` (the built binary) against the SpyCloud and OpenCTI stand-ins and the real
 * RabbitMQ: what a platform and its worker see of one pass, by each delivery path, and how the state on
 * the platform drives where the next pass starts.
 */
import { afterAll, expect, it } from "@effect/vitest"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { STATE_FILE_NAME } from "../../src/config/ConnectorConfig.js"
import {
  byId,
  connectorEnv,
  expectConsistentStix,
  expectDependencyOrder,
  expectedIncidents,
  firstWatchlistSince,
  incidentIds,
  newestDayCheckpoint,
  operationsOf,
  platformState,
  runToEnd,
  standInsForSuite,
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { describeWithShared } from "../support/Shared.js"
import { stixValidator } from "../support/StixValidator.js"

describeWithShared("once with OpenCTI (built binary, real RabbitMQ)", () => {
  const { spycloud, platform } = standInsForSuite({
    dataset: { records: 240, days: 4, endDate: yesterday(), invalidEvery: 37, seed: 6 }
  })
  afterAll(async () => {
    // Every request the platform stand-in answered, it answered with success.
    expect(platform.calls.filter((call) => call.status !== 200)).toEqual([])
  })

  /** Runs `once` and checks it succeeded; returns the checkpoints a completed pass may leave. */
  const once = async (env: Record<string, string>) => {
    const before = newestDayCheckpoint()
    const result = await runToEnd(["once"], env)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain("SpyCloud import pass finished")
    return { result, checkpoints: [before, newestDayCheckpoint()] }
  }

  it("registers, publishes one message per expectation in one work closed with a summary, and pings the state", async () => {
    const env = connectorEnv(platform, spycloud)
    const id = env.CONNECTOR_ID
    const { checkpoints } = await once(env)

    const operations = operationsOf(platform, id)
    expect(operations[0]).toBe("RegisterConnector")
    expect(operations.filter((operation) => operation === "workAdd")).toHaveLength(1)
    expect(operations.indexOf("workAdd")).toBeLessThan(operations.indexOf("addExpectations"))
    expect(operations.lastIndexOf("workToProcessed")).toBeGreaterThan(operations.lastIndexOf("addExpectations"))
    expect(operations.at(-1)).toBe("PingConnector")

    const [work, ...others] = worksOf(platform, id)
    expect(others).toEqual([])
    expect(work!.processed).toBe(true)
    expect(work!.errors).toEqual([])
    expect(work!.messages).toHaveLength(1)
    expect(work!.messages[0]).toMatch(/^SpyCloud pass finished: \d+ records, \d+ incidents, \d+ observables/)

    // The worker's view: exactly as many messages as expectations, then an empty queue.
    const queue = `push_${id}`
    const drained = await drainPushQueue(queue, { expected: work!.expectations })
    expect(drained.messages).toHaveLength(work!.expectations)
    expect((await drainPushQueue(queue)).messages).toEqual([])
    for (const message of drained.messages) {
      expect(message.envelope).toMatchObject({
        bundle_type: "QUEUE_BUNDLE",
        applicant_id: platform.userId,
        work_id: work!.id,
        entities_types: [],
        update: false
      })
      expect(message.bundle.objects).toHaveLength(1)
      expect(message.properties).toMatchObject({ deliveryMode: 2, contentEncoding: "utf-8" })
    }
    expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
    expectConsistentStix(drained.objects)
    expectDependencyOrder(drained.messages)

    // The state reached the platform through ping, with the final connector_info of a single run.
    const state = platformState(platform, id)
    expect(checkpoints).toContain(state?.last_import_date)
    const lastPing = platform.callsOf("PingConnector").filter((call) => call.variables.id === id).at(-1)!
    expect(JSON.parse(lastPing.variables.state as string)).toEqual(state)
    expect(platform.connectors.get(id)!.info).toMatchObject({ run_and_terminate: true, buffering: false })
  })

  it("with CONNECTOR_QUEUE_MESSAGES=per-bundle each bundle is one message for the worker to split, without expectations", async () => {
    const env = connectorEnv(platform, spycloud, { CONNECTOR_QUEUE_MESSAGES: "per-bundle" })
    const id = env.CONNECTOR_ID
    await once(env)
    expect(operationsOf(platform, id)).not.toContain("addExpectations")
    const [work] = worksOf(platform, id)
    expect(work).toMatchObject({ processed: true, errors: [], expectations: 0 })
    const drained = await drainPushQueue(`push_${id}`, {
      until: (messages) =>
        incidentIds(messages.flatMap((m) => m.bundle.objects)).size >= expectedIncidents(spycloud.dataset).size
    })
    for (const message of drained.messages) {
      expect(message.envelope).toMatchObject({ bundle_type: "QUEUE_BUNDLE", work_id: work!.id })
      expect(message.bundle.objects.length).toBeGreaterThan(2)
      expect(message.bundle.objects.slice(0, 2).map((object) => object.type)).toEqual([
        "identity",
        "marking-definition"
      ])
    }
    expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
    expectConsistentStix(drained.objects)
  })

  it("with CONNECTOR_QUEUE_PROTOCOL=api the same data arrives through stixBundlePush, per watchlist type", async () => {
    const env = connectorEnv(platform, spycloud, {
      CONNECTOR_QUEUE_PROTOCOL: "api",
      SPYCLOUD_WATCHLIST_TYPES: "email,ip"
    })
    const id = env.CONNECTOR_ID
    const { checkpoints } = await once(env)

    const [work, ...others] = worksOf(platform, id)
    expect(others).toEqual([])
    expect(work).toMatchObject({ processed: true, errors: [], expectations: 0 })
    expect(operationsOf(platform, id)).not.toContain("addExpectations")
    const pushes = platform.pushedBundles.filter((push) => push.connectorId === id)
    expect(pushes.length).toBeGreaterThan(0)
    for (const push of pushes) {
      expect(push.workId).toBe(work!.id)
      // Each bundle stands alone: its author, marking and every object it refers to travel with it.
      expect(stixValidator().validateBundle(push.bundle).slice(0, 10)).toEqual([])
    }
    const objects = pushes.flatMap((push) => push.bundle.objects)
    expect(incidentIds(objects)).toEqual(
      new Set([
        ...expectedIncidents(spycloud.dataset, { watchlistType: "email" }),
        ...expectedIncidents(spycloud.dataset, { watchlistType: "ip" })
      ])
    )
    expectConsistentStix(objects)
    expect((await drainPushQueue(`push_${id}`)).messages).toEqual([])

    const state = platformState(platform, id)!
    expect(checkpoints).toContain(state.email_last_import_date)
    expect(checkpoints).toContain(state.ip_last_import_date)
    expect(state).not.toHaveProperty("last_import_date")
  })

  it("with CONNECTOR_SEND_TO_DIRECTORY=true both the queue and the directory get the bundles, with the applicant", async () => {
    const directory = mkdtempSync(join(tmpdir(), "spycloud-e2e-directory-"))
    try {
      const env = connectorEnv(platform, spycloud, {
        CONNECTOR_SEND_TO_DIRECTORY: "true",
        CONNECTOR_SEND_TO_DIRECTORY_PATH: directory
      })
      const id = env.CONNECTOR_ID
      await once(env)

      const files = readdirSync(directory)
      expect(files.length).toBeGreaterThan(0)
      for (const file of files) expect(file).toMatch(/^spycloud-\d{8}-\d{6}-\d+\.\d{6}\.json$/)
      const envelopes = files.map((file) => JSON.parse(readFileSync(join(directory, file), "utf8")))
      for (const envelope of envelopes) {
        expect(envelope).toMatchObject({
          bundle_type: "DIRECTORY_BUNDLE",
          applicant_id: platform.userId,
          connector: { id, name: "SpyCloud", type: "EXTERNAL_IMPORT" }
        })
      }
      const filed = envelopes.flatMap((envelope) => envelope.bundle.objects)
      expect(incidentIds(filed)).toEqual(expectedIncidents(spycloud.dataset))

      const [work] = worksOf(platform, id)
      const queued = await drainPushQueue(`push_${id}`, { expected: work!.expectations })
      expect(new Set(byId(queued.objects).keys())).toEqual(new Set(byId(filed).keys()))
      // With OpenCTI the state lives on the platform, never in the directory.
      expect(existsSync(join(directory, STATE_FILE_NAME))).toBe(false)
      expect(platformState(platform, id)).not.toBeNull()
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })

  it("resumes from the platform's state, and after a reset there starts again from SPYCLOUD_IMPORT_START_DATE", async () => {
    const env = connectorEnv(platform, spycloud)
    const id = env.CONNECTOR_ID
    const queue = `push_${id}`
    const { checkpoints } = await once(env)
    const checkpoint = platformState(platform, id)!.last_import_date as string
    expect(checkpoints).toContain(checkpoint)

    spycloud.resetRequests()
    await once(env)
    expect(firstWatchlistSince(spycloud)).toBe(checkpoint.slice(0, 10))

    await platform.resetState(id)
    expect(platformState(platform, id)).toBeNull()
    spycloud.resetRequests()
    const again = await once(env)
    expect(firstWatchlistSince(spycloud)).toBe(spycloud.dataset.startDate)
    expect(again.result.stderr).not.toContain("remotely reset")
    expect(again.checkpoints).toContain(platformState(platform, id)?.last_import_date)

    // The reset purged the queue: what it holds now is the third pass, which delivered everything again.
    const third = worksOf(platform, id).at(-1)!
    expect(third).toMatchObject({ processed: true, errors: [] })
    const drained = await drainPushQueue(queue, { expected: third.expectations })
    expect(drained.messages).toHaveLength(third.expectations)
    expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
  })
})
