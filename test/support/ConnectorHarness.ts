/**
 * What the end-to-end tests share: the environment that points the built binary at both stand-ins, the
 * dataset window the connector will import, and the checks of "every expected object arrived": each valid
 * record's incident is there, every reference resolves, every object validates as STIX 2.1, and (on the
 * queue) nothing is published before what it refers to.
 */
import { afterAll, beforeAll, expect } from "@effect/vitest"
import { recordIncidentId } from "../../src/stix/StixId.js"
import { type BinaryResult, startBinary } from "./Binary.js"
import { type OpenCtiStandIn, startOpenCtiStandIn } from "./opencti/OpenCtiStandIn.js"
import type { DrainedMessage } from "./opencti/PushQueue.js"
import {
  type Dataset,
  type RecordFilter,
  type SpycloudStandIn,
  type StandInOptions,
  startSpycloudStandIn
} from "./spycloud/SpycloudStandIn.js"
import { referencesOf, stixValidator } from "./StixValidator.js"

const DAY_MS = 86_400_000

/** `YYYY-MM-DD` of an instant, in UTC. */
export const utcDate = (millis: number): string => new Date(millis).toISOString().slice(0, 10)

/**
 * The newest publish date of a test dataset: yesterday. The connector reads up to now − 15 minutes, so
 * every record of the dataset is in range whatever the time of day the test runs.
 */
export const yesterday = (): string => utcDate(Date.now() - DAY_MS)

/**
 * The checkpoint a completed pass leaves (the official connector's format): midnight of the day of
 * now − 15 minutes, the newest day, which the next pass reads again. Computed before and after a run,
 * since a run may straddle midnight.
 */
export const newestDayCheckpoint = (at: number = Date.now()): string => `${utcDate(at - 15 * 60_000)}T00:00:00+00:00`

export interface StandIns {
  readonly spycloud: SpycloudStandIn
  readonly platform: OpenCtiStandIn
}

/** A suite's SpyCloud stand-in (serving `spycloud`) and OpenCTI stand-in. */
export const startStandIns = async (spycloud: StandInOptions): Promise<StandIns> => ({
  spycloud: await startSpycloudStandIn(spycloud),
  platform: await startOpenCtiStandIn()
})

/**
 * Stops what `startStandIns` started (either may be missing when it failed) and checks that no GraphQL
 * document the connector sent failed validation against any schema of SCHEMA_VERSIONS.
 */
export const stopStandIns = async (standIns: Partial<StandIns>): Promise<void> => {
  await standIns.spycloud?.stop()
  if (standIns.platform === undefined) return
  expect(standIns.platform.invalidRequests).toEqual([])
  await standIns.platform.close()
}

/** The environment of a connector run against both stand-ins, with a fresh CONNECTOR_ID; `overrides` win. */
export const connectorEnv = (
  platform: Pick<OpenCtiStandIn, "url" | "token">,
  spycloud: Pick<SpycloudStandIn, "baseUrl" | "apiKey" | "dataset">,
  overrides: Readonly<Record<string, string>> = {}
): Record<string, string> => ({
  OPENCTI_URL: platform.url,
  OPENCTI_TOKEN: platform.token,
  CONNECTOR_ID: crypto.randomUUID(),
  SPYCLOUD_API_BASE_URL: spycloud.baseUrl,
  SPYCLOUD_API_KEY: spycloud.apiKey,
  SPYCLOUD_IMPORT_START_DATE: spycloud.dataset.startDate,
  SPYCLOUD_RETRY_INITIAL_DELAY: "PT0.01S",
  SPYCLOUD_RETRY_MAX_DELAY: "PT0.1S",
  ...overrides
})

/**
 * Runs the binary to its end, like `runBinary`, but kills it if it has not exited within `timeoutMs`: a
 * command that hangs (a connection left open keeps Node alive) then fails its test with its output
 * instead of stalling the suite.
 */
export const runToEnd = async (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>,
  timeoutMs = 60_000,
  cwd?: string
): Promise<BinaryResult> => {
  const running = startBinary(args, cwd === undefined ? { env } : { env, cwd })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    running.child.kill("SIGKILL")
  }, timeoutMs)
  const result = await running.done.finally(() => clearTimeout(timer))
  if (timedOut) {
    throw new Error(`spycloud-connector ${args.join(" ")} did not exit within ${timeoutMs} ms:\n${result.stderr}`)
  }
  return result
}

