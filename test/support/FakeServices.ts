/**
 * In-memory doubles of the engine's ports, for unit tests of the importer and the scheduler: a SpyCloud
 * client over a stand-in dataset (no HTTP, scriptable failures), a recording sink, an in-memory state and
 * a recording work tracker.
 */
import { Chunk, Effect, Layer, Option, Stream } from "effect"
import { makeConfigProvider } from "../../src/config/ConfigSource.js"
import * as ConnectorConfig from "../../src/config/ConnectorConfig.js"
import { BundleSink, SinkError } from "../../src/importer/BundleSink.js"
import { ConnectorState, type StateData } from "../../src/importer/ConnectorState.js"
import { WorkTracker } from "../../src/importer/WorkTracker.js"
import {
  type BreachCatalog,
  type BreachRecord,
  decodeBreachCatalog,
  decodeBreachRecord
} from "../../src/spycloud/BreachRecord.js"
import {
  type BreachPage,
  type BreachQuery,
  catalogKey,
  type SkippedRecord,
  SpycloudClient
} from "../../src/spycloud/SpycloudClient.js"
import type { SpycloudError } from "../../src/spycloud/SpycloudError.js"
import type { StixBundle } from "../../src/stix/StixObject.js"
import { type Dataset, filterOfQuery } from "./spycloud/Dataset.js"

/** Decides a failure for page `page` (1-based) of a query; undefined serves it. */
export type PageFault = (query: BreachQuery, page: number) => SpycloudError | undefined

export const fakeSpycloud = (dataset: Dataset, options: { pageSize?: number; fault?: PageFault } = {}) => {
  const queries: Array<BreachQuery> = []
  const pageSize = options.pageSize ?? 1000
  const pageOf = (number: number, infos: ReadonlyArray<{ index: number }>, hits: number) => {
    const records: Array<BreachRecord> = []
    const skipped: Array<SkippedRecord> = []
    for (const info of infos) {
      const raw = dataset.recordAt(info.index)
      const decoded = decodeBreachRecord(raw)
      if (decoded._tag === "Right") records.push(decoded.right)
      else {
        const id = (raw as { document_id?: unknown } | null)?.document_id
        skipped.push({ documentId: Option.fromNullable(typeof id === "string" ? id : undefined), reason: "malformed" })
      }
    }
    const page: BreachPage = { hits, number, records, skipped }
    return page
  }
  const client = SpycloudClient.of({
    breachRecords: (query) =>
      Stream.suspend(() => {
        queries.push(query)
        const filter = filterOfQuery(query)
        const hits = dataset.count(filter)
        const infos = [...dataset.matching(filter)]
        const pages = Math.max(1, Math.ceil(infos.length / pageSize))
        return Stream.paginateChunkEffect(1, (number) => {
          const failure = options.fault?.(query, number)
          if (failure !== undefined) return Effect.fail(failure)
          const page = pageOf(number, infos.slice((number - 1) * pageSize, number * pageSize), hits)
          return Effect.succeed([Chunk.of(page), number < pages ? Option.some(number + 1) : Option.none()] as const)
        })
      }),
    catalogs: (ids) =>
      Effect.sync(() => {
        const found = new Map<string, BreachCatalog>()
        for (const id of ids) {
          const entry = dataset.catalog(id)
          if (entry === undefined) continue
          const decoded = decodeBreachCatalog(entry)
          if (decoded._tag === "Right") found.set(catalogKey(id), decoded.right)
        }
        return found
      }),
    probe: Effect.void
  })
  return { layer: Layer.succeed(SpycloudClient, client), queries }
}

/**
 * A sink that keeps every bundle; `failAt` (1-based) makes that send fail. `concurrentSends` is what it
 * declares; each send lets other fibers run before it completes, so that `mostInFlight()` shows how many
 * bundles the engine really had in delivery at once.
 */
export const recordingSink = (options: { failAt?: number; concurrentSends?: number } = {}) => {
  const bundles: Array<StixBundle> = []
  let sends = 0
  let inFlight = 0
  let mostInFlight = 0
  const sink = BundleSink.of({
    send: (bundle) =>
      Effect.suspend(() => {
        sends++
        if (options.failAt === sends) return Effect.fail(new SinkError({ sink: "test", reason: "the broker is gone" }))
        inFlight++
        mostInFlight = Math.max(mostInFlight, inFlight)
        return Effect.yieldNow().pipe(
          Effect.repeatN(3),
          Effect.ensuring(Effect.sync(() => inFlight--)),
          Effect.zipRight(Effect.sync(() => void bundles.push(bundle)))
        )
      }),
    ...(options.concurrentSends === undefined ? {} : { concurrentSends: options.concurrentSends })
  })
  return { layer: Layer.succeed(BundleSink, sink), bundles, mostInFlight: () => mostInFlight }
}

/** The state in memory. `reset()` empties it, like a reset on the platform. */
export const memoryState = (initial: StateData | undefined = undefined) => {
  let current: Option.Option<StateData> = Option.fromNullable(initial)
  const history: Array<StateData> = []
  const state = ConnectorState.of({
    get: Effect.sync(() => current),
    set: (data) =>
      Effect.sync(() => {
        current = Option.some(data)
        history.push(data)
      })
  })
  return {
    layer: Layer.succeed(ConnectorState, state),
    current: () => current,
    history,
    reset: () => {
      current = Option.none()
    }
  }
}

export interface WorkCall {
  readonly op: "start" | "finish"
  readonly message?: string
  readonly inError?: boolean
}

export const recordingWorks = () => {
  const calls: Array<WorkCall> = []
  const tracker = WorkTracker.of({
    start: (name) =>
      Effect.sync(() => {
        calls.push({ op: "start", message: name })
        return Option.some(`work-${calls.length}`)
      }),
    finish: (_, message, inError) => Effect.sync(() => void calls.push({ op: "finish", message, inError }))
  })
  return { layer: Layer.succeed(WorkTracker, tracker), calls }
}

/** The configuration from environment-style variables (offline defaults filled in). */
export const configLayer = (env: Record<string, string> = {}) =>
  ConnectorConfig.layer.pipe(
    Layer.provide(
      Layer.setConfigProvider(
        makeConfigProvider({
          CONNECTOR_ID: "unit-test",
          CONNECTOR_SEND_TO_QUEUE: "false",
          CONNECTOR_SEND_TO_DIRECTORY: "true",
          CONNECTOR_SEND_TO_DIRECTORY_PATH: "/nonexistent",
          SPYCLOUD_API_KEY: "unit-test-key",
          ...env
        }, new Map())
      )
    ),
    Layer.orDie
  )
