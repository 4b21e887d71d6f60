/**
 * The connector state in a JSON file, for offline mode. Written atomically. A file that exists but cannot
 * be read or parsed stops the connector with a clear error: silently starting over would re-import
 * everything (or, worse, skip data).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Effect, Layer, Option } from "effect"
import { dirname, join } from "node:path"
import { ConnectorConfig, STATE_FILE_NAME } from "../config/ConnectorConfig.js"
import { PRIVATE_DIRECTORY_MODE, writeFileAtomically } from "./AtomicFile.js"
import { ConnectorState, type StateData, StateError } from "./ConnectorState.js"

const parseState = (path: string, text: string): Effect.Effect<Option.Option<StateData>, StateError> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (error) =>
      new StateError({
        reason: `the state file ${path} is not valid JSON (${(error as Error).message}); fix it, or delete it to ` +
          `start again from SPYCLOUD_IMPORT_START_DATE`
      })
  }).pipe(
    Effect.flatMap((value) => {
      if (value === null) return Effect.succeed(Option.none())
      if (typeof value === "object" && !Array.isArray(value)) return Effect.succeed(Option.some(value as StateData))
      return Effect.fail(
        new StateError({
          reason: `the state file ${path} does not hold a JSON object; fix it, or delete it to start again from ` +
            `SPYCLOUD_IMPORT_START_DATE`
        })
      )
    })
  )

export const make = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    let cached: Option.Option<Option.Option<StateData>> = Option.none()

    const read = Effect.gen(function*() {
      const exists = yield* fs.exists(path).pipe(
        Effect.mapError((error) => new StateError({ reason: `cannot access ${path}: ${error.message}`, cause: error }))
      )
      if (!exists) return Option.none<StateData>()
      const text = yield* fs.readFileString(path).pipe(
        Effect.mapError((error) => new StateError({ reason: `cannot read ${path}: ${error.message}`, cause: error }))
      )
      return yield* parseState(path, text)
    })

    return ConnectorState.of({
      get: Effect.suspend(() =>
        Option.match(cached, {
          onSome: (state) => Effect.succeed(state),
          onNone: () =>
            Effect.tap(read, (state) => {
              cached = Option.some(state)
            })
        })
      ),
      set: (state) =>
        Effect.gen(function*() {
          yield* fs.makeDirectory(dirname(path), { recursive: true, mode: PRIVATE_DIRECTORY_MODE })
          yield* writeFileAtomically(fs, path, JSON.stringify(state, null, 2) + "\n")
          cached = Option.some(Option.some(state))
        }).pipe(
          Effect.mapError((error) => new StateError({ reason: `cannot write ${path}: ${error.message}`, cause: error }))
        )
    })
  })

/** Where the offline state lives: CONNECTOR_STATE_FILE, else a hidden file in the bundle directory. */
export const statePath = (settings: ConnectorConfig["Type"]): string =>
  Option.getOrElse(
    settings.connector.stateFile,
    () => join(Option.getOrElse(settings.connector.sendToDirectoryPath, () => "."), STATE_FILE_NAME)
  )

export const layer: Layer.Layer<ConnectorState, never, ConnectorConfig | FileSystem.FileSystem> = Layer.effect(
  ConnectorState,
  Effect.flatMap(ConnectorConfig, (settings) => make(statePath(settings)))
)
