/**
 * Bundles written as files, like pycti's `send_to_directory` (docs/opencti-protocol.md, "The directory bundle
 * format"): the `DIRECTORY_BUNDLE` envelope, the file name `<name>-<YYYYmmdd-HHMMSS>-<epoch seconds>.json`,
 * written to a temporary name, synced and renamed, so a file that exists is complete. Old bundle files are removed
 * after `retention` days (0 keeps them); only files named like ours are ever removed.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Clock, Effect, Layer, Option } from "effect"
import { join } from "node:path"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import type { StixBundle } from "../stix/StixObject.js"
import { PRIVATE_DIRECTORY_MODE, writeFileAtomically } from "./AtomicFile.js"
import { BundleSink, SinkError } from "./BundleSink.js"

export interface DirectorySinkOptions {
  readonly directory: string
  readonly connector: {
    readonly id: string
    readonly name: string
    readonly scope: string
  }
  /** The OpenCTI user the connector acts as (from registration); null offline. */
  readonly applicantId: Option.Option<string>
  readonly retentionDays: number
}

const CLEANUP_INTERVAL_MS = 10 * 60 * 1000
const STALE_TEMPORARY_MS = 10 * 60 * 1000
const DAY_MS = 86_400_000
/** Bundle files written at once: one is synced while the next is written (on disk, fsync made the converter wait). */
const CONCURRENT_WRITES = 2

const pad = (value: number, width = 2) => String(value).padStart(width, "0")

/** pycti's `time.strftime("%Y%m%d-%H%M%S-")`, in UTC. */
const stamp = (date: Date) =>
  `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}-` +
  `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}-`

export const filePrefix = (connectorName: string) => connectorName.toLowerCase().replace(/ /g, "_")

export const make = (options: DirectorySinkOptions) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const prefix = filePrefix(options.connector.name)
    // Exactly the names `send` gives (and their temporary form): nothing else in the folder is ever removed.
    const ours = new RegExp(
      `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d{8}-\\d{6}-\\d+\\.\\d{6}\\.json(\\.tmp)?$`
    )
    const fail = (reason: string) => (error: { message: string }) =>
      new SinkError({ sink: "directory", reason: `${reason}: ${error.message}`, cause: error })

    // A folder the connector creates is the owner's only; an existing one keeps the operator's choice.
    yield* fs.makeDirectory(options.directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE }).pipe(
      Effect.mapError(fail(`cannot create ${options.directory}`))
    )

    let lastMicros = 0n
    /** Strictly increasing microseconds, so that two bundles never get the same file name. */
    const nextMicros = Effect.map(Clock.currentTimeNanos, (nanos) => {
      const micros = nanos / 1000n
      lastMicros = micros > lastMicros ? micros : lastMicros + 1n
      return lastMicros
    })

    let lastCleanup = 0
    const cleanup = (now: number) =>
      Effect.gen(function*() {
        lastCleanup = now
        const names = yield* fs.readDirectory(options.directory)
        for (const name of names) {
          const match = ours.exec(name)
          const isBundle = match !== null && match[1] === undefined
          const isTemporary = match !== null && match[1] !== undefined
          if (!isBundle && !isTemporary) continue
          if (isBundle && options.retentionDays === 0) continue
          const path = join(options.directory, name)
          const info = yield* fs.stat(path)
          const modified = Option.match(info.mtime, { onNone: () => now, onSome: (date) => date.getTime() })
          const limit = isBundle ? options.retentionDays * DAY_MS : STALE_TEMPORARY_MS
          if (now - modified > limit) yield* fs.remove(path)
        }
      }).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning("Cleaning old bundle files failed", { directory: options.directory, error: error.message })
        )
      )

    yield* cleanup(yield* Clock.currentTimeMillis)

    const send = (bundle: StixBundle) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (now - lastCleanup >= CLEANUP_INTERVAL_MS) yield* cleanup(now)
        const micros = yield* nextMicros
        const seconds = `${micros / 1_000_000n}.${String(micros % 1_000_000n).padStart(6, "0")}`
        const name = `${prefix}-${stamp(new Date(now))}${seconds}.json`
        const envelope = {
          bundle_type: "DIRECTORY_BUNDLE",
          applicant_id: Option.getOrNull(options.applicantId),
          connector: {
            id: options.connector.id,
            name: options.connector.name,
            type: "EXTERNAL_IMPORT",
            scope: options.connector.scope,
            auto: false,
            validate_before_import: false
          },
          entities_types: [],
          bundle,
          update: false
        }
        yield* writeFileAtomically(fs, join(options.directory, name), JSON.stringify(envelope)).pipe(
          Effect.mapError(fail(`cannot write ${name} in ${options.directory}`))
        )
      })

    return BundleSink.of({ send: (bundle) => send(bundle), concurrentSends: CONCURRENT_WRITES })
  })

/** The directory sink from the configuration (offline: no applicant id). */
export const layer: Layer.Layer<BundleSink, SinkError, ConnectorConfig | FileSystem.FileSystem> = Layer.effect(
  BundleSink,
  Effect.flatMap(ConnectorConfig, (settings) =>
    make({
      directory: Option.getOrElse(settings.connector.sendToDirectoryPath, () => "."),
      connector: { id: settings.connector.id, name: settings.connector.name, scope: settings.connector.scope },
      applicantId: Option.none(),
      retentionDays: settings.connector.sendToDirectoryRetention
    }))
)