/** The incidents the connector must deliver for the valid records a filter selects. */
export const expectedIncidents = (dataset: Dataset, filter: RecordFilter = {}): Set<string> =>
  new Set(dataset.documentIds(filter).map(recordIncidentId))

type StixLike = { readonly id: string; readonly type: string; readonly [key: string]: unknown }

/** Objects by id (a re-sent object upserts: the last content wins, as in OpenCTI). */
export const byId = (objects: ReadonlyArray<StixLike>): Map<string, StixLike> =>
  new Map(objects.map((object) => [object.id, object]))

export const incidentIds = (objects: ReadonlyArray<StixLike>): Set<string> =>
  new Set(objects.filter((object) => object.type === "incident").map((object) => object.id))

/**
 * Every object delivered is valid STIX 2.1 and every reference (relationships, author, markings, ...)
 * points at an object that was delivered too.
 */
export const expectConsistentStix = (objects: ReadonlyArray<StixLike>): void => {
  const unique = [...byId(objects).values()]
  const errors = stixValidator().validateBundle({
    type: "bundle",
    id: "bundle--00000000-0000-4000-8000-000000000000",
    objects: unique
  })
  expect(errors.slice(0, 20)).toEqual([])
  expect(unique.some((object) => object.type === "relationship")).toBe(true)
}

/** What OpenCTI's worker relies on: no message carries an object referring to one not published before it. */
export const expectDependencyOrder = (messages: ReadonlyArray<DrainedMessage>): void => {
  const seen = new Set<string>()
  const early: Array<string> = []
  for (const message of messages) {
    for (const object of message.bundle.objects) {
      for (const ref of referencesOf(object)) if (!seen.has(ref)) early.push(`${object.id} → ${ref}`)
      seen.add(object.id)
    }
  }
  expect(early.slice(0, 10)).toEqual([])
}

/** The connector's state as the platform stores it (the last ping it kept). */
export const platformState = (platform: OpenCtiStandIn, connectorId: string): Record<string, unknown> | null => {
  const text = platform.connectors.get(connectorId)?.state
  return text === undefined || text === null || text === "" ? null : JSON.parse(text)
}

/** The works of one connector, in the order they were opened. */
export const worksOf = (platform: OpenCtiStandIn, connectorId: string) =>
  [...platform.works.values()].filter((work) => work.connectorId === connectorId)

/** The GraphQL operations one connector sent, in order (ping and queue queries carry its id too). */
export const operationsOf = (platform: OpenCtiStandIn, connectorId: string): Array<string> =>
  platform.calls
    .filter((call) => JSON.stringify(call.variables).includes(connectorId))
    .map((call) => call.operation)

/** The `since` of the first watchlist query of each query sequence the stand-in received. */
export const firstWatchlistSince = (spycloud: SpycloudStandIn): string | undefined =>
  spycloud.requests().find((request) => request.endpoint === "watchlist" && request.query.cursor === undefined)
    ?.query.since

/** Stands for a stand-in a suite names before its `beforeAll` started it: each property is read from it then. */
const startedLater = <A extends object>(started: () => A | undefined, name: string): A =>
  new Proxy({} as A, {
    get: (_, key) => {
      const target = started()
      if (target === undefined) throw new Error(`the ${name} stand-in was used before the suite started it`)
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === "function" ? value.bind(target) : value
    }
  })

/**
 * Both stand-ins for the tests of a suite: started before its first test, then stopped after its last with
 * `stopStandIns`' check of every GraphQL document the connector sent.
 */
export const standInsForSuite = (options: StandInOptions): StandIns => {
  let standIns: Partial<StandIns> = {}
  beforeAll(async () => {
    standIns = await startStandIns(options)
  })
  afterAll(() => stopStandIns(standIns))
  return {
    spycloud: startedLater(() => standIns.spycloud, "SpyCloud"),
    platform: startedLater(() => standIns.platform, "OpenCTI")
  }
}
